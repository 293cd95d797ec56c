"""Exporting styles to one zip archive and importing it again; unsafe archives refused."""

from __future__ import annotations

import json
import stat
import zipfile

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
