"""Defects found using the window for an hour (issue 25): drops, undo, the toolbar, the
gallery's columns, colours after a change of appearance, what is enabled with no result,
the status line, and the zoom a result opens at."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QEnterEvent, QPalette
from PySide6.QtWidgets import QApplication, QToolBar

from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.ui.gallery_panel import GalleryPanel
from tests.gallery_helpers import make_image

from .dnd import drag_enter_event, drag_move_event, drop_event
from .pixels import contrast, luminance

COPY, MOVE = Qt.DropAction.CopyAction, Qt.DropAction.MoveAction


def url_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


# -- 4. a drop is a copy, whatever the source proposes ------------------------------------------
def drag_proposing_move(widget, mime: QMimeData, pos: QPoint | None = None,
                        actions=COPY | MOVE) -> list:
    """A file manager's drag offering Copy and Move and proposing Move (as it does for a
    Shift-drag, or within one disk): enter, move, drop. Returns the three events."""
    if pos is None:
        pos = QPoint(widget.width() // 2, widget.height() // 2)
    args = (pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    events = [drag_enter_event(*args), drag_move_event(*args), drop_event(*args)]
    assert all(e.proposedAction() == MOVE for e in events)  # the test means what it says
    for event in events:
        QApplication.sendEvent(widget, event)
    return events


def accepted_as_copy(events) -> bool:
    return all(e.isAccepted() and e.dropAction() == COPY for e in events)


def test_drops_on_the_panes_and_the_window_are_copies_when_the_source_proposes_move(
        window, qtbot, content_file, style_file, style_file_2):
    window.show()
    qtbot.waitExposed(window)
    assert accepted_as_copy(drag_proposing_move(window.content_pane, url_mime(content_file)))
    assert window.content is not None and window.content.path == str(content_file)

    pane = window.style_pane
    assert accepted_as_copy(drag_proposing_move(pane, url_mime(style_file)))
    pane.layout().activate()  # lay out the blend strip the first style made visible
    zone = pane.add_zone
    assert accepted_as_copy(drag_proposing_move(
        pane, url_mime(style_file_2), zone.mapTo(pane, zone.rect().center())))
    assert [e.name for e in pane.entries] == ["painting.png", "painting2.png"]

    assert accepted_as_copy(drag_proposing_move(window.result_pane, url_mime(content_file)))
    # Outside the panes (the tool bar, the status line): the window takes it.
    assert accepted_as_copy(drag_proposing_move(window, url_mime(content_file), QPoint(5, 5)))
    for path in (content_file, style_file, style_file_2):
        assert path.is_file()


def test_a_source_that_offers_only_move_is_refused(window, content_file):
    events = drag_proposing_move(window.content_pane, url_mime(content_file), actions=MOVE)
    assert not any(e.isAccepted() for e in events)
    assert window.content is None
    events = drag_proposing_move(window, url_mime(content_file), QPoint(5, 5), actions=MOVE)
    assert not any(e.isAccepted() for e in events)
    assert window.content is None


def test_a_drop_on_the_gallery_is_a_copy_when_the_source_proposes_move(qtbot, tmp_path):
    store = GalleryStore(seed_starter=False)
    panel = GalleryPanel(store, icon_size=48)
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    panel.show()
    qtbot.waitExposed(panel)
    picture = make_image(tmp_path / "drop" / "new.png", seed=3)
    try:
        with qtbot.waitSignal(panel.import_finished, timeout=20_000):
            events = drag_proposing_move(panel.view.viewport(), url_mime(picture),
                                         QPoint(20, 20))
        assert accepted_as_copy(events)
        assert picture.is_file() and len(store) == 1
    finally:
        panel.shutdown()
        store.close()


# -- 10. nothing to compare or fit until there is a result -----------------------------------
def view_controls(window) -> dict[str, bool]:
    return {name: getattr(window, name).isEnabled() for name in (
        "compare_button", "original_button", "compare_action", "fit_action", "actual_action",
        "zoom_in_action", "zoom_out_action")}


def test_the_empty_result_says_what_is_missing_then_to_press_stylize(
        window, content_file, style_file):
    canvas = window.result_pane.canvas
    assert "Add a photo and a painting, then press Stylize" in canvas.placeholder
    assert window.inputs.open_path(str(content_file), "content")
    assert "Add a painting, then press Stylize" in canvas.placeholder
    assert window.inputs.open_path(str(style_file), "style")
    assert "Press Stylize (Ctrl+Enter)." in canvas.placeholder
    assert "Add" not in canvas.placeholder
    window.style_pane.clear()
    assert "Add a painting, then press Stylize" in canvas.placeholder


def test_compare_original_fit_and_actual_wait_for_a_picture(window, qtbot, content_file,
                                                           style_file):
    window.show()
    qtbot.waitExposed(window)
    assert not any(view_controls(window).values())

    assert window.inputs.open_path(str(content_file), "content")
    window.content_pane.canvas.setFocus()
    qtbot.waitUntil(lambda: window.fit_action.isEnabled())  # the photo's pane has a picture
    assert window.actual_action.isEnabled() and not window.compare_button.isEnabled()
    window.result_pane.canvas.setFocus()
    qtbot.waitUntil(lambda: not window.fit_action.isEnabled())  # the result's has none
    window.compare_action.trigger()  # Ctrl+B with nothing to compare: nothing turns on
    assert not window.compare_button.isChecked()
    assert window.inputs.open_path(str(style_file), "style")
    assert not any(view_controls(window).values())

    with qtbot.waitSignal(window.runner.controller.finished, timeout=90_000):
        window.run_action.trigger()
    qtbot.waitUntil(lambda: not window.runner.is_running(), timeout=10_000)
    assert all(view_controls(window).values())
    window.compare_action.trigger()
    assert window.compare_button.isChecked() and window.result_pane.canvas.split_enabled()


# -- 11. the status line says what happened, and hover hints do not stay over it ---------------
def test_using_a_painting_in_place_of_another_says_it_replaced_it(window, qtbot, style_file,
                                                                 style_file_2):
    inputs = window.inputs
    inputs.on_styles_activated([str(style_file)])  # what a gallery double-click does
    assert window.status_label.text() == "Added style painting.png."
    inputs.on_styles_activated([str(style_file_2)])
    assert window.status_label.text() == "Replaced painting.png with painting2.png."
    inputs.on_styles_activated([str(style_file), str(style_file_2)])
    assert window.status_label.text() == "Replaced painting2.png with a blend of 2 styles."
    # A drop on the large view replaces too; one on the blend strip adds.
    window.style_pane.handle_mime(url_mime(style_file_2))
    assert window.status_label.text() == "Replaced a blend of 2 styles with painting2.png."
    window.style_pane.handle_mime(url_mime(style_file), add=True)
    assert window.status_label.text() == "Added style painting.png."
    assert [e.name for e in window.style_pane.entries] == ["painting2.png", "painting.png"]


def test_a_hover_hint_leaves_the_status_line_to_the_next_message(window, qtbot, content_file):
    window.show()
    qtbot.waitExposed(window)
    button = window.findChild(QToolBar, "main_toolbar").widgetForAction(window.open_action)
    centre = QPointF(button.rect().center())
    # The pointer comes over it (the offscreen platform moves no pointer): its status tip.
    QApplication.sendEvent(button, QEnterEvent(centre, centre, button.mapToGlobal(centre)))
    assert window.statusBar().currentMessage() == "Choose the photo"
    assert not window.status_label.isVisible()  # the hint is shown over the status line
    assert window.inputs.open_path(str(content_file), "content")  # as Open Photo… does
    assert window.statusBar().currentMessage() == ""
    assert window.status_label.isVisible() and window.status_label.text() == "Photo: photo.png"


# -- 7. the tool bar's buttons stay where they are --------------------------------------------
def test_the_toolbar_buttons_keep_their_places_whatever_undo_says(loaded_window, qtbot):
    window = loaded_window
    window.show()
    qtbot.waitExposed(window)
    bar = window.findChild(QToolBar, "main_toolbar")

    def places() -> list[tuple[int, int]]:
        bar.layout().activate()
        return [(bar.widgetForAction(a).x(), bar.widgetForAction(a).width())
                for a in bar.actions() if not a.isSeparator()]

    before = places()
    window.inputs.restore_params(window.model.params.replace(style_weight=9.5),
                                 "Restore settings of a past run")
    assert window.undo_action.text() == "Undo Restore settings of a past run"
    assert places() == before
    undo_button = bar.widgetForAction(window.undo_action)
    assert undo_button.text() == "Undo"  # the whole of it in the tooltip and the menu
    assert undo_button.toolTip() == "Undo Restore settings of a past run"
    window.undo_action.trigger()
    assert window.redo_action.text() == "Redo Restore settings of a past run"
    assert places() == before
    window.run_action.setText("Stop")  # as while running
    window.run_action.setIconText("Stop")
    assert places() == before


# -- 9. the blend rows read on a dark window after a live switch -------------------------------
def test_blend_rows_read_after_a_live_switch_to_dark_and_back(loaded_window, qtbot,
                                                              style_file_2):
    from nst_desktop.ui.theme import ThemeController

    window = loaded_window
    assert window.inputs.open_path(str(style_file_2), "style")  # a blend: rows with sliders
    window.show()
    qtbot.waitExposed(window)
    rows = window.style_pane.rows
    assert len(rows) == 2
    app = QApplication.instance()
    original = app.palette()
    theme = ThemeController(app)

    def worst_contrast() -> float:
        """Of the rows' names and × buttons against the window behind them, as painted."""
        back = app.palette().color(QPalette.ColorRole.Window)
        colours = [c for row in rows for c in (
            row.name_label.palette().color(QPalette.ColorRole.WindowText),
            row.remove_button.palette().color(QPalette.ColorRole.ButtonText))]
        return min(contrast(c, back) for c in colours)

    def darkest_or_lightest_ink(widget, dark: bool) -> QColor:
        image = widget.grab().toImage()
        pixels = [image.pixelColor(x, y) for y in range(image.height())
                  for x in range(image.width())]
        return (max if dark else min)(pixels, key=luminance)

    try:
        theme.set_appearance("dark")
        qtbot.waitUntil(lambda: worst_contrast() >= 4.5)
        back = app.palette().color(QPalette.ColorRole.Window)
        ink = darkest_or_lightest_ink(rows[0].name_label, dark=True)
        assert contrast(ink, back) >= 4.5  # the name is painted light on the dark row
        theme.set_appearance("light")
        qtbot.waitUntil(lambda: worst_contrast() >= 4.5)
    finally:
        theme.set_appearance("system")
        app.setPalette(original)


