"""Nothing the person put in the gallery is lost: a lost or damaged database, a full disk,
two copies of the app at once, a kill -9 at any moment.

Each test is written as the failure it prevents. The multi-process tests run real
processes (tests/core/gallery_child.py), never threads.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from nst_desktop.core import gallery_db, paths
from nst_desktop.core.gallery_store import DB_NAME, GalleryStore
from nst_desktop.core.trash import private_trash_dir
from nst_desktop.errors import GalleryError
from tests.gallery_helpers import assert_consistent, make_image

ROOT = Path(__file__).resolve().parents[2]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sources(folder: Path, count: int, first: int = 0) -> Path:
    for n in range(first, first + count):
        make_image(folder / f"{n}.png", seed=1000 + n, size=(12, 10))
    return folder


def _child(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.core.gallery_child", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen, timeout: float = 240) -> list[str]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out.splitlines()


def _gallery_with(tmp_path: Path, count: int) -> tuple[Path, dict[str, str]]:
    """A closed gallery of ``count`` styles; (root, {sha256: title})."""
    with GalleryStore(seed_starter=False) as store:
        for n in range(count):
            store.add(make_image(tmp_path / f"s{n}.png", seed=500 + n), title=f"Style {n}",
                      source="x" * 400)
        titles = {r.sha256: r.title for r in store.styles()}
        return store.root, titles


def _image_hashes(root: Path) -> set[str]:
    return {_digest(p) for p in (root / "images").iterdir() if not p.name.startswith(".")}


# -- a lost, emptied or damaged database -------------------------------------------------

@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_lost_database_keeps_every_image_recovered_into_the_gallery(tmp_path, how):
    root, titles = _gallery_with(tmp_path, 4)
    before = _image_hashes(root)
    db = root / DB_NAME
    if how == "deleted":
        db.unlink()
    else:
        db.write_bytes(b"")
    with GalleryStore() as store:  # starter paintings allowed: they must not come back
        assert {r.sha256 for r in store.styles()} == set(titles)
        assert all(r.title.startswith("Recovered style") for r in store.styles())
        assert all("Recovered" in r.source for r in store.styles())
        assert "4 styles whose details were lost were recovered" in " ".join(
            store.open_report.messages())
    assert _image_hashes(root) == before
    assert_consistent(root)


def test_a_recovered_starter_painting_gets_its_title_back(temp_home):
    with GalleryStore() as store:
        starters = {r.sha256: r.title for r in store.styles()}
    (paths.gallery_dir() / DB_NAME).unlink()
    with GalleryStore() as store:
        assert {r.sha256: r.title for r in store.styles()} == starters


def test_a_damaged_database_is_set_aside_and_its_readable_rows_salvaged(tmp_path):
    root, titles = _gallery_with(tmp_path, 60)
    db = root / DB_NAME
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    data[5 * page:6 * page] = os.urandom(page)  # one page of the middle is garbage
    db.write_bytes(bytes(data))
    with GalleryStore() as store:
        assert store.open_report.recovered_database is not None
        assert store.open_report.recovered_database.exists()
        found = {r.sha256: r.title for r in store.styles()}
    assert set(found) == set(titles)  # every image is still listed
    salvaged = [sha for sha, title in found.items() if title == titles[sha]]
    assert len(salvaged) >= 30, "the rows SQLite could still read keep their titles"
    assert_consistent(root)


def test_a_full_disk_at_start_renames_nothing(tmp_path, monkeypatch):
    root, titles = _gallery_with(tmp_path, 3)
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorname = "SQLITE_FULL"  # type: ignore[attr-defined]

    def no_space(path):
        raise full

    with monkeypatch.context() as patch:
        patch.setattr(gallery_db, "connect", no_space)
        with pytest.raises(GalleryError, match="the disk is full.*Nothing in it was changed"):
            GalleryStore()
    assert sorted(p.name for p in root.iterdir() if "damaged" in p.name) == []
    with GalleryStore() as store:  # space freed: every style is there, titles and all
        assert {r.sha256: r.title for r in store.styles()} == titles


def test_a_really_full_disk_at_start_renames_nothing(tmp_path, temp_home):
    """The same on a real 600 KB disk filled to the last byte (needs root to mount)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a small disk needs root")
    try:
        os.environ["NST_DESKTOP_HOME"] = str(disk)
        with GalleryStore(seed_starter=False) as store:
            for n in range(3):
                store.add(make_image(tmp_path / f"f{n}.png", seed=n), title=f"Full {n}")
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError:
                pass
        try:
            GalleryStore(seed_starter=False).close()  # may open (reading needs no space)
        except GalleryError as exc:
            assert "Nothing in it was changed" in str(exc)
        root = paths.gallery_dir()
        assert [p.name for p in root.iterdir() if "damaged" in p.name] == []
        filler.unlink()
        with GalleryStore(seed_starter=False) as store:
            assert sorted(r.title for r in store.styles()) == ["Full 0", "Full 1", "Full 2"]
    finally:
        os.environ["NST_DESKTOP_HOME"] = str(temp_home)
        subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.parametrize("message", ["database is locked", "attempt to write a readonly database",
                                     "disk I/O error", "unable to open database file"])
