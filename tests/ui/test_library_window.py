"""The gallery and history in the real app's window: built by open_window and main, optional
for a bare MainWindow, and never in the way of starting up with a broken home."""

from __future__ import annotations

import sqlite3

from PySide6.QtWidgets import QApplication, QLabel

from nst_desktop.core.gallery_store import DB_NAME
from nst_desktop.core.paths import gallery_dir
from nst_desktop.engine import DeviceInfo
from nst_desktop.ui.app import open_window, parse_args
from nst_desktop.ui.gallery_panel import GalleryPanel
from nst_desktop.ui.history_panel import HistoryPanel
from nst_desktop.ui.main_window import MainWindow

STARTER_TITLES = {"The Starry Night", "The Scream", "The Shipwreck"}


def gallery_titles(gallery: GalleryPanel) -> set[str]:
    return {gallery.proxy.index(r, 0).data() for r in range(gallery.proxy.rowCount())}


def menu_texts(menu) -> list[str]:
    return [a.text() for a in menu.actions() if a.isVisible() and not a.isSeparator()]


def test_the_app_window_has_the_starter_gallery_and_the_history(qtbot, content_file):
    window = open_window(parse_args(["--content", str(content_file)]))
    qtbot.addWidget(window)
    library = window.library
    assert library is not None
    assert isinstance(library.gallery, GalleryPanel) and isinstance(library.history, HistoryPanel)
    assert window.gallery_dock.widget() is library.gallery
    assert window.history_dock.widget() is library.history
    assert gallery_titles(library.gallery) == STARTER_TITLES
    # Both docks are shown, as tabs of one place; the gallery is the tab in front.
    window.show()
    qtbot.waitExposed(window)
    assert window.tabifiedDockWidgets(window.gallery_dock) == [window.history_dock]
    assert not window.gallery_dock.visibleRegion().isEmpty()
    assert window.history_dock.visibleRegion().isEmpty()  # behind the gallery's tab
    # The centre keeps most of the room.
    assert window.centralWidget().width() > window.gallery_dock.width()
    assert window.result_pane.width() > window.inputs_splitter.width()
    # The menus.
    view = menu_texts(window.view_menu)
    assert "Gallery" in view and "History" in view
    gallery_menu = library.gallery_menu
    assert gallery_menu.menuAction() in window.menuBar().actions()
    assert menu_texts(gallery_menu) == [
        "Use as Style",
        "Add Style to Gallery",
        "Import Images…",
        "Import Style Archive…",
        "Export Selected as Archive…",
    ]
    assert window.style_pane.actions()[0] is library.add_style_action
    # The photo from the command line is there too.
    assert window.content is not None and window.content.path == str(content_file)


def test_closing_the_window_shuts_the_library_down(qtbot):
    window = open_window(parse_args([]))
    qtbot.addWidget(window)
    gallery, history = window.library.gallery, window.library.history
    window.show()
    qtbot.waitExposed(window)
    assert window.close()
    assert gallery._closed and gallery.store._conn is None  # the panel owned its store
    assert history._closing.is_set()
    assert window.undo_stack.count() == 0  # no step left that would reach the closed store


def test_a_bare_main_window_has_no_library_and_hides_its_places(qtbot):
    window = MainWindow(devices=[DeviceInfo("cpu", "CPU")])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.library is None
    assert not window.gallery_dock.isVisible() and not window.history_dock.isVisible()
    view = menu_texts(window.view_menu)
    assert "Gallery" not in view and "History" not in view
    assert [a.text() for a in window.style_pane.actions()] == ["Remove All Styles"]
    assert window.style_title("/x/starry_night.jpg") == "starry_night"
    assert window.close()


def test_a_home_that_cannot_be_written_still_starts_the_app(
    qtbot, monkeypatch, tmp_path, content_file, style_file
):
    not_a_folder = tmp_path / "home"
    not_a_folder.write_text("a file where the home folder should be")
    monkeypatch.setenv("NST_DESKTOP_HOME", str(not_a_folder))
    window = open_window(parse_args(["--content", str(content_file)]))
    qtbot.addWidget(window)
    library = window.library
    assert library.gallery is None and library.history is None
    status = window.status_label.text()
    assert "Settings cannot be saved" in status
    assert "The style gallery cannot be opened" in status
    assert "The run history cannot be opened" in status
    for dock in (window.gallery_dock, window.history_dock):
        label = dock.widget()
        assert isinstance(label, QLabel) and "Not a directory" in label.text()
    # The rest of the window works.
    assert window.inputs.open_path(str(style_file), "style")
    assert window.run_action.isEnabled()
    assert window.style_pane.entries[0].name == "painting.png"
    assert window.close()


def test_main_starts_with_a_broken_home(qtbot, monkeypatch, tmp_path):
    from nst_desktop.ui import app as app_module

    not_a_folder = tmp_path / "home"
    not_a_folder.write_text("")
    monkeypatch.setenv("NST_DESKTOP_HOME", str(not_a_folder))
    seen = []

    def fake_exec():
        shown = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, MainWindow) and w.isVisible()]
        seen.extend(shown)
        for w in shown:
            w.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", staticmethod(fake_exec))
    assert app_module.main([]) == 0
    (window,) = seen
    assert "gallery cannot be opened" in window.status_label.text()
    window.deleteLater()


def test_a_gallery_from_a_newer_version_is_left_alone_and_explained(qtbot):
    folder = gallery_dir()
    folder.mkdir(parents=True)
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("PRAGMA user_version = 99")
    conn.execute("CREATE TABLE future (x)")
    conn.commit()
    conn.close()
    window = open_window(parse_args([]))
    qtbot.addWidget(window)
    assert window.library.gallery is None
    assert "newer version" in window.status_label.text()
    assert "newer version" in window.gallery_dock.widget().text()
    assert window.library.history is not None  # the history opens on its own
    assert not hasattr(window.library, "gallery_menu")
    conn = sqlite3.connect(folder / DB_NAME)
    try:  # the newer gallery is still as that version left it
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 99
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("future",)]
    finally:
        conn.close()
    assert window.close()


def test_dock_places_are_remembered_and_a_hidden_gallery_stays_hidden(qtbot):
    first = open_window(parse_args([]))
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.gallery_dock.toggleViewAction().trigger()  # the person closes the gallery
    assert not first.gallery_dock.isVisible()
    assert first.close()

    second = open_window(parse_args([]))
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert second.state_restored
    assert not second.gallery_dock.isVisible() and second.history_dock.isVisible()
    second.gallery_dock.toggleViewAction().trigger()
    assert second.gallery_dock.isVisible()
    assert second.close()


def test_a_window_state_from_before_the_history_dock_is_not_applied(qtbot):
    old = MainWindow(devices=[DeviceInfo("cpu", "CPU")])
    old.settings.save_window_state(old.saveGeometry(), old.saveState(0))  # version 0
    old.settings.sync()
    old.deleteLater()
    window = open_window(parse_args([]))
    qtbot.addWidget(window)
    assert not window.state_restored
    window.show()
    qtbot.waitExposed(window)
    assert window.gallery_dock.isVisible()  # not hidden by the old state
    assert window.close()
