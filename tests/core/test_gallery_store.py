"""The gallery store on a temporary home: adding, editing, searching, deleting."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from nst_desktop.core import paths
from nst_desktop.core.gallery_records import SortOrder
from nst_desktop.core.gallery_store import GalleryStore, StoreChange
from nst_desktop.core.trash import private_trash_dir
from nst_desktop.errors import DuplicateStyleError, GalleryError, ImageLoadError
from tests.gallery_helpers import assert_consistent, gallery_files, make_image


@pytest.fixture
def store():
    s = GalleryStore(seed_starter=False)
    yield s
    s.close()


def test_first_start_brings_the_starter_paintings_once(temp_home):
    manifest = json.loads((paths.resource_dir() / "gallery" / "manifest.json").read_text())
    with GalleryStore() as store:
        found = {(r.title, r.artist, r.year) for r in store.styles()}
        assert found == {
            ("The Starry Night", "Vincent van Gogh", "1889"),
            ("The Scream", "Edvard Munch", "1893"),
            ("The Shipwreck", "J. M. W. Turner", "1805"),
        }
        assert all(r.source.startswith("Public domain") for r in store.styles())
        assert len(manifest["styles"]) == 3
        scream = store.search("munch")[0]
        assert (scream.width, scream.height) == (1200, 1528)
        store.delete([scream.id])
    assert_consistent(paths.gallery_dir())
    with GalleryStore() as store:  # deleted starters stay deleted
        assert sorted(r.title for r in store.styles()) == ["The Shipwreck", "The Starry Night"]


def test_no_photos_are_shipped():
    shipped = {p.name for p in (paths.resource_dir() / "gallery").iterdir()}
    assert not shipped & {"tubingen.jpg", "golden_gate.jpg"}


def test_add_copies_the_image_and_makes_a_thumbnail(store, tmp_path):
    src = make_image(tmp_path / "my_great-painting.png", seed=1, size=(40, 30))
    record = store.add(src, artist="Me", tags="Abstract, blue ,abstract")
    assert record.title == "My great painting"
    assert record.artist == "Me"
    assert record.tags == ("abstract", "blue")
    assert (record.width, record.height) == (40, 30)
    assert record.image_path.parent == store.images_dir
    assert record.image_path.read_bytes() == src.read_bytes()
    with Image.open(record.thumbnail_path) as thumb:
        assert max(thumb.size) <= 256
    assert src.exists()  # the person's own file is untouched
    assert store.get(record.id) == record
    assert_consistent(store.root)


def test_find_a_style_by_its_image_path(store, tmp_path):
    record = store.add(make_image(tmp_path / "a.png", seed=30), title="Found")
    assert store.find_by_path(str(record.image_path)) == record
    assert store.title_for_path(record.image_path) == "Found"
    assert store.title_for_path(tmp_path / "a.png") is None  # the original is not ours


def test_the_same_image_twice_is_refused_with_the_existing_record(store, tmp_path):
    first = store.add(make_image(tmp_path / "a.png", seed=2))
    copy = tmp_path / "copy.png"
    copy.write_bytes((tmp_path / "a.png").read_bytes())
    with pytest.raises(DuplicateStyleError, match="already in the gallery") as err:
        store.add(copy)
    assert err.value.existing == first
    assert len(store) == 1
    assert_consistent(store.root)


@pytest.mark.parametrize("kind", ["text", "empty", "truncated", "folder", "missing"])
def test_bad_files_are_reported_and_leave_nothing_behind(store, tmp_path, kind):
    bad = tmp_path / "bad.jpg"
    if kind == "text":
        bad.write_text("not an image at all")
    elif kind == "empty":
        bad.write_bytes(b"")
    elif kind == "truncated":
        make_image(tmp_path / "full.jpg", seed=3, size=(64, 64), fmt="JPEG")
        bad.write_bytes((tmp_path / "full.jpg").read_bytes()[:400])
    elif kind == "folder":
        bad.mkdir()
    with pytest.raises(ImageLoadError, match="bad.jpg") as info:
        store.add(bad)
    assert len(store) == 0
    assert gallery_files(store.root) == (set(), set())
    # The words the photo and painting panes use, not Pillow's ("image file is truncated
    # (128 bytes not processed)").
    expected = {
        "text": "is not an image file, or not a kind of image this app can read",
        "empty": "is empty",
        "truncated": "is incomplete or damaged: the image data ends too early",
        "folder": "is a folder",
        "missing": "does not exist",
    }[kind]
    assert expected in str(info.value)
    assert "bytes not processed" not in str(info.value)


def test_a_huge_image_is_refused_before_decoding(store, tmp_path):
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    with pytest.raises(ImageLoadError, match="too large") as info:
        store.add(bomb)
    assert "30000 × 30000" in str(info.value) and "900.0 megapixels" in str(info.value)
    assert len(store) == 0


def test_a_painting_the_photo_pane_opens_the_gallery_takes_too(store, tmp_path):
    """A museum scan of 90 megapixels: past Pillow's own 89.5 MP warning, inside the app's
    179 MP limit. The gallery refused what the photo and painting panes open."""
    from nst_desktop.core.imageio import load_image

    scan = tmp_path / "scan.jpg"
    Image.new("RGB", (10_000, 9_000), (180, 120, 60)).save(scan, quality=50)
    assert load_image(scan).size == (10_000, 9_000)
    record = store.add(scan)
    assert (record.width, record.height) == (10_000, 9_000)
    assert record.thumbnail_path.is_file()


@pytest.mark.parametrize("mode", ["CMYK", "I;16", "P", "RGBA", "LA", "L"])
def test_odd_image_modes_are_imported(store, tmp_path, mode):
    path = tmp_path / f"odd-{mode.replace(';', '')}.{'jpg' if mode == 'CMYK' else 'png'}"
    if mode == "I;16":
        import numpy as np

        Image.fromarray((np.arange(32 * 20).reshape(20, 32) * 90).astype(np.uint16)).save(path)
    else:
        make_image(path, seed=4, size=(32, 20), mode=mode)
    record = store.add(path)
    assert (record.width, record.height) == (32, 20)
    with Image.open(record.thumbnail_path) as thumb:
        assert thumb.mode == "RGB" and thumb.size == (32, 20)
        if mode == "I;16":  # 16-bit is scaled, not clipped to white
            assert 200 < thumb.convert("L").getextrema()[1] < 255


def test_exif_rotation_gives_upright_size(store, tmp_path):
    path = make_image(tmp_path / "rotated.jpg", seed=5, size=(40, 20), fmt="JPEG")
    with Image.open(path) as image:
        exif = image.getexif()
        exif[0x0112] = 6  # rotate 90 degrees on display
        image.save(path, exif=exif)
    record = store.add(path)
    assert (record.width, record.height) == (20, 40)
    with Image.open(record.thumbnail_path) as thumb:
        assert thumb.size == (20, 40)


def test_rename_tag_favourite_and_their_validation(store, tmp_path):
    record = store.add(make_image(tmp_path / "x.png", seed=6))
    assert store.rename(record.id, "  Sunset   over  sea ").title == "Sunset over sea"
    assert store.update(record.id, tags=["Sea", "sunset", "SEA"]).tags == ("sea", "sunset")
    assert store.set_favourite(record.id, True).favourite
    assert store.update(record.id, year=1830).year == "1830"
    with pytest.raises(GalleryError, match="needs a title"):
        store.rename(record.id, "   ")
    with pytest.raises(GalleryError, match="Unknown style field"):
        store.update(record.id, filename="evil.png")
    with GalleryStore(seed_starter=False) as again:  # persisted
        kept = again.get(record.id)
        assert (kept.title, kept.tags, kept.favourite, kept.year) == (
            "Sunset over sea", ("sea", "sunset"), True, "1830")


def test_search_filter_and_order(store, tmp_path):
    a = store.add(make_image(tmp_path / "a.png", seed=7), title="Water Lilies",
                  artist="Claude Monet", year="1906", tags="impressionism, water")
    b = store.add(make_image(tmp_path / "b.png", seed=8), title="Wheatfield",
                  artist="Vincent van Gogh", year="1888", tags="fields")
    c = store.add(make_image(tmp_path / "c.png", seed=9), title="Almond Blossom",
                  artist="Vincent van Gogh", year="1890", tags="impressionism")
    assert [r.id for r in store.search("van gogh")] == [c.id, b.id]
    assert [r.id for r in store.search("GOGH wheat")] == [b.id]
    assert [r.id for r in store.search("1906")] == [a.id]
    assert [r.id for r in store.search("water")] == [a.id]  # a tag
    assert [r.id for r in store.search(tag="impressionism")] == [c.id, a.id]
    assert store.search("nothing matches") == []
    store.set_favourite(b.id, True)
    assert [r.id for r in store.styles()] == [b.id, c.id, a.id]  # favourites first
    assert [r.id for r in store.search(favourites_only=True)] == [b.id]
    assert store.tags() == [("fields", 1), ("impressionism", 2), ("water", 1)]
    store.mark_used([a.id])
    assert [r.id for r in store.styles(SortOrder.RECENTLY_USED)] == [b.id, a.id, c.id]


def test_trash_restore_and_purge(store, tmp_path):
    keep = store.add(make_image(tmp_path / "keep.png", seed=10))
    gone = store.add(make_image(tmp_path / "gone.png", seed=11))
    changes: list[StoreChange] = []
    store.add_listener(changes.append)
    store.trash([gone.id])
    assert gone.id not in store and store.trashed_ids() == [gone.id]
    assert gone.image_path.exists()  # kept for undo
    store.restore([gone.id])
    assert gone.id in store and store.trashed_ids() == []
    store.trash([gone.id])
    store.purge()
    assert not gone.image_path.exists() and not gone.thumbnail_path.exists()
    trashed = list(private_trash_dir().iterdir())
    assert [p.read_bytes() for p in trashed] == [(tmp_path / "gone.png").read_bytes()]
    assert [len(c.removed) for c in changes] == [1, 0, 1]
    assert [r.id for r in changes[1].added] == [gone.id]
    assert [r.id for r in store.styles()] == [keep.id]
    assert_consistent(store.root)


def test_styles_left_trashed_by_a_previous_session_are_purged_on_open(tmp_path):
    with GalleryStore(seed_starter=False) as store:
        record = store.add(make_image(tmp_path / "a.png", seed=12))
        store.trash([record.id])
    with GalleryStore(seed_starter=False) as store:
        assert len(store) == 0 and store.trashed_ids() == []
    assert not record.image_path.exists()
    assert_consistent(record.image_path.parent.parent)


def test_a_file_removed_behind_the_apps_back_is_reported_and_dropped(store, tmp_path):
    kept = store.add(make_image(tmp_path / "kept.png", seed=13), title="Kept")
    lost = store.add(make_image(tmp_path / "lost.png", seed=14), title="Lost")
    changes: list[StoreChange] = []
    store.add_listener(changes.append)
    lost.image_path.unlink()
    report = store.sync()
    assert [r.id for r in report.missing] == [lost.id]
    assert "'Lost' was removed from the gallery" in report.messages()[0]
    assert [r.id for r in store.styles()] == [kept.id]
    assert changes[-1].removed == [lost.id]
    assert_consistent(store.root)


def test_vanished_files_found_on_open(tmp_path):
    with GalleryStore(seed_starter=False) as store:
        record = store.add(make_image(tmp_path / "a.png", seed=15))
        root = store.root
    record.image_path.unlink()
    with GalleryStore(seed_starter=False) as store:
        assert [r.id for r in store.open_report.missing] == [record.id]
    assert_consistent(root)


def test_a_missing_images_folder_hides_the_styles_without_deleting_them(store, tmp_path):
    import shutil

    record = store.add(make_image(tmp_path / "b.png", seed=16), title="Kept")
    saved = tmp_path / "saved"
    shutil.copytree(store.images_dir, saved)
    shutil.rmtree(store.images_dir)  # a drive that is not mounted, a broken link
    report = store.sync()
    assert report.missing == [] and [r.id for r in report.unavailable] == [record.id]
    assert "hidden, not deleted" in report.messages()[0]
    assert len(store) == 0
    shutil.rmtree(store.images_dir)
    shutil.copytree(saved, store.images_dir)  # the drive is back
    store.sync()
    assert [r.title for r in store.styles()] == ["Kept"]
    assert_consistent(store.root)


def test_images_put_into_the_folder_are_adopted(store, tmp_path):
    make_image(store.images_dir / "dropped_in.png", seed=17)
    (store.images_dir / "notes.txt").write_text("not an image")
    report = store.sync()
    assert [r.title for r in report.adopted] == ["Dropped in"]
    assert any("notes.txt" in p for p in report.problems)
    assert not store.sync()  # the bad file is not reported again
    assert_consistent(store.root)


def test_a_damaged_database_is_set_aside_and_rebuilt_from_the_images(tmp_path):
    with GalleryStore(seed_starter=False) as store:
        store.add(make_image(tmp_path / "a.png", seed=18), title="A")
        store.add(make_image(tmp_path / "b.png", seed=19), title="B")
        db = store.db_path
    db.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    with GalleryStore() as store:
        assert len(store) == 2  # images kept, titles lost, no starter re-seeding
        assert all(r.title.startswith("Recovered style") for r in store.styles())
        assert store.open_report.recovered_database.exists()
        assert "damaged" in store.open_report.messages()[0]
    assert_consistent(db.parent)


def test_a_database_from_a_newer_version_is_refused_untouched(temp_home):
    GalleryStore(seed_starter=False).close()
    db = paths.gallery_dir() / "gallery.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(GalleryError, match="newer version"):
        GalleryStore()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 99
    conn.close()


def test_database_uses_wal(store):
    conn = sqlite3.connect(store.db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("the_starry-night.jpg", "The starry night"),
        ("van-gogh_1889.jpg", "Van gogh 1889"),
        ("Pasted 2026-12-04 23.20.12.png", "Pasted 2026-12-04 23.20.12"),  # a kept paste
        ("img-2023-01-05.png", "Img 2023-01-05"),
        ("12_34.png", "12 34"),
        ("-.png", "Untitled style"),
    ],
)
def test_a_starting_title_comes_from_the_file_name_keeping_dates(name, title):
    from nst_desktop.core.gallery_records import title_from_filename

    assert title_from_filename(Path(name)) == title
