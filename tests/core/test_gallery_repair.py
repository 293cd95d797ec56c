"""A damaged gallery database is repaired (set aside, rows salvaged, images recovered) only
by a copy of the app that has the gallery to itself: another copy that has it open would go
on writing its changes into the file set aside, and they would be missing from the new one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nst_desktop.core.gallery_store import DB_NAME, GalleryStore
from nst_desktop.errors import GalleryError
from tests.gallery_helpers import assert_consistent, make_image

ROOT = Path(__file__).resolve().parents[2]


def _gallery_with(tmp_path: Path, count: int) -> tuple[Path, dict[str, str]]:
    with GalleryStore(seed_starter=False) as store:
        for n in range(count):
            store.add(make_image(tmp_path / f"s{n}.png", seed=700 + n), title=f"Style {n}",
                      source="x" * 400)
        return store.root, {r.sha256: r.title for r in store.styles()}


def _garble(db: Path) -> bytes:
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 16 * page
    data[12 * page:13 * page] = os.urandom(page)  # one page of the middle is garbage
    db.write_bytes(bytes(data))
    return bytes(data)


def test_a_damaged_database_is_not_set_aside_while_another_copy_has_it_open(tmp_path):
    root, titles = _gallery_with(tmp_path, 60)
    other = subprocess.Popen(
        [sys.executable, "-m", "tests.core.gallery_child", "hold"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "open"
        damaged = _garble(root / DB_NAME)
        with pytest.raises(GalleryError, match="damaged. Close the other copies"):
            GalleryStore(seed_starter=False)
        assert [p.name for p in root.iterdir() if "damaged" in p.name] == []
        assert (root / DB_NAME).read_bytes() == damaged
    finally:
        out, err = other.communicate("\n", timeout=120)
    assert other.returncode == 0 and out.split() == ["closed"], err
    with GalleryStore(seed_starter=False) as store:  # alone now: repaired
        assert store.open_report.recovered_database is not None
        assert {r.sha256 for r in store.styles()} == set(titles)  # every image listed
    assert_consistent(root)
