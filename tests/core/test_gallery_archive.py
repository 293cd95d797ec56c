"""Exporting styles to one zip archive and importing it again; unsafe archives refused."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from nst_desktop.core import gallery_archive
from nst_desktop.core.gallery_archive import export_styles, import_styles
from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.errors import ArchiveError
from tests.gallery_helpers import assert_consistent, make_image


@pytest.fixture
def store():
    s = GalleryStore(seed_starter=False)
    yield s
    s.close()


def test_export_import_round_trip(store, tmp_path, monkeypatch):
    a = store.add(make_image(tmp_path / "a.png", seed=1), title="Alpha", artist="Ann",
                  year="1900", source="attic", tags="old, red")
    b = store.add(make_image(tmp_path / "b.jpg", seed=2, fmt="JPEG"), title="Beta",
                  favourite=True)
    archive = tmp_path / "out" / "mine.nststyles.zip"
    archive.parent.mkdir()
    assert export_styles(store, [a.id, b.id], archive) == 2
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("styles.json"))
        assert manifest["format"] == "nst-desktop-styles"
        assert zf.read(manifest["styles"][0]["file"]) == a.image_path.read_bytes()

    other_home = tmp_path / "other"
    monkeypatch.setenv("NST_DESKTOP_HOME", str(other_home))
    with GalleryStore(seed_starter=False) as fresh:
        report = import_styles(fresh, archive)
        assert report.summary() == "2 styles imported."
        got = {r.title: r for r in fresh.styles()}
        assert got["Alpha"].details() == a.details()
        assert got["Beta"].details() == b.details()
        assert got["Alpha"].image_path.read_bytes() == a.image_path.read_bytes()
        again = import_styles(fresh, archive)  # importing twice adds nothing
        assert len(again.duplicates) == 2 and not again.added
        assert len(fresh) == 2
        root = fresh.root
    assert_consistent(root)


def test_export_is_atomic_and_needs_styles(store, tmp_path):
    with pytest.raises(ArchiveError, match="at least one"):
        export_styles(store, [], tmp_path / "none.zip")
    a = store.add(make_image(tmp_path / "a.png", seed=3))
    a.image_path.unlink()
    target = tmp_path / "broken.zip"
    with pytest.raises(ArchiveError, match="missing"):
        export_styles(store, [a.id], target)
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".tmp-*")) == []


def _archive(path, members, manifest=None):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, b"target")
            else:
                zf.writestr(name, data)
        if manifest is not None:
            zf.writestr("styles.json", json.dumps(manifest))
    return path


def _manifest(*files):
    return {"format": "nst-desktop-styles", "version": 1,
            "styles": [{"file": f, "title": f} for f in files]}


def _symlink_member():
    info = zipfile.ZipInfo("images/link.png")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"/etc/evil.png": b"x"}, "absolute path"),
        ({"C:/evil.png": b"x"}, "absolute path"),
        ({"images/../../evil.png": b"x"}, "outside the archive"),
        ({"images\\..\\evil.png": b"x"}, "outside the archive|not a plain"),
        ({"images/link.png": _symlink_member()}, "symbolic link"),
    ],
)
def test_unsafe_archives_are_refused_before_anything_is_written(store, tmp_path, members,
                                                                message):
    archive = _archive(tmp_path / "evil.zip", members, _manifest(*members))
    with pytest.raises(ArchiveError, match=message):
        import_styles(store, archive)
    assert len(store) == 0
    assert not (tmp_path / "evil.png").exists()
    assert_consistent(store.root)


def test_too_large_and_zip_bombs_are_refused(store, tmp_path, monkeypatch):
    monkeypatch.setattr(gallery_archive, "MAX_MEMBER_BYTES", 10_000)
    big = _archive(tmp_path / "big.zip", {"images/big.png": b"\0" * 20_000},
                   _manifest("images/big.png"))
    with pytest.raises(ArchiveError, match="too large"):
        import_styles(store, big)
    monkeypatch.setattr(gallery_archive, "MAX_MEMBER_BYTES", 1 << 30)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("images/bomb.png", b"\0" * (8 << 20))
        zf.writestr("styles.json", json.dumps(_manifest("images/bomb.png")))
    with pytest.raises(ArchiveError, match="zip bomb"):
        import_styles(store, bomb)
    monkeypatch.setattr(gallery_archive, "MAX_TOTAL_BYTES", 15_000)
    many = _archive(tmp_path / "many.zip", {f"images/{i}.png": b"\0" * 6_000 for i in range(3)},
                    _manifest())
    with pytest.raises(ArchiveError, match="unpacks to more"):
        import_styles(store, many)
    assert len(store) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"plain text, not a zip", "not a style archive"),
        (None, "no styles.json"),
        ({"format": "something-else"}, "not an nst_desktop style archive"),
        ({"format": "nst-desktop-styles", "version": 9, "styles": []}, "newer"),
        (_manifest("images/not-there.png"), "not an image in the archive"),
        (_manifest("styles.json"), "not an image in the archive"),
    ],
)
def test_archives_that_are_not_ours_are_refused(store, tmp_path, content, message):
    path = tmp_path / "x.zip"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        _archive(path, {"images/a.png": b"x"}, content)
    with pytest.raises(ArchiveError, match=message):
        import_styles(store, path)


def test_bad_images_inside_a_good_archive_are_reported_not_raised(store, tmp_path):
    good = make_image(tmp_path / "good.png", seed=4).read_bytes()
    archive = _archive(
        tmp_path / "mixed.zip",
        {"images/good.png": good, "images/broken.png": b"garbage"},
        _manifest("images/good.png", "images/broken.png"),
    )
    report = import_styles(store, archive)
    assert [r.title for r in report.added] == ["images/good.png"]
    assert [name for name, _ in report.failed] == ["broken.png"]
    assert "broken.png is not an image" in report.failed[0][1]
    assert_consistent(store.root)


# -- hostile manifests: one ArchiveError, before anything is written ----------------------
def _bytes_under(folder) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _entries(*entries):
    return {"format": "nst-desktop-styles", "version": 1, "styles": list(entries)}


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"file": "images/b.png", "title": "B", "tags": None}, "tags of style 2"),
        ({"file": "images/b.png", "title": "B", "tags": 5}, "tags of style 2"),
        ({"file": "images/b.png", "title": "B", "tags": [1, 2]}, "tags of style 2"),
        ({"file": "images/b.png", "title": "B", "tags": {"a": 1}}, "tags of style 2"),
        ({"file": "images/b.png", "title": ["B"]}, "style 2"),
        ({"file": "images/b.png", "title": "B", "favourite": "yes"}, "favourite"),
        ({"file": "images/b.png", "title": "B", "artist": {"x": 1}}, "style 2"),
        ({"file": "images/b.png", "title": "x" * 1000}, "style 2"),
        ({"file": ["images/b.png"]}, "not an image in the archive"),
        ("images/b.png", "not an image in the archive"),
        ({"file": "images/a.png", "title": "again"}, "twice"),
    ],
)
def test_a_hostile_manifest_entry_refuses_the_archive_before_anything_is_added(
        store, tmp_path, second, message):
    a = make_image(tmp_path / "a.png", seed=5).read_bytes()
    b = make_image(tmp_path / "b.png", seed=6).read_bytes()
    archive = _archive(tmp_path / "x.zip", {"images/a.png": a, "images/b.png": b},
                       _entries({"file": "images/a.png", "title": "A"}, second))
    with pytest.raises(ArchiveError, match=message):
        import_styles(store, archive)
    assert len(store) == 0  # not the first style and then a traceback
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(ArchiveError):
        gallery_archive.unpack_archive(archive, scratch)
    assert _bytes_under(scratch) == 0


@pytest.mark.parametrize("manifest", [
    b'{"format": "nst-desktop-styles", "version": 1, "styles": '
    + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"format": "nst-desktop-styles", "version": 1e400, "styles": []}',
    b'{"format": "nst-desktop-styles", "version": ' + b"9" * 5000 + b', "styles": []}',
    b'{"format": "nst-desktop-styles", "version": NaN, "styles": []}',
    b'{"format": "nst-desktop-styles", "version": true, "styles": []}',
    b"\xff\xfe not utf-8",
])
def test_a_damaged_manifest_is_one_archive_error(store, tmp_path, manifest):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("images/a.png", make_image(tmp_path / "a.png", seed=7).read_bytes())
        zf.writestr("styles.json", manifest)
    with pytest.raises(ArchiveError):
        import_styles(store, path)
    assert len(store) == 0


def test_one_member_named_300_times_writes_nothing(store, tmp_path):
    """The issue's 1 KB zip naming one 1 MiB member 300 times wrote 279 MB."""
    path = tmp_path / "repeat.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("images/a.png", b"\0" * (1 << 20))
        zf.writestr("styles.json", json.dumps(_manifest(*["images/a.png"] * 300)))
    assert path.stat().st_size < 4096
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(ArchiveError):
        gallery_archive.unpack_archive(path, scratch)
    assert _bytes_under(scratch) == 0
    with pytest.raises(ArchiveError):
        import_styles(store, path)
    assert len(store) == 0