# -- 8. the gallery's columns follow its dock's width -------------------------------------------
def shown_columns(view) -> tuple[int, int]:
    """How many thumbnails the first row shows, and the blank right of the last one."""
    model = view.model()
    rects = [view.visualRect(model.index(r, 0)) for r in range(model.rowCount())]
    top = min(r.top() for r in rects)
    first_row = [r for r in rects if r.top() == top]
    return len(first_row), view.viewport().width() - max(r.right() for r in first_row)


@pytest.fixture
def six_styles(tmp_path):
    store = GalleryStore(seed_starter=False)
    for i in range(6):
        store.add(make_image(tmp_path / "art" / f"s{i}.png", seed=i, size=(40, 32)),
                  title=f"Style {i}")
    yield store
    store.close()


def test_gallery_columns_follow_the_docks_width_through_real_resizes(qtbot, six_styles):
    from nst_desktop.engine import DeviceInfo
    from nst_desktop.ui.library import attach_library
    from nst_desktop.ui.main_window import MainWindow

    window = MainWindow(devices=[DeviceInfo("cpu", "CPU")])
    qtbot.addWidget(window)
    library = attach_library(window, gallery_store=six_styles)
    view = library.gallery.view
    full_cell = view.gridSize().width()  # a full-size thumbnail's cell
    window.resize(1400, 880)
    window.show()
    qtbot.waitExposed(window)
    try:
        for width, height in ((1024, 600), (1400, 880), (1024, 600), (1400, 880)):
            window.resize(width, height)
            qtbot.waitUntil(lambda w=width: window.width() == w)
            window.resizeDocks([window.gallery_dock], [320], Qt.Orientation.Horizontal)
            qtbot.waitUntil(lambda: abs(window.gallery_dock.width() - 320) < 24)
            qtbot.waitUntil(lambda: shown_columns(view)[0] >= 2)  # not one column ...
            columns, blank = shown_columns(view)
            assert blank < view.gridSize().width() // 2  # ... with half of it blank
            assert view.gridSize().width() <= full_cell
        # A wide dock shows more columns, filling it too.
        window.resizeDocks([window.gallery_dock], [560], Qt.Orientation.Horizontal)
        qtbot.waitUntil(lambda: shown_columns(view)[0] >= 3)
        assert shown_columns(view)[1] < view.gridSize().width() // 2
    finally:
        window.close()
