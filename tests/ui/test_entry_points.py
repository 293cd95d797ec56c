"""Entry points: nst-desktop / python -m nst_desktop, --version, command-line images."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nst_desktop import __version__
from nst_desktop.__main__ import main
from nst_desktop.ui.app import open_window, parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_version_returns_cleanly(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"nst-desktop {__version__}"


def test_python_m_answers_version_without_a_display():
    out = subprocess.run(
        [sys.executable, "-m", "nst_desktop", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0 and __version__ in out.stdout
    assert "PySide6" not in out.stderr


def test_command_line_opens_the_images(qtbot, content_file, style_file, style_file_2):
    args = parse_args(
        [
            "--content",
            str(content_file),
            "--style",
            str(style_file),
            "--style",
            str(style_file_2),
            "--size",
            "96",
        ]
    )
    window = open_window(args)
    qtbot.addWidget(window)
    assert window.content.path == str(content_file)
    assert len(window.style_pane.entries) == 2
    assert window.model.value("size") == 96
    assert window.run_action.isEnabled()


def test_plain_file_arguments_open_photo_then_paintings(qtbot, content_file, style_file,
                                                       style_file_2):
    """What a desktop launcher passes (Exec=nst-desktop %F)."""
    window = open_window(parse_args([str(content_file), str(style_file), str(style_file_2)]))
    qtbot.addWidget(window)
    assert window.content.path == str(content_file)
    paths = [e.image.path for e in window.style_pane.entries]
    assert paths == [str(style_file), str(style_file_2)]


def test_a_missing_command_line_image_is_a_message_not_a_crash(qtbot, dialogs, tmp_path):
    window = open_window(parse_args(["--content", str(tmp_path / "gone.jpg")]))
    qtbot.addWidget(window)
    assert window.content is None and "gone.jpg" in window.status_label.text()
    window.show()
    qtbot.waitUntil(lambda: "gone.jpg" in dialogs.texts())


def test_images_that_cannot_be_opened_are_said_in_one_message_over_the_window(
        qtbot, monkeypatch, tmp_path, style_file):
    """A launcher's %F with a damaged photo and a file that is no image: one warning, once
    the window is on screen (it showed a dialog per file over no window), and the painting
    that could be opened is open."""
    from PySide6.QtWidgets import QMessageBox

    shown = []

    def warning(parent, title, text, *rest):
        shown.append((parent.isVisible(), title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 40)
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture")
    window = open_window(parse_args([str(damaged), str(style_file), str(notes)]))
    qtbot.addWidget(window)
    assert shown == []  # nothing over no window
    assert window.content is None
    assert [e.image.path for e in window.style_pane.entries] == [str(style_file)]
    window.show()
    qtbot.waitUntil(lambda: bool(shown))
    assert len(shown) == 1
    visible, title, text = shown[0]
    assert visible and title == "Cannot open images"
    assert "damaged.jpg" in text and "notes.png" in text
    window.warn_when_shown("Later", "now at once")  # once shown, a warning is not held back
    assert shown[-1] == (True, "Later", "now at once")


def test_the_window_icon_is_the_one_app_icon_in_every_size_the_desktop_needs(qapp):
    """A QIcon is never None: the old test passed whatever was shipped. One app_icon()
    (ui/icons.py) serves the window, the self-test and the packaging notes."""
    from PySide6.QtWidgets import QApplication

    from nst_desktop.ui import app as app_module
    from nst_desktop.ui import icons

    assert app_module.app_icon is icons.app_icon
    assert not hasattr(app_module, "ICON_NAMES")
    app_module.make_application([])
    icon = QApplication.windowIcon()
    assert not icon.isNull()
    sizes = sorted(s.width() for s in icon.availableSizes())
    assert sizes == sorted(icons.ICON_SIZES) == [16, 24, 32, 48, 64, 128, 256, 512]
    assert not icon.pixmap(256, 256).toImage().isNull()


def test_main_opens_the_window_and_returns_the_exit_code(qtbot, monkeypatch, content_file):
    from PySide6.QtWidgets import QApplication

    from nst_desktop.ui import app as app_module
    from nst_desktop.ui.main_window import MainWindow

    seen = []

    def fake_exec():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        shown = [w for w in windows if w.isVisible()]
        seen.extend(shown)
        for w in shown:
            w.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", staticmethod(fake_exec))
    assert app_module.main(["--content", str(content_file)]) == 0
    (window,) = seen
    assert window.content is not None and not window.isVisible()
    assert QApplication.applicationName() == "nst-desktop"
    assert QApplication.desktopFileName() == app_module.APP_ID
    theme_appearance = window.theme.appearance
    window.theme.set_appearance("system")
    assert theme_appearance == "system"
    window.deleteLater()


def test_dark_appearance_gives_a_dark_palette_and_light_restores(qtbot):
    from PySide6.QtWidgets import QApplication

    from nst_desktop.ui.theme import ThemeController, palette_is_dark

    app = QApplication.instance()
    original = app.palette()
    theme = ThemeController(app)
    try:
        theme.set_appearance("dark")
        assert palette_is_dark(app.palette())
        theme.set_appearance("light")
        assert not palette_is_dark(app.palette())
    finally:
        theme.set_appearance("system")
        app.setPalette(original)


def test_widgets_styled_from_the_palette_follow_a_change_of_appearance(qtbot, style_file):
    """The Stylize button and the "+ blend" strip take their colours from the palette in a
    style sheet, which Qt reads once: switched to dark they stayed light (a glaring white
    Stylize button on a dark window), and back."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QApplication

    from nst_desktop.ui.theme import ThemeController

    app = QApplication.instance()
    original = app.palette()
    window = open_window(parse_args(["--style", str(style_file)]))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    button = window.run_button
    assert not button.isEnabled()  # no photo yet: the disabled look is the one that was wrong
    theme = ThemeController(app)

    def lightness(widget) -> float:  # of the background, left of the text
        image = widget.grab().toImage()
        colour = QColor(image.pixel(image.width() // 8, image.height() // 2))
        return colour.lightnessF()

    def text_contrast(widget) -> float:  # the word "Stylize" against its background
        image = widget.grab().toImage()
        y, background = image.height() // 2, lightness(widget)
        xs = range(image.width() // 3, 2 * image.width() // 3)
        return max(abs(QColor(image.pixel(x, y)).lightnessF() - background) for x in xs)

    try:
        def disabled_text() -> str:
            from PySide6.QtGui import QPalette
            return app.palette().color(QPalette.ColorGroup.Disabled,
                                       QPalette.ColorRole.ButtonText).name()

        theme.set_appearance("dark")
        qtbot.waitUntil(lambda: f"color: {disabled_text()};" in button.styleSheet())
        qtbot.waitUntil(lambda: lightness(button) < 0.4)
        assert text_contrast(button) > 0.15  # greyed, but there to read (was 0.06)
        zone = window.style_pane.add_zone
        qtbot.waitUntil(lambda: lightness(zone) < 0.4)
        theme.set_appearance("light")
        qtbot.waitUntil(lambda: f"color: {disabled_text()};" in button.styleSheet())
        qtbot.waitUntil(lambda: lightness(button) > 0.6)
        assert text_contrast(button) > 0.15
        qtbot.waitUntil(lambda: lightness(zone) > 0.6)
    finally:
        theme.set_appearance("system")
        app.setPalette(original)
        window.close()
