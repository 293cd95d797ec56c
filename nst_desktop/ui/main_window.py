"""The main window: content, style and result panes, the parameter panel, menus.

The window owns the state a person sees (the content image, the styles, the
current result) and wires the pieces together; getting images in lives in
:mod:`inputs`, running in :mod:`run_view`, saving in :mod:`saving`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFocusEvent,
    QIcon,
    QPalette,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTabBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.core.imageio import LoadedImage
from nst_desktop.engine import DeviceInfo, Result, available_devices
from nst_desktop.ui.drops import accept_as_copy, may_hold_image
from nst_desktop.ui.image_pane import ImagePane
from nst_desktop.ui.inputs import Inputs
from nst_desktop.ui.params_model import ParamsModel
from nst_desktop.ui.params_panel import ParamsPanel, device_choices
from nst_desktop.ui.run_view import RunView
from nst_desktop.ui.saving import Saving
from nst_desktop.ui.settings import AppSettings
from nst_desktop.ui.style_list import StylePane
from nst_desktop.ui.theme import ThemeController
from nst_desktop.ui.widgets import (
    WrappingLabel,
    chain_focus,
    has_keyboard_focus,
    reveal,
    shown_to_tab,
)
from nst_desktop.ui.window_actions import build_actions, build_menus, build_toolbar

if TYPE_CHECKING:
    from nst_desktop.ui.library import Library

WINDOW_TITLE = "NST Desktop"
# The size of a window opened for the first time, on a screen with room for it.
DEFAULT_WINDOW_SIZE = QSize(1400, 880)
# The share of a smaller screen's free area it takes instead, leaving room for its frame.
SMALL_SCREEN_SHARE = (0.94, 0.9)
# QMainWindow.saveState version: 1 added the history dock. A state saved by another
# version is ignored (the docks take their default places) rather than half-applied.
STATE_VERSION = 1
# Tab stops in a row that the window hides (a tabbed dock's fields) that Tab passes over.
MAX_HIDDEN_TAB_STOPS = 64
INPUTS_SHARE = 0.34  # of the centre, for the photo and style column at first show
RUN_BUTTON_STYLE = """
QPushButton#run_button { background: palette(highlight); color: palette(highlighted-text);
    border: 1px solid palette(dark); border-radius: 5px; padding: 6px 12px; outline: none; }
QPushButton#run_button:pressed { background: palette(dark); }
QPushButton#run_button:disabled { background: palette(button); color: DISABLED_TEXT; }
QPushButton#run_button[running="true"] { background: #b83227; color: white; }
QPushButton#run_button[keyboard_focus="true"] { border: 2px solid RING;
    padding: 5px 11px; }
"""


class RunButton(QPushButton):
    """The Stylize/Stop button: the highlight colour, red while running. Its style sheet is
    made again when the palette changes, since Qt reads the colours a sheet names only once,
    and no palette role reads well as disabled text on both a light and a dark button."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("run_button")
        self._restyle()

    def _restyle(self) -> None:
        palette = QApplication.palette()
        disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
        ring = palette.color(QPalette.ColorRole.WindowText)  # dark on light, light on dark
        sheet = RUN_BUTTON_STYLE.replace("DISABLED_TEXT", disabled.name()).replace(
            "RING", ring.name())
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark
            self._restyle()
        super().changeEvent(event)

    # The sheet replaces the style's focus frame, so a ring is drawn while the keyboard put
    # the focus here (Tab): a click on Stylize leaves none, as with Qt's own buttons.
    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt API)
        super().focusInEvent(event)
        self._set_ring(has_keyboard_focus(self))

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt API)
        super().focusOutEvent(event)
        self._set_ring(False)

    def shows_focus(self) -> bool:
        return bool(self.property("keyboard_focus"))

    def _set_ring(self, on: bool) -> None:
        if self.shows_focus() != on:
            self.setProperty("keyboard_focus", on)
            self.style().unpolish(self)
            self.style().polish(self)
            self.update()


def result_placeholder(missing: Sequence[str]) -> str:
    """What the empty Result pane says: what is still missing, else to press Stylize."""
    step = (f"Add {' and '.join(missing)}, then press Stylize (Ctrl+Enter)." if missing
            else "Press Stylize (Ctrl+Enter).")
    return (f"Your painting appears here.\n\n{step}\n"
            "Drop a result saved by NST Desktop here to restore its settings.")


