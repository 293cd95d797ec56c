"""Hostile style archives imported from the window: one message, never a worker traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile

import pytest

from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.ui.gallery_importer import GalleryImporter
from tests.gallery_helpers import make_image


@pytest.fixture
def store():
    s = GalleryStore(seed_starter=False)
    yield s
    s.close()


@pytest.fixture
def importer(qtbot, store):
    made = GalleryImporter(store)
    yield made
    made.shutdown()


def _archive(path, tmp_path, second: dict | None = None, manifest: bytes | None = None):
    styles = [{"file": "images/a.png", "title": "A"}]
    if second is not None:
        styles.append(second)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("images/a.png", make_image(tmp_path / "a.png", seed=1).read_bytes())
        zf.writestr("images/b.png", make_image(tmp_path / "b.png", seed=2).read_bytes())
        zf.writestr("styles.json", manifest if manifest is not None else json.dumps(
            {"format": "nst-desktop-styles", "version": 1, "styles": styles}))
    return path


@pytest.mark.parametrize(("second", "manifest", "said"), [
    ({"file": "images/b.png", "title": "B", "tags": None}, None, "tags of style 2"),
    ({"file": "images/b.png", "title": "B", "tags": 5}, None, "tags of style 2"),
    (None, b'{"format": "nst-desktop-styles", "version": 1, "styles": '
     + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested more than"),
])
def test_a_hostile_archive_is_said_in_one_message_and_adds_nothing(qtbot, importer, store,
                                                                  tmp_path, second, manifest,
                                                                  said):
    archive = _archive(tmp_path / "hostile.nststyles.zip", tmp_path, second, manifest)
    with qtbot.waitSignal(importer.finished, timeout=30_000) as done:
        importer.import_archive(archive)
    result = done.args[0]
    assert len(store) == 0 and result.added == []
    assert len(result.problems) == 1 and said in result.problems[0]
    assert "Traceback" not in result.summary()


def test_scratch_of_an_import_killed_earlier_is_cleaned_when_the_window_starts(
        qtbot, store, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with subprocess.Popen([sys.executable, "-c", "pass"]) as child:  # gone once waited for
        child.wait(timeout=60)
    dead = child.pid
    left = tmp_path / f"nst-import-{dead}-abc123"
    (left / "00000").mkdir(parents=True)
    (left / "00000" / "part.png").write_bytes(b"x" * 4096)
    mine = tmp_path / f"nst-import-{os.getpid()}-def456"
    mine.mkdir()
    made = GalleryImporter(store)
    try:
        assert not left.exists()
        assert mine.is_dir()  # this process is alive: its folder is in use
    finally:
        made.shutdown()
