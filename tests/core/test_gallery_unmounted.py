"""An images folder that is gone or empty while the database still names its styles (a
drive that is not mounted, a broken link, a sync client that has not caught up) loses no
record: the styles are hidden, and come back with their titles and tags when the images do.
Only an image removed from a folder that still holds the others drops its record."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from nst_desktop.core.gallery_store import DB_NAME, GalleryStore
from tests.gallery_helpers import assert_consistent, make_image


def _titles_in_database(root: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(root / DB_NAME)
    try:
        return sorted(conn.execute("SELECT title, tags FROM styles").fetchall())
    finally:
        conn.close()


def _gallery(tmp_path: Path) -> tuple[Path, list[tuple[str, str]]]:
    with GalleryStore(seed_starter=False) as store:
        store.add(make_image(tmp_path / "a.png", seed=31), title="Night", tags=["blue"])
        store.add(make_image(tmp_path / "b.png", seed=32), title="Sea", tags=["green"])
        root = store.root
    return root, _titles_in_database(root)


def test_an_images_folder_gone_between_sessions_keeps_every_record(tmp_path):
    root, rows = _gallery(tmp_path)
    saved = tmp_path / "saved"
    shutil.move(root / "images", saved)  # the drive is not mounted when the app starts
    with GalleryStore(seed_starter=False) as store:
        assert store.open_report.missing == []
        assert len(store.open_report.unavailable) == 2 and len(store) == 0
        store.sync()  # the window syncs now and then: still nothing dropped
    with GalleryStore(seed_starter=False):  # and started again, still without the drive
        pass
    assert _titles_in_database(root) == rows
    shutil.rmtree(root / "images")
    shutil.move(saved, root / "images")  # the drive is back
    with GalleryStore(seed_starter=False) as store:
        assert sorted(r.title for r in store.styles()) == ["Night", "Sea"]
        assert not store.open_report
    assert len(assert_consistent(root)) == 2


def test_a_second_sync_with_the_images_folder_still_gone_drops_nothing(tmp_path):
    root, rows = _gallery(tmp_path)
    with GalleryStore(seed_starter=False) as store:
        saved = tmp_path / "saved"
        shutil.move(store.images_dir, saved)
        for _ in range(3):
            report = store.sync()
            assert report.missing == [] and len(report.unavailable) == 2
        assert "2 styles are hidden, not deleted" in report.messages()[0]
        assert _titles_in_database(root) == rows
        if store.images_dir.exists():
            store.images_dir.rmdir()
        shutil.move(saved, store.images_dir)
        store.sync()
        assert sorted((r.title, r.tags) for r in store.styles()) == [
            ("Night", ("blue",)), ("Sea", ("green",))]


def test_an_empty_images_folder_is_an_absent_drive_not_a_deletion(tmp_path):
    root, rows = _gallery(tmp_path)
    saved = tmp_path / "saved"
    shutil.move(root / "images", saved)
    (root / "images").mkdir()  # an empty mount point
    with GalleryStore(seed_starter=False) as store:
        assert store.open_report.missing == [] and len(store.open_report.unavailable) == 2
    assert _titles_in_database(root) == rows


def test_one_image_removed_from_a_folder_that_holds_the_others_drops_its_record(tmp_path):
    root, _ = _gallery(tmp_path)
    with GalleryStore(seed_starter=False) as store:
        night = store.search("night")[0]
        night.image_path.unlink()
        report = store.sync()
        assert [r.title for r in report.missing] == ["Night"] and report.unavailable == []
    assert [title for title, _ in _titles_in_database(root)] == ["Sea"]