def test_one_mebibyte_members_that_compress_a_thousandfold_are_refused(tmp_path):
    """The issue's 446 KB zip of 400 x 1 MiB members wrote 384 MB: the ratio check skipped
    members of 1 MiB and less."""
    path = tmp_path / "many.zip"
    names = [f"images/{i}.png" for i in range(400)]
    zero = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.writestr(name, zero)
        zf.writestr("styles.json", json.dumps(_manifest(*names)))
    assert path.stat().st_size < 1 << 20
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(ArchiveError, match="zip bomb"):
        gallery_archive.unpack_archive(path, scratch)
    assert _bytes_under(scratch) == 0


def test_bytes_unpacked_stay_under_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery_archive, "MAX_TOTAL_BYTES", 100 << 10)
    names = [f"images/{i}.png" for i in range(400)]
    path = _archive(tmp_path / "many.zip", {n: os.urandom(1024) for n in names},
                    _manifest(*names))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        gallery_archive.unpack_archive(path, scratch)
    assert _bytes_under(scratch) <= 100 << 10


def test_the_cap_counts_bytes_written_not_declared(tmp_path, monkeypatch):
    """Sizes checked before unpacking can be fooled (they are what the archive says);
    the bytes written are counted against the same cap."""
    names = [f"images/{i}.png" for i in range(40)]
    path = _archive(tmp_path / "many.zip", {n: os.urandom(4096) for n in names},
                    _manifest(*names))
    real_check = gallery_archive.check_members

    def check_then_lower_the_cap(archive, name):
        members = real_check(archive, name)
        monkeypatch.setattr(gallery_archive, "MAX_TOTAL_BYTES", 50_000)
        return members

    monkeypatch.setattr(gallery_archive, "check_members", check_then_lower_the_cap)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        gallery_archive.unpack_archive(path, scratch)
    assert _bytes_under(scratch) <= 50_000