def test_a_database_that_cannot_be_opened_now_is_never_set_aside(tmp_path, monkeypatch,
                                                                  message):
    root, titles = _gallery_with(tmp_path, 2)

    def fails(path):
        raise sqlite3.OperationalError(message)

    with monkeypatch.context() as patch:
        patch.setattr(gallery_db, "connect", fails)
        with pytest.raises(GalleryError, match="cannot be opened now"):
            GalleryStore()
    assert [p.name for p in root.iterdir() if "damaged" in p.name] == []
    with GalleryStore() as store:
        assert {r.sha256: r.title for r in store.styles()} == titles


# -- two copies of the app ------------------------------------------------------------------

def test_a_second_process_opening_the_gallery_while_the_first_adds_300_loses_none(tmp_path):
    src = _sources(tmp_path / "src", 300)
    GalleryStore(seed_starter=False).close()
    stop = tmp_path / "stop"
    opener = _child("open-until", str(stop))
    adder = _child("add", str(src), "0", "300")
    added = [line.split() for line in _finish(adder)]
    stop.touch()
    opens = int(_finish(opener)[0])
    assert opens > 0
    ids = {fields[2] for fields in added if fields[0] == "added"}
    assert len(ids) == 300
    with GalleryStore(seed_starter=False) as store:
        assert {r.id for r in store.styles()} == ids
    assert len(assert_consistent(paths.gallery_dir())) == 300


def test_two_processes_adding_200_each_lose_none(tmp_path):
    src = _sources(tmp_path / "src", 400)
    GalleryStore(seed_starter=False).close()
    first, second = _child("add", str(src), "0", "200"), _child("add", str(src), "200", "200")
    ids = {line.split()[2] for line in (*_finish(first), *_finish(second))}
    assert len(ids) == 400
    with GalleryStore(seed_starter=False) as store:
        assert {r.id for r in store.styles()} == ids
    assert_consistent(paths.gallery_dir())


def test_two_processes_adding_the_same_images_make_one_style_each(tmp_path):
    src = _sources(tmp_path / "src", 60)
    GalleryStore(seed_starter=False).close()
    first, second = _child("add", str(src), "0", "60"), _child("add", str(src), "0", "60")
    lines = [*_finish(first), *_finish(second)]
    assert sum(line.startswith("added") for line in lines) == 60
    with GalleryStore(seed_starter=False) as store:
        hashes = [r.sha256 for r in store.styles()]
    assert len(hashes) == len(set(hashes)) == 60
    assert_consistent(paths.gallery_dir())


