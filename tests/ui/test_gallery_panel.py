"""The gallery panel with pytest-qt: drops, drags, activation, delete + undo, search."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLineEdit

from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.core.trash import private_trash_dir
from nst_desktop.ui import gallery_dialogs
from nst_desktop.ui.gallery_model import STYLES_MIME, GalleryRole
from nst_desktop.ui.gallery_panel import GalleryPanel
from tests.gallery_helpers import make_image

from .dnd import drag_enter_event, drop_event
from .pixels import inked_pixels

# The offscreen platform warns about a window-manager hint it cannot give.


@pytest.fixture
def store(tmp_path):
    s = GalleryStore(seed_starter=False)
    for seed, title in enumerate(["Alpha", "Beta", "Gamma"]):
        s.add(make_image(tmp_path / f"{title}.png", seed=seed), title=title,
              artist="Anna" if title != "Gamma" else "Bruno", tags="warm" if seed else "cold")
    yield s
    s.close()


@pytest.fixture
def panel(qtbot, store):
    widget = GalleryPanel(store, icon_size=48)
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()
    # Nothing may still run on the panel's pools after the test.
    assert widget.importer.wait_for_done(0)
    assert widget.model.loader.wait_for_done(0)


def titles(panel):
    return [panel.proxy.index(r, 0).data() for r in range(panel.proxy.rowCount())]


def select_titles(panel, *wanted):
    ids = [panel.proxy.index(r, 0).data(GalleryRole.Id) for r in range(panel.proxy.rowCount())
           if panel.proxy.index(r, 0).data() in wanted]
    panel.select_ids(ids)
    return ids


def drop(widget, mime: QMimeData) -> tuple[bool, bool]:
    """Send a real drag-enter and drop to ``widget``; return (enter accepted, drop accepted)."""
    pos = QPointF(20, 20)
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    enter = drag_enter_event(pos, actions, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    event = drop_event(pos, actions, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return enter.isAccepted(), event.isAccepted()


def test_dropping_files_imports_them_in_the_background(panel, store, qtbot, tmp_path):
    good = [make_image(tmp_path / "drop" / f"new_{i}.png", seed=20 + i) for i in range(2)]
    bad = tmp_path / "drop" / "notes.txt"
    bad.write_text("hello")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in (*good, bad)])
    with qtbot.waitSignal(panel.import_finished, timeout=20_000) as blocker:
        assert drop(panel.view.viewport(), mime) == (True, True)
    added = blocker.args[0]
    assert sorted(store.get(i).title for i in added) == ["New 0", "New 1"]
    assert sorted(panel.selected_ids()) == sorted(added)  # the new styles are selected
    assert "notes.txt is not an image" in panel.status.text()
    assert len(titles(panel)) == 5


def test_an_import_of_many_bad_files_keeps_the_gallery_in_view(panel, qtbot, tmp_path):
    """Thirty damaged files: the report under the gallery stops at six lines, ending in "…",
    and its tooltip holds every file; the gallery itself keeps most of the panel."""
    panel.resize(300, 500)
    bad = []
    for i in range(30):
        path = tmp_path / "drop" / f"broken_{i:02d}.jpg"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 40)
        bad.append(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in bad])
    with qtbot.waitSignal(panel.import_finished, timeout=20_000):
        drop(panel.view.viewport(), mime)
    status = panel.status
    metrics = status.fontMetrics()
    qtbot.waitUntil(lambda: status.isVisible() and status.toolTip() != "")
    assert all(p.name in status.toolTip() for p in bad)  # the whole report
    assert status.text() == status.toolTip()
    shown = super(type(status), status).text()
    assert shown.endswith("…") and "broken_00.jpg" in shown and "broken_29.jpg" not in shown
    assert status.contentsRect().height() <= metrics.height() + 5 * metrics.lineSpacing()
    assert panel.view.height() > panel.height() / 2


def test_dropping_a_folder_and_image_data(panel, store, qtbot, tmp_path):
    make_image(tmp_path / "folder" / "sub" / "deep.jpg", seed=30, fmt="JPEG")
    (tmp_path / "folder" / "readme.md").write_text("not an image")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "folder"))])
    with qtbot.waitSignal(panel.import_finished, timeout=20_000) as blocker:
        drop(panel.view.viewport(), mime)
    assert [store.get(i).title for i in blocker.args[0]] == ["Deep"]

    image = QImage(20, 10, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkCyan)
    data = QMimeData()
    data.setImageData(image)
    with qtbot.waitSignal(panel.import_finished, timeout=20_000) as blocker:
        drop(panel.view.viewport(), data)
    record = store.get(blocker.args[0][0])
    assert record.title == "Dropped image" and (record.width, record.height) == (20, 10)


def test_a_drag_from_the_gallery_is_not_dropped_back_in(panel, store):
    mime = panel.proxy.mimeData([panel.proxy.index(0, 0)])
    assert drop(panel.view.viewport(), mime) == (False, False)
    assert len(store) == 3


def test_drag_out_carries_file_urls_and_ids(panel, store):
    ids = select_titles(panel, "Alpha", "Gamma")
    mime = panel.proxy.mimeData(panel.view.selectionModel().selectedIndexes())
    paths = [u.toLocalFile() for u in mime.urls()]
    assert sorted(paths) == sorted(str(store.get(i).image_path) for i in ids)
    assert sorted(json.loads(bytes(mime.data(STYLES_MIME)))) == sorted(ids)


def test_double_click_uses_one_style_and_enter_uses_a_blend(panel, store, qtbot):
    index = panel.proxy.index(1, 0)
    rect = panel.view.visualRect(index)
    with qtbot.waitSignal(panel.styles_activated) as blocker:
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0] == [index.data(GalleryRole.Path)]
    ids = select_titles(panel, "Alpha", "Beta")
    with qtbot.waitSignal(panel.styles_activated) as blocker:
        qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert blocker.args[0] == [str(store.get(i).image_path) for i in ids]
    assert all(store.get(i).last_used for i in ids)


def test_using_a_style_whose_file_vanished_reports_it(panel, store, qtbot):
    ids = select_titles(panel, "Beta")
    store.get(ids[0]).image_path.unlink()
    with qtbot.assertNotEmitted(panel.styles_activated):
        panel.activate_selected()
    assert "'Beta' was removed from the gallery" in panel.status.text()
    assert titles(panel) == ["Alpha", "Gamma"]


def test_delete_with_undo_redo_and_trash_at_close(panel, store, qtbot):
    beta = select_titles(panel, "Beta")[0]
    beta_path = store.get(beta).image_path
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert titles(panel) == ["Alpha", "Gamma"]
    assert [store.get(i).title for i in panel.selected_ids()] == ["Gamma"]  # the neighbour
    assert beta_path.exists()
    assert "Delete 'Beta'" in panel.status.text()
    qtbot.keyClick(panel.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert titles(panel) == ["Alpha", "Beta", "Gamma"]
    assert panel.selected_ids() == [beta]
    panel.redo_action.trigger()
    assert titles(panel) == ["Alpha", "Gamma"]
    panel.shutdown()
    assert not beta_path.exists()
    assert [p.name.split("-", 1)[1] for p in private_trash_dir().iterdir()] == [beta_path.name]


def test_deleting_the_last_row_selects_the_one_before(panel):
    select_titles(panel, "Beta", "Gamma")
    panel.delete_selected()
    assert titles(panel) == ["Alpha"]
    assert len(panel.selected_ids()) == 1


def test_styles_beyond_the_undo_limit_go_to_the_trash(panel, store):
    panel.undo_stack.setUndoLimit(1)
    alpha = select_titles(panel, "Alpha")[0]
    alpha_path = store.get(alpha).image_path
    panel.delete_selected()
    assert alpha_path.exists()
    select_titles(panel, "Beta")
    panel.delete_selected()  # pushes the first delete off the stack
    assert not alpha_path.exists() and store.trashed_ids() != []
    panel.undo_stack.undo()
    assert titles(panel) == ["Beta", "Gamma"]


def test_search_tag_and_favourite_filters(panel, store, qtbot):
    qtbot.keyClicks(panel.toolbar.search_edit, "anna")
    assert titles(panel) == ["Alpha", "Beta"]
    panel.toolbar.search_edit.clear()
    combo = panel.toolbar.tag_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["All tags", "cold (1)",
                                                                  "warm (2)"]
    combo.setCurrentIndex(combo.findData("warm"))
    assert titles(panel) == ["Beta", "Gamma"]
    combo.setCurrentIndex(0)
    panel.toggle_favourite(select_titles(panel, "Gamma"))
    assert titles(panel) == ["Gamma", "Alpha", "Beta"]
    panel.toolbar.favourites_button.click()
    assert titles(panel) == ["Gamma"]
    panel.undo_action.trigger()  # favourite undone
    assert titles(panel) == []


def test_tag_list_follows_edits(panel, store, qtbot):
    alpha = select_titles(panel, "Alpha")[0]
    panel.edit_style(alpha, {"tags": "cold, blue"})
    combo = panel.toolbar.tag_combo
    qtbot.waitUntil(lambda: combo.count() == 4)
    assert combo.itemData(1) == "blue"


def test_rename_inline_with_undo(panel, store, qtbot):
    alpha = select_titles(panel, "Alpha")[0]
    panel.view.setFocus()
    panel.rename_action.trigger()
    editor = panel.view.findChild(QLineEdit)
    assert editor is not None and editor.text() == "Alpha"
    editor.setText("Aurora")
    with qtbot.assertNotEmitted(panel.styles_activated):  # Enter ends the edit, nothing more
        qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next turn
        qtbot.waitUntil(lambda: store.get(alpha).title == "Aurora")
    panel.undo_action.trigger()
    assert store.get(alpha).title == "Alpha"
    assert not panel.model.setData(panel.model.index_of(alpha), "")
    assert store.get(alpha).title == "Alpha" and "needs a title" in panel.status.text()


def test_edit_details_and_favourite_star(panel, store, qtbot, monkeypatch):
    gamma = select_titles(panel, "Gamma")[0]
    monkeypatch.setattr(gallery_dialogs, "ask_style_details",
                        lambda parent, record: {"artist": "Carla", "year": "1901"})
    panel.details_action.trigger()
    assert (store.get(gamma).artist, store.get(gamma).year) == ("Carla", "1901")

    def click_star():
        index = panel.proxy.mapFromSource(panel.model.index_of(gamma))
        star = panel.delegate.star_rect(panel.view.visualRect(index)).center()
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=star)

    click_star()
    assert store.get(gamma).favourite
    assert titles(panel)[0] == "Gamma"  # favourites first
    click_star()
    assert not store.get(gamma).favourite


def test_add_from_path_and_a_duplicate(panel, store, qtbot, tmp_path):
    path = make_image(tmp_path / "from_window.png", seed=40)
    with qtbot.waitSignal(panel.import_finished, timeout=20_000) as blocker:
        panel.add_from_path(str(path))
    (new_id,) = blocker.args[0]
    with qtbot.waitSignal(panel.import_finished, timeout=20_000) as blocker:
        panel.add_from_path(path)
    assert blocker.args[0] == []
    assert "already in the gallery as 'From window'" in panel.status.text()
    assert panel.selected_ids() == [new_id]


def test_import_action_export_and_archive_import(panel, store, qtbot, tmp_path, monkeypatch):
    picked = [str(make_image(tmp_path / "picked.png", seed=41))]
    monkeypatch.setattr(gallery_dialogs, "ask_image_files", lambda parent: picked)
    with qtbot.waitSignal(panel.import_finished, timeout=20_000):
        panel.import_action.trigger()
    assert "Picked" in titles(panel)
    select_titles(panel, "Alpha", "Picked")
    archive = tmp_path / "shared.nststyles.zip"
    monkeypatch.setattr(gallery_dialogs, "ask_archive_to_export", lambda parent, n: str(archive))
    panel.export_action.trigger()
    assert archive.exists() and "Exported 2 styles" in panel.status.text()
    panel.store.delete(panel.selected_ids())
    monkeypatch.setattr(gallery_dialogs, "ask_archive_to_import", lambda parent: str(archive))
    with qtbot.waitSignal(panel.import_finished, timeout=20_000) as blocker:
        panel.import_archive_action.trigger()
    assert sorted(store.get(i).title for i in blocker.args[0]) == ["Alpha", "Picked"]
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"nope")
    with qtbot.waitSignal(panel.import_finished, timeout=20_000):
        panel.import_archive(bad)
    assert "not a style archive" in panel.status.text()


def test_a_file_removed_behind_the_apps_back_disappears(panel, store, qtbot):
    beta = select_titles(panel, "Beta")[0]
    with qtbot.waitSignal(panel.message, timeout=10_000) as blocker:
        store.get(beta).image_path.unlink()
    assert "'Beta' was removed from the gallery" in blocker.args[0]
    assert titles(panel) == ["Alpha", "Gamma"]


def test_context_menu_and_actions_follow_the_selection(panel, qtbot):
    panel.view.clearSelection()
    assert not panel.delete_action.isEnabled() and panel.import_action.isEnabled()
    select_titles(panel, "Alpha")
    assert panel.delete_action.isEnabled() and panel.use_action.isEnabled()
    menu = gallery_dialogs.context_menu(panel)
    texts = [a.text() for a in menu.actions() if a.text()]
    assert {"Use as Style", "Delete", "Edit Details…", "Import Images…"} <= set(texts)
    menu.close()


def test_what_opening_found_is_reported(qtbot, tmp_path):
    with GalleryStore(seed_starter=False) as first:
        lost = first.add(make_image(tmp_path / "lost.png", seed=50), title="Lost")
        first.add(make_image(tmp_path / "kept.png", seed=51), title="Kept")
    lost.image_path.unlink()  # from a folder that holds others: removed, not unmounted
    widget = GalleryPanel(icon_size=48)  # opens (and owns) the store itself
    qtbot.addWidget(widget)
    try:
        with qtbot.waitSignal(widget.message) as blocker:
            pass
        assert "'Lost' was removed from the gallery" in blocker.args[0]
        assert titles(widget) == ["Kept"]  # a gallery with images is no first start
    finally:
        widget.shutdown()


def test_a_grid_that_shows_nothing_says_why(panel, qtbot):
    proxy, viewport = panel.proxy, panel.view.viewport()
    assert proxy.rowCount() == 3 and proxy.empty_text() == ""
    proxy.set_search_text("picasso")
    assert proxy.rowCount() == 0
    assert proxy.empty_text() == "No painting matches “picasso”."
    qtbot.waitUntil(lambda: inked_pixels(viewport) > 50)  # said on the grid
    with qtbot.waitSignal(proxy.filter_changed):  # the grid repaints: rows stay at none
        proxy.set_tag("warm")
    assert proxy.empty_text() == "No painting matches “picasso” tagged “warm”."
    proxy.set_search_text("")
    proxy.set_tag(None)
    proxy.set_favourites_only(True)
    assert proxy.rowCount() == 0
    assert proxy.empty_text().startswith("No favourites yet")
    proxy.set_favourites_only(False)
    qtbot.waitUntil(lambda: proxy.rowCount() == 3)


def test_an_empty_gallery_says_how_to_fill_it(qtbot):
    store = GalleryStore(seed_starter=False)
    widget = GalleryPanel(store, icon_size=48)
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    try:
        assert widget.proxy.rowCount() == 0
        assert "Drop paintings here" in widget.proxy.empty_text()
        qtbot.waitUntil(lambda: inked_pixels(widget.view.viewport()) > 50)
    finally:
        widget.close()
        store.close()