def test_a_16_mb_manifest_is_refused_before_anything_is_written(tmp_path):
    """The issue's 16 MB manifest naming one member ~600,000 times allowed about 600 GB."""
    one = {"file": "images/a.png", "title": "a"}
    count = ((16 << 20) - 1000) // (len(json.dumps(one)) + 2)
    path = _archive(tmp_path / "big.zip", {"images/a.png": os.urandom(1 << 20)},
                    _entries(*[one] * count))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(ArchiveError, match="at most 10,000"):
        gallery_archive.unpack_archive(path, scratch)
    assert _bytes_under(scratch) == 0


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "folder"])
def test_an_archive_that_is_not_a_regular_file_is_refused_at_once(store, tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.nststyles.zip"
        os.mkfifo(path)  # nobody writes: a plain open() would wait for ever
    elif kind == "folder":
        path = tmp_path / "folder.nststyles.zip"
        path.mkdir()
    else:
        path = Path(kind)  # reads without end
    with pytest.raises(ArchiveError, match="not a regular file|is a folder"):
        import_styles(store, path)
    assert len(store) == 0


# -- scratch folders of imports that were killed -----------------------------------------
_HOLD_SCRATCH = """
import sys
from nst_desktop.core import gallery_archive
with gallery_archive.scratch_folder() as folder:
    (folder / "00000").mkdir()
    (folder / "00000" / "part.png").write_bytes(b"x" * 1000)
    print(folder, flush=True)
    sys.stdin.readline()
"""


def _start_holder(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen([sys.executable, "-c", _HOLD_SCRATCH], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
    folder = Path(child.stdout.readline().strip())
    assert folder.parent == tmp_path and folder.is_dir()
    return child, folder


def test_scratch_of_a_killed_import_is_cleaned_and_a_live_ones_kept(tmp_path):
    killed, left = _start_holder(tmp_path)
    live, busy = _start_holder(tmp_path)
    with killed, live:
        killed.kill()  # SIGKILL: no clean-up runs
        killed.wait(timeout=60)
        assert left.is_dir()
        try:
            assert gallery_archive.clean_leftover_scratch(tmp_path) == 1
            assert not left.exists()
            assert (busy / "00000" / "part.png").is_file()  # its owner is still at work
        finally:
            live.stdin.close()
            live.wait(timeout=60)
    assert not busy.exists()  # removed by its own process
    other = tmp_path / "nst-import-notours"  # a name without a pid: kept unless a day old
    other.mkdir()
    assert gallery_archive.clean_leftover_scratch(tmp_path) == 0 and other.is_dir()