def test_opening_does_not_purge_the_undoable_trash_of_another_open_copy(tmp_path):
    with GalleryStore(seed_starter=False) as store:
        record = store.add(make_image(tmp_path / "a.png", seed=1))
        store.trash([record.id])  # the person can still undo this while another copy opens
        opener = subprocess.run(
            [sys.executable, "-c", "from nst_desktop.core.gallery_store import GalleryStore;"
             "GalleryStore(seed_starter=False).close()"],
            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
        assert opener.returncode == 0, opener.stderr
        assert record.image_path.exists()
        assert [r.id for r in store.restore([record.id])] == [record.id]
    with GalleryStore(seed_starter=False) as store:
        assert record.id in store


def test_a_second_copy_sees_the_first_ones_additions_on_sync(tmp_path):
    src = _sources(tmp_path / "src", 5)
    with GalleryStore(seed_starter=False) as store:
        changes = []
        store.add_listener(changes.append)
        _finish(_child("add", str(src), "0", "5"))
        report = store.sync()
        assert not report.recovered  # another copy's styles, not lost ones
        assert len(store) == 5 and sum(len(c.added) for c in changes) == 5


# -- kill -9 at any moment -------------------------------------------------------------------

@pytest.mark.parametrize("kill_after", [1, 4, 9, 15, 22, 30])
def test_a_kill_at_any_point_of_add_delete_restore_loses_no_image(tmp_path, kill_after):
    src = _sources(tmp_path / "src", 40)
    GalleryStore(seed_starter=False).close()
    child = _child("cycle", str(src), "40")
    added: dict[str, str] = {}  # id -> source number
    for _ in range(kill_after):
        line = child.stdout.readline().split()
        if line and line[0] == "added":
            added[line[2]] = line[1]
    child.send_signal(signal.SIGKILL)  # somewhere inside the next operation
    child.communicate(timeout=60)
    with GalleryStore(seed_starter=False) as store:
        listed = _image_hashes(store.root)
    trashed = {_digest(p) for p in private_trash_dir().iterdir()} if private_trash_dir().is_dir() \
        else set()
    for number in added.values():  # every image whose add returned: listed, or in the trash
        assert _digest(src / f"{number}.png") in listed | trashed
    assert_consistent(paths.gallery_dir())


def test_a_copy_killed_mid_add_leaves_no_file_behind_once_alone(tmp_path):
    """What a killed copy half-wrote is finished (to the trash) by the next lone copy, and
    an open copy never removes what another is still writing."""
    with GalleryStore(seed_starter=False) as store:
        keep = store.add(make_image(tmp_path / "keep.png", seed=2))
        prepared = store.prepare(make_image(tmp_path / "half.png", seed=3))
        # Another copy opens while this add is half done: it must leave the files alone.
        other = subprocess.run(
            [sys.executable, "-c", "from nst_desktop.core.gallery_store import GalleryStore;"
             "s=GalleryStore(seed_starter=False); print(len(s)); s.close()"],
            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
        assert other.returncode == 0 and other.stdout.split() == ["1"], other.stderr
        assert (store.images_dir / prepared.filename).exists()
        store._lock.close()  # now this copy dies without finishing
        store._conn.close()
        store._conn = None
    with GalleryStore(seed_starter=False) as store:
        assert [r.id for r in store.styles()] == [keep.id]
        assert not (store.images_dir / prepared.filename).exists()
    trashed = [_digest(p) for p in private_trash_dir().iterdir()]
    assert _digest(tmp_path / "half.png") in trashed  # to the trash, never unlinked
    assert_consistent(paths.gallery_dir())


def test_migrating_a_gallery_with_two_live_copies_of_one_image_loses_nothing(tmp_path):
    root, titles = _gallery_with(tmp_path, 2)
    conn = sqlite3.connect(root / DB_NAME)
    first = conn.execute("SELECT id, filename, sha256 FROM styles").fetchone()
    twin = "f" * 32
    shutil.copy(root / "images" / first[1], root / "images" / f"{twin}.png")
    shutil.copy(root / "thumbnails" / f"{first[0]}.jpg", root / "thumbnails" / f"{twin}.jpg")
    conn.execute("DROP INDEX styles_live_sha256")
    conn.execute("DROP TABLE pending")
    conn.execute("INSERT INTO styles (id, filename, title, added, sha256) VALUES (?, ?, ?, ?, ?)",
                 (twin, f"{twin}.png", "Twin", 1.0, first[2]))
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with GalleryStore(seed_starter=False) as store:
        assert len(store) == 2
    assert first[2] in {_digest(p) for p in private_trash_dir().iterdir()} | _image_hashes(root)
    assert_consistent(root)