def first_window_geometry(available: QRect, minimum: QSize) -> QRect:
    """Where a window with no saved place opens: DEFAULT_WINDOW_SIZE, or less on a screen
    whose free area (``available``, without task bars) is smaller, centred in that area.
    It is never below ``minimum``: on a screen smaller than that, it starts at the free
    area's left and top edges, so that its title bar and menus are on the screen.
    """
    width = min(DEFAULT_WINDOW_SIZE.width(), round(available.width() * SMALL_SCREEN_SHARE[0]))
    height = min(DEFAULT_WINDOW_SIZE.height(), round(available.height() * SMALL_SCREEN_SHARE[1]))
    rect = QRect(0, 0, max(width, minimum.width()), max(height, minimum.height()))
    rect.moveCenter(available.center())
    rect.moveLeft(max(rect.left(), available.left()))
    rect.moveTop(max(rect.top(), available.top()))
    return rect


class MainWindow(QMainWindow):
    """The application window. Its parts are attributes; it has no signals of its own."""

    # Built by window_actions.build_actions / build_menus.
    actual_action: QAction
    add_style_action: QAction
    blend_style_action: QAction
    clear_styles_action: QAction
    compare_action: QAction
    copy_action: QAction
    fit_action: QAction
    open_action: QAction
    open_result_action: QAction
    paste_action: QAction
    quit_action: QAction
    redo_action: QAction
    run_action: QAction
    save_action: QAction
    save_as_action: QAction
    stop_action: QAction
    undo_action: QAction
    zoom_in_action: QAction
    zoom_out_action: QAction
    recent_menu: QMenu
    file_menu: QMenu
    edit_menu: QMenu
    view_menu: QMenu
    run_menu: QMenu

    def __init__(
        self,
        settings: AppSettings | None = None,
        devices: list[DeviceInfo] | None = None,
        theme: ThemeController | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle(WINDOW_TITLE)
        self.setObjectName("main_window")
        self.setAcceptDrops(True)
        self.settings = settings or AppSettings()
        self.devices = devices if devices is not None else available_devices()
        self.theme = theme
        params, extras = self.settings.load_params()
        if params.device not in {v for _, v in device_choices(self.devices)}:
            params = params.replace(device="auto")
        self.model = ParamsModel(params, extras, self)
        # The window's one undo history: parameters, styles, and the gallery's edits (see
        # library.Library), whatever has focus. One window-wide Ctrl+Z, never two.
        self.undo_stack = self.model.undo_stack
        # Names for style files (the gallery's titles once a library is attached).
        self.style_namer: Callable[[str], str | None] | None = None
        self.library: Library | None = None

        # What the person sees.
        self.content: LoadedImage | None = None
        self.result: Result | None = None
        # The result the history has kept (closing then loses nothing), by identity.
        self.kept_result: Result | None = None
        self.close_pending = False
        self._shown_once = False
        self._pending_warnings: list[tuple[str, str]] = []  # (title, text) for when shown

        self._build_panes()
        self._build_docks()
        self.inputs = Inputs(self)
        self.runner = RunView(self)
        self.saving = Saving(self)
        build_actions(self)
        build_menus(self)
        build_toolbar(self)
        geometry, state = self.settings.window_state()
        # restoreGeometry keeps a saved window inside the screen it opens on (Qt moves and
        # shrinks it); a first window gets a size that fits the screen too.
        if geometry is None or not self.restoreGeometry(geometry):
            place = first_window_geometry(
                self.screen().availableGeometry(), self.minimumSizeHint()
            )
            self.resize(place.size())
            self.move(place.topLeft())
        self.state_restored = state is not None and self.restoreState(state, STATE_VERSION)
        for pane in (self.content_pane, self.style_pane, self.result_pane):
            pane.canvas.has_image_changed.connect(self.update_view_actions)
        app = QApplication.instance()
        if isinstance(app, QApplication):  # the pane Fit and the zooms act on follows it
            app.focusChanged.connect(self.on_app_focus_changed)
        self.update_actions()
        self.order_focus()
        # What went wrong while opening (settings, gallery, history); the app works on.
        self.startup_problems: list[str] = [self.settings.problem] if self.settings.problem else []
        self.show_startup_problems()

    # -- layout ----------------------------------------------------------------------------
    def _build_panes(self) -> None:
        self.content_pane = ImagePane(
            "Content", "Drop a photo here\nor paste (Ctrl+V) · File ▸ Open Photo…"
        )
        self.style_pane = StylePane(self.undo_stack)
        self.style_pane.namer = self.gallery_title
        self.result_pane = ImagePane("Result", result_placeholder(missing=["a photo",
                                                                          "a painting"]))
        self.compare_button = QToolButton()
        self.compare_button.setText("Compare")
        self.compare_button.setCheckable(True)
        # On, it must look on: Fusion's sunken checked tool button is barely darker.
        self.compare_button.setStyleSheet(
            "QToolButton:checked { background: palette(highlight);"
            " color: palette(highlighted-text); border: 1px solid palette(dark);"
            " border-radius: 3px; padding: 2px 6px; }")
        self.compare_button.setToolTip(
            "Before/after split: drag the line to compare with the photo"
        )
        self.original_button = QToolButton()
        self.original_button.setText("Original")
        self.original_button.setToolTip("Hold to see the photo (or hold \\ over the result)")
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(44)
        for w in (self.compare_button, self.original_button, self.zoom_label):
            self.result_pane.header.addWidget(w)
        self.compare_button.toggled.connect(self.result_pane.canvas.set_split_enabled)
        self.original_button.pressed.connect(lambda: self.result_pane.canvas.set_show_compare(True))
        self.original_button.released.connect(
            lambda: self.result_pane.canvas.set_show_compare(False)
        )
        self.result_pane.canvas.zoom_changed.connect(
            lambda z: self.zoom_label.setText(f"{z:.0f} %")
        )

        self.inputs_splitter = QSplitter(Qt.Orientation.Vertical)
        self.inputs_splitter.addWidget(self.content_pane)
        self.inputs_splitter.addWidget(self.style_pane)
        self.inputs_splitter.setChildrenCollapsible(False)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.addWidget(self.inputs_splitter)
        self.main_splitter.addWidget(self.result_pane)
        self.main_splitter.setStretchFactor(0, 1)
        self.main_splitter.setStretchFactor(1, 3)
        self.main_splitter.setSizes([340, 900])
        self.main_splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.main_splitter)

        self.status_label = WrappingLabel("Ready.")  # a long message wraps, not cut off
        self.eta_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setFormat("%p %")
        self.progress_bar.setFixedWidth(220)
        self.progress_bar.hide()
        status = self.statusBar()
        status.addWidget(self.status_label, 1)
        status.addPermanentWidget(self.eta_label)
        status.addPermanentWidget(self.progress_bar)

    def _build_docks(self) -> None:
        self.params_panel = ParamsPanel(self.model, self.devices, self.settings.rate)
        scroll = QScrollArea()
        scroll.setWidget(self.params_panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to its fields, scrolled to
        self.run_button = RunButton("Stylize")
        self.run_button.setMinimumHeight(36)
        font = self.run_button.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.run_button.setFont(font)
        holder = QWidget()
        lay = QVBoxLayout(holder)
        lay.addWidget(scroll, 1)
        lay.addWidget(self.run_button)
        lay.setContentsMargins(6, 0, 6, 8)
        # As narrow as the panel allows with room for its scroll bar, never clipped: the
        # scroll area alone would let the dock shrink over the panel's fields.
        scrollbar = scroll.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        margins = lay.contentsMargins()
        holder.setMinimumWidth(
            self.params_panel.minimumSizeHint().width() + scrollbar + 2 * scroll.frameWidth()
            + margins.left() + margins.right()
        )
        self.params_dock = QDockWidget("Parameters", self)
        self.params_dock.setObjectName("params_dock")
        self.params_dock.setWidget(holder)
        self.params_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.params_dock)

        # The style gallery and the run history (library.attach_library fills them in),
        # made here so that restoreState finds them; hidden until they hold something.
        self.gallery_dock = QDockWidget("Gallery", self)
        self.gallery_dock.setObjectName("gallery_dock")
        self.gallery_dock.setWidget(QLabel("No gallery yet."))
        self.history_dock = QDockWidget("History", self)
        self.history_dock.setObjectName("history_dock")
        self.history_dock.setWidget(QLabel("No history yet."))
        for dock in (self.gallery_dock, self.history_dock):
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            dock.toggleViewAction().setVisible(False)
            dock.hide()
        self.tabifyDockWidget(self.gallery_dock, self.history_dock)

    def set_gallery_widget(self, widget: QWidget) -> None:
        """Put the style gallery (or why there is none) in its dock."""
        self._set_dock_widget(self.gallery_dock, widget)

    def set_history_widget(self, widget: QWidget) -> None:
        """Put the run history (or why there is none) in its dock."""
        self._set_dock_widget(self.history_dock, widget)

    def _set_dock_widget(self, dock: QDockWidget, widget: QWidget) -> None:
        old = dock.widget()
        dock.setWidget(widget)
        if old is not None and old is not widget:
            old.deleteLater()
        dock.toggleViewAction().setVisible(True)
        if not self.state_restored:  # else it stays where the person left it
            dock.show()

    def fit_screen(self, available: QRect | None = None) -> bool:
        """A first window (no layout saved) that its screen is too narrow to hold with the
        gallery beside the photo, the result and the parameters (a 1366 x 768 laptop at
        150 %, 911 px wide, where the window needs 960) opens without the gallery and the
        history, which the View menu shows: else the parameters and the Stylize button lie
        past the screen's edge. Returns whether it did."""
        if self.state_restored:
            return False
        available = available if available is not None else self.screen().availableGeometry()
        docks = [d for d in (self.gallery_dock, self.history_dock) if not d.isHidden()]
        if not docks or self.minimumSizeHint().width() <= available.width():
            return False
        for dock in docks:
            dock.hide()
        place = first_window_geometry(available, self.minimumSizeHint())
        self.resize(place.size())
        self.move(place.topLeft())
        hint = "The gallery is hidden so that the window fits this screen: View ▸ Gallery shows it."
        self.show_status(" ".join([*self.startup_problems, hint]))  # said before, said still
        return True

    def gallery_title(self, path: str) -> str | None:
        """The gallery's title for a style file, or None when it is not a gallery style."""
        return self.style_namer(path) if self.style_namer is not None and path else None

    def style_title(self, path: str) -> str:
        """What to call a style: its gallery title, else its file name without suffix."""
        return self.gallery_title(path) or (Path(path).stem if path else "pasted image")

    def _set_appearance(self, name: str) -> None:
        if self.theme is not None:
            self.theme.set_appearance(name)
            self.settings.set_value("window/appearance", name)

    # -- state ------------------------------------------------------------------------------
    def active_canvas(self):  # noqa: ANN201
        """The canvas of the focused pane (the result pane when none has focus)."""
        pane = self.focused_pane()
        return (pane or self.result_pane).canvas

    def order_focus(self, lead: Sequence[QWidget] = ()) -> None:
        """Tab moves through the window as it reads, left to right: ``lead`` (the gallery's
        and history's fields, from the library), the docks' tabs, the photo, the painting and
        its blend rows, the result and its buttons, the parameters, Stylize; then round."""
        params: list[QWidget] = []
        widget = self.params_panel.nextInFocusChain()
        while widget is not None and widget is not self.params_panel:  # their own order
            if self.params_panel.isAncestorOf(widget) and widget.focusPolicy() & (
                Qt.FocusPolicy.TabFocus
            ):
                params.append(widget)
            widget = widget.nextInFocusChain()
        tabs = self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
        rows = [w for row in self.style_pane.rows for w in (row.slider, row.remove_button)]
        chain_focus([
            *lead, *tabs, self.content_pane.canvas, self.style_pane.canvas, *rows,
            self.result_pane.canvas, self.compare_button, self.original_button,
            *params, self.run_button,
        ])
        # The window opens with the photo's pane in focus (Ctrl+V pastes a photo, Ctrl+Z
        # undoes a parameter), not with the first Tab stop, the gallery's search field.
        if self.focusWidget() is None:
            self.content_pane.canvas.setFocus(Qt.FocusReason.OtherFocusReason)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002, N802 (Qt API)
        """Tab and Shift+Tab pass over what Qt counts as shown but the window hides (the
        dock behind the other's tab) and scroll what they reach into sight, so that the
        focus never goes out of sight."""
        start = QApplication.focusWidget()
        for _ in range(MAX_HIDDEN_TAB_STOPS):
            if not super().focusNextPrevChild(next):
                return False
            widget = QApplication.focusWidget()
            if widget is None or widget is start:
                return True
            if shown_to_tab(widget):
                reveal(widget)  # a blend row or parameter scrolled out of sight
                return True
        return True

    def on_app_focus_changed(self, _old: QWidget | None, _now: QWidget | None) -> None:
        self.update_view_actions()

    def focused_pane(self) -> ImagePane | None:
        widget = QApplication.focusWidget()
        while widget is not None:
            if isinstance(widget, ImagePane):
                return widget
            widget = widget.parentWidget()
        return None

    def update_actions(self) -> None:
        running = self.runner.is_running()
        ready = self.content is not None and bool(self.style_pane.entries)
        self.run_action.setEnabled(running or ready)
        self.run_action.setText("Stop" if running else "Stylize")
        self.run_button.setText("Stop" if running else "Stylize")
        self.run_button.setEnabled(running or ready)
        if self.run_button.property("running") != running:
            self.run_button.setProperty("running", running)
            self.run_button.style().unpolish(self.run_button)
            self.run_button.style().polish(self.run_button)
        missing = [
            n
            for n, ok in (
                ("a photo", self.content is not None),
                ("a painting", bool(self.style_pane.entries)),
            )
            if not ok
        ]
        self.run_button.setToolTip(
            "Stop the run (Esc)"
            if running
            else "Start (Ctrl+Enter)"
            if ready
            else "First add " + " and ".join(missing)
        )
        placeholder = result_placeholder(missing)
        if placeholder != self.result_pane.canvas.placeholder:
            self.result_pane.canvas.placeholder = placeholder
            self.result_pane.canvas.update()
        self.stop_action.setEnabled(running)
        has_result = self.result is not None and not running
        for action in (self.save_action, self.save_as_action, self.copy_action):
            action.setEnabled(has_result)
        self.params_panel.set_result_available(has_result)
        self.update_view_actions()

    def update_view_actions(self) -> None:
        """Compare and Original while the result pane shows a picture and there is a photo
        to compare it with; Fit, Actual Pixels and the zooms while the pane they act on
        shows one: else they lit up and nothing happened."""
        canvas = self.result_pane.canvas
        comparable = canvas.has_image() and canvas.has_compare_image()
        if not comparable and self.compare_button.isChecked():
            self.compare_button.setChecked(False)
        for widget in (self.compare_button, self.original_button, self.compare_action):
            widget.setEnabled(comparable)
        viewable = self.active_canvas().has_image()
        for action in (self.fit_action, self.actual_action, self.zoom_in_action,
                       self.zoom_out_action):
            action.setEnabled(viewable)

    def show_status(self, text: str) -> None:
        """One message on the status line; a report of several lines (an import's problems)
        runs on as sentences, wrapped to the window's width. A hover hint (an action's
        status tip) shown over the line goes: it hid the news that came after it."""
        self.statusBar().clearMessage()
        self.status_label.setText(" ".join(text.split("\n")))

    def show_startup_problems(self) -> None:
        if self.startup_problems:
            self.show_status(" ".join(self.startup_problems))

    def warn_when_shown(self, title: str, text: str) -> None:
        """A warning over the window: now if it is on screen, else once it is."""
        if self._shown_once:
            QMessageBox.warning(self, title, text)
        else:
            self._pending_warnings.append((title, text))

    def _show_pending_warnings(self) -> None:
        pending, self._pending_warnings = self._pending_warnings, []
        for title, text in pending:
            QMessageBox.warning(self, title, text)

    def show_about(self) -> None:
        from nst_desktop.ui.about import about_html

        QMessageBox.about(self, "About NST Desktop", about_html(self.devices,
                                                                 self.settings.path))

    # -- window-level drops (outside the panes) -----------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if not (may_hold_image(event.mimeData()) and accept_as_copy(event)):
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 (Qt API)
        if not (may_hold_image(event.mimeData()) and accept_as_copy(event)):
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        if accept_as_copy(event):
            self.result_pane.handle_mime(event.mimeData())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        if not self._shown_once:
            # The docks have taken their widths now: give the result most of what is left.
            self._shown_once = True
            if self._pending_warnings:  # after the window has been painted
                QTimer.singleShot(0, self._show_pending_warnings)
            total = sum(self.main_splitter.sizes())
            inputs = round(total * INPUTS_SHARE)
            self.main_splitter.setSizes([inputs, total - inputs])

    # -- closing ------------------------------------------------------------------------------
    def on_result_kept(self, result: object) -> None:
        """The history has this run; closing will not ask to save it."""
        if result is self.result:
            self.kept_result = self.result

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.close_pending:
            confirmed = (self._confirm_stop() if self.runner.is_running()
                         else self.saving.confirm_discard())
            if not confirmed:
                event.ignore()
                return
        if self.runner.is_running():
            # Stop within one iteration, then close once the thread has ended.
            self.close_pending = True
            self.runner.stop()
            self.show_status("Stopping before closing…")
            event.ignore()
            return
        self.params_panel.commit_edits()  # the settings kept are the ones on screen
        self.settings.save_params(self.model.params, self.model.extras())
        self.settings.save_window_state(self.saveGeometry(), self.saveState(STATE_VERSION))
        self.settings.sync()
        if self.library is not None:
            self.library.shutdown()
        event.accept()

    def _confirm_stop(self) -> bool:
        """Closing during a run: a long one is not thrown away by a stray Ctrl+Q."""
        kept = self.library is not None and self.library.history is not None
        answer = QMessageBox.question(
            self,
            "Stop the run?",
            "A run is in progress. Stop it and close? The image so far is "
            + ("kept in the History." if kept else "not kept."),
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Close

    def window_icon(self) -> QIcon:
        return self.windowIcon()
