"""Opening a gallery written by an older version migrates its database in place."""

from __future__ import annotations

import hashlib
import sqlite3
import time

import pytest

from nst_desktop.core import gallery_db, paths
from nst_desktop.core.gallery_store import GalleryStore
from tests.gallery_helpers import assert_consistent, make_image

# The version-1 schema exactly as release 1 wrote it.
V1_SCHEMA = """
CREATE TABLE styles (
    id TEXT PRIMARY KEY,
    filename TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    artist TEXT NOT NULL DEFAULT '',
    year TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    favourite INTEGER NOT NULL DEFAULT 0,
    added REAL NOT NULL
);
PRAGMA user_version = 1;
"""


def _make_v1_gallery():
    root = paths.gallery_dir()
    (root / "thumbnails").mkdir(parents=True)
    ids = ["a" * 32, "b" * 32]
    make_image(root / "images" / f"{ids[0]}.png", seed=1, size=(30, 20))
    make_image(root / "images" / f"{ids[1]}.png", seed=2, size=(12, 34))
    for style_id in ids:
        make_image(root / "thumbnails" / f"{style_id}.jpg", seed=3, fmt="JPEG")
    conn = sqlite3.connect(root / "gallery.sqlite3")
    conn.executescript(V1_SCHEMA)
    conn.executemany(
        "INSERT INTO styles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (ids[0], f"{ids[0]}.png", "Night", "Someone", "1889", "", "Night, Swirls,,",
             1, time.time()),
            (ids[1], f"{ids[1]}.png", "Sea", "", "", "museum", "", 0, time.time()),
        ],
    )
    conn.commit()
    conn.close()
    return root, ids


def test_a_version_1_gallery_is_migrated(temp_home):
    root, ids = _make_v1_gallery()
    with GalleryStore() as store:
        night, sea = store.get(ids[0]), store.get(ids[1])
        assert len(store) == 2  # the starter paintings are not added to an old gallery
        assert night.tags == ("night", "swirls") and night.favourite
        assert sea.tags == () and sea.source == "museum"
        assert (night.width, night.height, sea.width, sea.height) == (30, 20, 12, 34)
        digest = hashlib.sha256((root / "images" / f"{ids[0]}.png").read_bytes()).hexdigest()
        assert night.sha256 == digest
        # What version 2 adds works on the migrated records.
        store.mark_used([ids[1]])
        store.trash([ids[0]])
        assert [r.id for r in store.styles()] == [ids[1]]
    conn = sqlite3.connect(root / "gallery.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == gallery_db.SCHEMA_VERSION == 3
    conn.close()
    assert_consistent(root)


def test_a_migration_that_fails_leaves_version_1_intact(temp_home, monkeypatch):
    root, ids = _make_v1_gallery()

    def broken(path):
        raise RuntimeError("interrupted mid-migration")

    with monkeypatch.context() as patch:
        patch.setattr(gallery_db, "_describe_file", broken)
        with pytest.raises(RuntimeError):
            GalleryStore()
    conn = sqlite3.connect(root / "gallery.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [row[1] for row in conn.execute("PRAGMA table_info(styles)")]
    assert "sha256" not in columns
    conn.close()
    with GalleryStore() as store:  # and the next try succeeds
        assert store.get(ids[0]).tags == ("night", "swirls")
