"""The main window: content, style and result panes, the parameter panel, menus.

The window owns the state a person sees (the content image, the styles, the
current result) and wires the pieces together; getting images in lives in
:mod:`inputs`, running in :mod:`run_view`, saving in :mod:`saving`.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.core.imageio import LoadedImage
from nst_desktop.engine import DeviceInfo, Result, available_devices
from nst_desktop.ui.drops import may_hold_image
from nst_desktop.ui.image_pane import ImagePane
from nst_desktop.ui.inputs import Inputs
from nst_desktop.ui.params_model import ParamsModel
from nst_desktop.ui.params_panel import ParamsPanel, device_choices
from nst_desktop.ui.run_view import RunView
from nst_desktop.ui.saving import Saving
from nst_desktop.ui.settings import AppSettings
from nst_desktop.ui.style_list import StylePane
from nst_desktop.ui.theme import ThemeController

WINDOW_TITLE = "NST Desktop"
RUN_BUTTON_STYLE = """
QPushButton#run_button { background: palette(highlight); color: palette(highlighted-text);
    border: 1px solid palette(dark); border-radius: 5px; padding: 6px 12px; }
QPushButton#run_button:pressed { background: palette(dark); }
QPushButton#run_button:disabled { background: palette(button); color: palette(mid); }
QPushButton#run_button[running="true"] { background: #b83227; color: white; }
"""


class MainWindow(QMainWindow):
    """The application window. Its parts are attributes; it has no signals of its own."""

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
        self.undo_stack = self.model.undo_stack

        # What the person sees.
        self.content: LoadedImage | None = None
        self.result: Result | None = None
        self.close_pending = False

        self._build_panes()
        self._build_docks()
        self.inputs = Inputs(self)
        self.runner = RunView(self)
        self.saving = Saving(self)
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self.resize(1400, 880)
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self.update_actions()

    # -- layout ----------------------------------------------------------------------------
    def _build_panes(self) -> None:
        self.content_pane = ImagePane(
            "Content", "Drop a photo here\nor paste (Ctrl+V) · File ▸ Open Photo…"
        )
        self.style_pane = StylePane(self.undo_stack)
        self.result_pane = ImagePane(
            "Result",
            "Your painting appears here.\n\nAdd a photo and a painting, then press Stylize "
            "(Ctrl+Enter).\nDrop a result saved by NST Desktop here to restore its settings.",
        )
        self.compare_button = QToolButton()
        self.compare_button.setText("Compare")
        self.compare_button.setCheckable(True)
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

        self.status_label = QLabel("Ready.")
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
        self.run_button = QPushButton("Stylize")
        self.run_button.setObjectName("run_button")
        self.run_button.setMinimumHeight(36)
        font = self.run_button.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.run_button.setFont(font)
        self.run_button.setStyleSheet(RUN_BUTTON_STYLE)
        holder = QWidget()
        holder.setMinimumWidth(330)
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(0, 0, 0, 8)
        lay.addWidget(scroll, 1)
        lay.addWidget(self.run_button)
        lay.setContentsMargins(6, 0, 6, 8)
        self.params_dock = QDockWidget("Parameters", self)
        self.params_dock.setObjectName("params_dock")
        self.params_dock.setWidget(holder)
        self.params_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.params_dock)

        # The gallery (branch 'gallery') goes here: see set_gallery_widget.
        self.gallery_dock = QDockWidget("Gallery", self)
        self.gallery_dock.setObjectName("gallery_dock")
        self.gallery_dock.setWidget(QLabel("No gallery yet."))
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.gallery_dock)
        self.gallery_dock.hide()

    def set_gallery_widget(self, widget: QWidget) -> None:
        """Put the style gallery in its dock and show it. Connect its
        ``styles_activated(list[str])`` to :meth:`Inputs.on_styles_activated`."""
        self.gallery_dock.setWidget(widget)
        self.gallery_dock.show()

    # -- actions and menus ------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                action.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        ks = QKeySequence.StandardKey
        i, r, s = self.inputs, self.runner, self.saving
        self.open_action = self._action("Open Photo…", i.open_content, ks.Open, "Choose the photo")
        self.add_style_action = self._action(
            "Open Style…",
            lambda: i.open_styles(add=False),
            "Ctrl+Shift+O",
            "Choose the painting (several to blend them)",
        )
        self.blend_style_action = self._action(
            "Add Style to Blend…",
            lambda: i.open_styles(add=True),
            None,
            "Add paintings to the current blend of styles",
        )
        self.open_result_action = self._action(
            "Open Result…", i.open_result, None, "Restore a saved result and its settings"
        )
        self.save_action = self._action("Save", s.save, ks.Save, "Save the result")
        self.save_as_action = self._action("Save As…", s.save_as, ks.SaveAs)
        self.copy_action = self._action(
            "Copy Result", s.copy_result, "Ctrl+Shift+C", "Copy the result to the clipboard"
        )
        self.quit_action = self._action("Quit", self.close, ks.Quit)
        self.undo_action = self.undo_stack.createUndoAction(self, "Undo")
        self.undo_action.setShortcut(ks.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "Redo")
        self.redo_action.setShortcut(ks.Redo)
        self.paste_action = self._action(
            "Paste Image", i.paste, ks.Paste, "Paste an image into the focused pane"
        )
        self.clear_styles_action = self._action("Remove All Styles", self.style_pane.clear)
        self.run_action = self._action(
            "Stylize", r.toggle_run, ["Ctrl+Return", "Ctrl+Enter"], "Start (or stop) the run"
        )
        self.stop_action = self._action("Stop", r.stop, "Esc", "Stop and keep the image so far")
        self.run_button.clicked.connect(self.run_action.trigger)
        self.fit_action = self._action(
            "Fit to Window", lambda: self.active_canvas().fit(), "Ctrl+0"
        )
        self.actual_action = self._action(
            "Actual Pixels (100 %)", lambda: self.active_canvas().actual_size(), "Ctrl+1"
        )
        self.zoom_in_action = self._action(
            "Zoom In", lambda: self.active_canvas().zoom_in(), ks.ZoomIn
        )
        self.zoom_out_action = self._action(
            "Zoom Out", lambda: self.active_canvas().zoom_out(), ks.ZoomOut
        )
        self.compare_action = self._action(
            "Compare Before/After", self.compare_button.toggle, "Ctrl+B"
        )
        self.compare_action.setCheckable(True)
        self.compare_button.toggled.connect(self.compare_action.setChecked)
        self.style_pane.styles_changed.connect(self.update_actions)
        self.undo_stack.cleanChanged.connect(lambda _clean: self.update_actions())

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions(
            [
                self.open_action,
                self.add_style_action,
                self.blend_style_action,
                self.open_result_action,
            ]
        )
        self.recent_menu = file_menu.addMenu("Open Recent")
        self.recent_menu.aboutToShow.connect(self.inputs.fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.copy_action, self.paste_action, self.clear_styles_action])
        view_menu = bar.addMenu("&View")
        view_menu.addActions(
            [self.zoom_in_action, self.zoom_out_action, self.fit_action, self.actual_action]
        )
        view_menu.addSeparator()
        view_menu.addAction(self.compare_action)
        view_menu.addSeparator()
        view_menu.addAction(self.params_dock.toggleViewAction())
        view_menu.addAction(self.gallery_dock.toggleViewAction())
        if self.theme is not None:
            appearance = view_menu.addMenu("Appearance")
            group = QActionGroup(self)
            for name in ("system", "light", "dark"):
                act = appearance.addAction(
                    name.capitalize() if name != "system" else "Follow System"
                )
                act.setCheckable(True)
                act.setChecked(name == self.theme.appearance)
                act.triggered.connect(lambda _c=False, n=name: self._set_appearance(n))
                group.addAction(act)
        run_menu = bar.addMenu("&Run")
        run_menu.addActions([self.run_action, self.stop_action])
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("About NST Desktop", self.show_about))

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(18, 18))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addActions([self.open_action, self.add_style_action])
        bar.addSeparator()
        bar.addAction(self.run_action)
        bar.addSeparator()
        bar.addActions([self.save_action, self.copy_action])
        bar.addSeparator()
        bar.addActions([self.undo_action, self.redo_action])
        bar.addSeparator()
        bar.addActions([self.fit_action, self.actual_action])

    def _set_appearance(self, name: str) -> None:
        if self.theme is not None:
            self.theme.set_appearance(name)
            self.settings.set_value("window/appearance", name)

    # -- state ------------------------------------------------------------------------------
    def active_canvas(self):  # noqa: ANN201
        """The canvas of the focused pane (the result pane when none has focus)."""
        pane = self.focused_pane()
        return (pane or self.result_pane).canvas

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
        self.stop_action.setEnabled(running)
        has_result = self.result is not None and not running
        for action in (self.save_action, self.save_as_action, self.copy_action):
            action.setEnabled(has_result)
        self.params_panel.set_result_available(has_result)

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    def show_about(self) -> None:
        from nst_desktop import __version__

        QMessageBox.about(
            self,
            "About NST Desktop",
            f"<b>NST Desktop {__version__}</b><br>Neural style transfer (Gatys et al.) on your "
            "own computer: drop a photo and a painting, watch the photo become a painting.",
        )

    # -- window-level drops (outside the panes) -----------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if may_hold_image(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        event.acceptProposedAction()
        self.result_pane.handle_mime(event.mimeData())

    # -- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.close_pending and not self.saving.confirm_discard():
            event.ignore()
            return
        if self.runner.is_running():
            # Stop within one iteration, then close once the thread has ended.
            self.close_pending = True
            self.runner.stop()
            self.show_status("Stopping before closing…")
            event.ignore()
            return
        self.settings.save_params(self.model.params, self.model.extras())
        self.settings.save_window_state(self.saveGeometry(), self.saveState())
        self.settings.sync()
        event.accept()

    def window_icon(self) -> QIcon:
        return self.windowIcon()
