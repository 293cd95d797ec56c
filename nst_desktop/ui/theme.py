"""Following the system's light or dark colour scheme (QStyleHints.colorScheme).

Where the platform theme already supplies a matching palette (Windows 11,
macOS, GNOME/KDE with a Qt platform theme) nothing is overridden; where it
reports dark but hands out a light palette (a bare X11 session), a dark Fusion
palette is applied. A person may also force light or dark in View ▸ Appearance.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

APPEARANCES = ("system", "light", "dark")


def system_scheme() -> Qt.ColorScheme:
    return QGuiApplication.styleHints().colorScheme()


def palette_is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: QColor(45, 45, 48),
        QPalette.ColorRole.WindowText: QColor(230, 230, 230),
        QPalette.ColorRole.Base: QColor(32, 32, 34),
        QPalette.ColorRole.AlternateBase: QColor(52, 52, 56),
        QPalette.ColorRole.ToolTipBase: QColor(60, 60, 64),
        QPalette.ColorRole.ToolTipText: QColor(235, 235, 235),
        QPalette.ColorRole.PlaceholderText: QColor(150, 150, 155),
        QPalette.ColorRole.Text: QColor(230, 230, 230),
        QPalette.ColorRole.Button: QColor(56, 56, 60),
        QPalette.ColorRole.ButtonText: QColor(230, 230, 230),
        QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Link: QColor(100, 170, 255),
        QPalette.ColorRole.Highlight: QColor(52, 120, 210),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Light: QColor(80, 80, 85),
        QPalette.ColorRole.Midlight: QColor(66, 66, 70),
        QPalette.ColorRole.Mid: QColor(40, 40, 42),
        QPalette.ColorRole.Dark: QColor(25, 25, 27),
        QPalette.ColorRole.Shadow: QColor(10, 10, 10),
    }
    for role, color in roles.items():
        pal.setColor(role, color)
    disabled = QColor(120, 120, 125)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return pal


class ThemeController:
    """Keeps the application's palette in line with the chosen appearance."""

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self.appearance = "system"
        self._platform_palette = QPalette(app.palette())
        self._style_name = app.style().name()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self.on_color_scheme_changed)

    def wants_dark(self) -> bool:
        if self.appearance == "dark":
            return True
        if self.appearance == "light":
            return False
        return system_scheme() == Qt.ColorScheme.Dark

    def set_appearance(self, appearance: str) -> None:
        self.appearance = appearance if appearance in APPEARANCES else "system"
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "setColorScheme"):  # Qt >= 6.8: tell the platform theme too
            scheme = {
                "light": Qt.ColorScheme.Light,
                "dark": Qt.ColorScheme.Dark,
            }.get(self.appearance, Qt.ColorScheme.Unknown)
            hints.setColorScheme(scheme)
        self.apply()

    def on_color_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        self.apply()

    def apply(self) -> None:
        dark = self.wants_dark()
        if dark == palette_is_dark(self._platform_palette):
            palette = self._platform_palette
        elif dark:
            palette = dark_palette()
        else:
            palette = QApplication.style().standardPalette()
        if dark != palette_is_dark(self._platform_palette) and self._style_name.lower() != "fusion":
            # Only Fusion renders a foreign palette faithfully.
            fusion = QStyleFactory.create("Fusion")
            if fusion is not None:
                self.app.setStyle(fusion)
        self.app.setPalette(palette)
        restyle_from_palette()


# The colour of a warning in the text (a run that needs more memory than there is, a bad
# layer name): WCAG contrast about 4.7:1 on the light window and 5:1 on the dark one, where
# the light one's red would be 2.5:1.
WARNING_ON_LIGHT = "#c0392b"
WARNING_ON_DARK = "#ff7b6b"


def warning_colour() -> str:
    """The warning text colour for the application's palette now."""
    return WARNING_ON_DARK if palette_is_dark(QApplication.palette()) else WARNING_ON_LIGHT


def restyle_from_palette() -> None:
    """Have every style sheet applied again. Qt reads the colours a sheet names
    ("palette(button)") once, when it applies it, so a sheet set under the light palette
    kept its light colours in a dark window (the Stylize button, the "+ blend" strip); and
    the widgets under any sheet keep the palette they were polished with, so the blend
    rows' names and × buttons stayed black on dark grey (1.5:1) until a restart."""
    for widget in QApplication.allWidgets():
        sheet = widget.styleSheet()
        if sheet:
            widget.setStyleSheet("")
            widget.setStyleSheet(sheet)
