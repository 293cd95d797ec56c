"""The main window's actions, menus and toolbar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

if TYPE_CHECKING:
    from nst_desktop.ui.main_window import MainWindow


# -- actions and menus ------------------------------------------------------------------------
def make_action(w: MainWindow, text: str, slot, shortcut=None, tip: str = "") -> QAction:  # noqa: ANN001
    action = QAction(text, w)
    if shortcut is not None:
        if isinstance(shortcut, (list, tuple)):
            action.setShortcuts([QKeySequence(s) for s in shortcut])
        else:
            action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    w.addAction(action)
    return action


def build_actions(w: MainWindow) -> None:
    ks = QKeySequence.StandardKey
    i, r, s = w.inputs, w.runner, w.saving
    w.open_action = make_action(w, "Open Photo…", i.open_content, ks.Open, "Choose the photo")
    w.add_style_action = make_action(
        w,
        "Open Style…",
        lambda: i.open_styles(add=False),
        "Ctrl+Shift+O",
        "Choose the painting (several to blend them)",
    )
    w.blend_style_action = make_action(
        w,
        "Add Style to Blend…",
        lambda: i.open_styles(add=True),
        None,
        "Add paintings to the current blend of styles",
    )
    w.open_result_action = make_action(
        w, "Open Result…", i.open_result, None, "Restore a saved result and its settings"
    )
    w.save_action = make_action(w, "Save", s.save, ks.Save, "Save the result")
    w.save_as_action = make_action(w, "Save As…", s.save_as, ks.SaveAs)
    w.copy_action = make_action(
        w, "Copy Result", s.copy_result, "Ctrl+Shift+C", "Copy the result to the clipboard"
    )
    w.quit_action = make_action(w, "Quit", w.close, ks.Quit)
    w.undo_action = w.undo_stack.createUndoAction(w, "Undo")
    w.undo_action.setShortcuts(ks.Undo)  # every platform binding (Ctrl+Y and Ctrl+Shift+Z)
    w.redo_action = w.undo_stack.createRedoAction(w, "Redo")
    w.redo_action.setShortcuts(ks.Redo)
    # A field being edited is committed first: undo then takes back the typing itself
    # (typed 9000, no Enter: Undo shows the size before it), not a step before it, and
    # what the field shows is never other than the parameter.
    def committed_then(step):
        def run(_checked: bool = False) -> None:
            w.params_panel.commit_edits()
            step()
        return run

    for action, step in ((w.undo_action, w.undo_stack.undo), (w.redo_action, w.undo_stack.redo)):
        action.triggered.disconnect()
        action.triggered.connect(committed_then(step))
        w.addAction(action)
    w.paste_action = make_action(
        w, "Paste Image", i.paste, ks.Paste, "Paste an image into the focused pane"
    )
    w.clear_styles_action = make_action(w, "Remove All Styles", w.style_pane.clear)
    w.style_pane.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    w.style_pane.addAction(w.clear_styles_action)
    w.run_action = make_action(
        w, "Stylize", r.toggle_run, ["Ctrl+Return", "Ctrl+Enter"], "Start (or stop) the run"
    )
    w.stop_action = make_action(w, "Stop", r.stop, "Esc", "Stop and keep the image so far")
    w.run_button.clicked.connect(w.run_action.trigger)
    w.fit_action = make_action(w, "Fit to Window", lambda: w.active_canvas().fit(), "Ctrl+0")
    w.actual_action = make_action(
        w, "Actual Pixels (100 %)", lambda: w.active_canvas().actual_size(), "Ctrl+1"
    )
    w.zoom_in_action = make_action(w, "Zoom In", lambda: w.active_canvas().zoom_in(), ks.ZoomIn)
    w.zoom_out_action = make_action(w, "Zoom Out", lambda: w.active_canvas().zoom_out(), ks.ZoomOut)
    w.compare_action = make_action(w, "Compare Before/After", w.compare_button.toggle, "Ctrl+B")
    w.compare_action.setCheckable(True)
    w.compare_button.toggled.connect(w.compare_action.setChecked)
    w.style_pane.styles_changed.connect(w.update_actions)
    w.undo_stack.cleanChanged.connect(lambda _clean: w.update_actions())


def build_menus(w: MainWindow) -> None:
    bar = w.menuBar()
    w.file_menu = file_menu = bar.addMenu("&File")
    file_menu.addActions(
        [
            w.open_action,
            w.add_style_action,
            w.blend_style_action,
            w.open_result_action,
        ]
    )
    w.recent_menu = file_menu.addMenu("Open Recent")
    w.recent_menu.aboutToShow.connect(w.inputs.fill_recent_menu)
    file_menu.addSeparator()
    file_menu.addActions([w.save_action, w.save_as_action])
    file_menu.addSeparator()
    file_menu.addAction(w.quit_action)
    w.edit_menu = edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([w.undo_action, w.redo_action])
    edit_menu.addSeparator()
    edit_menu.addActions([w.copy_action, w.paste_action, w.clear_styles_action])
    w.view_menu = view_menu = bar.addMenu("&View")
    view_menu.addActions([w.zoom_in_action, w.zoom_out_action, w.fit_action, w.actual_action])
    view_menu.addSeparator()
    view_menu.addAction(w.compare_action)
    view_menu.addSeparator()
    view_menu.addAction(w.params_dock.toggleViewAction())
    view_menu.addAction(w.gallery_dock.toggleViewAction())
    view_menu.addAction(w.history_dock.toggleViewAction())
    if w.theme is not None:
        appearance = view_menu.addMenu("Appearance")
        group = QActionGroup(w)
        for name in ("system", "light", "dark"):
            act = appearance.addAction(name.capitalize() if name != "system" else "Follow System")
            act.setCheckable(True)
            act.setChecked(name == w.theme.appearance)
            act.triggered.connect(lambda _c=False, n=name: w._set_appearance(n))
            group.addAction(act)
    w.run_menu = run_menu = bar.addMenu("&Run")
    run_menu.addActions([w.run_action, w.stop_action])
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(make_action(w, "About NST Desktop", w.show_about))


def build_toolbar(w: MainWindow) -> None:
    bar = w.addToolBar("Main")
    bar.setObjectName("main_toolbar")
    bar.setMovable(False)
    bar.setIconSize(QSize(18, 18))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    bar.addActions([w.open_action, w.add_style_action])
    bar.addSeparator()
    bar.addAction(w.run_action)
    bar.addSeparator()
    bar.addActions([w.save_action, w.copy_action])
    bar.addSeparator()
    bar.addActions([w.undo_action, w.redo_action])
    bar.addSeparator()
    bar.addActions([w.fit_action, w.actual_action])
    # The buttons keep their places whatever their actions say: Undo and Redo show their
    # word only (the menu and the tooltip say "Undo Restore settings of a past run"), and
    # the run's button is as wide as its longer word, Stylize or Stop.
    for action, word in ((w.undo_action, "Undo"), (w.redo_action, "Redo")):
        action.setIconText(word)
    run_button = bar.widgetForAction(w.run_action)
    if run_button is not None:
        metrics = run_button.fontMetrics()
        extra = run_button.sizeHint().width() - metrics.horizontalAdvance(w.run_action.iconText())
        run_button.setMinimumWidth(
            extra + max(metrics.horizontalAdvance(t) for t in ("Stylize", "Stop")))
