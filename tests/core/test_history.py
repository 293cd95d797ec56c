"""The history of finished runs: recording, listing, restoring parameters, deleting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.core import paths
from nst_desktop.core.history import PNG_PARAMS_KEY, HistoryStore, run_title
from nst_desktop.core.imageio import read_params
from nst_desktop.core.trash import private_trash_dir
from nst_desktop.engine.params import Params, StyleInput
from nst_desktop.errors import GalleryError, ImageLoadError, ParameterError
from nst_desktop.text import NBSP, unbroken
from tests.gallery_helpers import make_image


@pytest.fixture
def params():
    return Params(content="/photos/tubingen.jpg",
                  styles=(StyleInput("/art/starry_night.jpg", 2.0), StyleInput("/art/scream.jpg")),
                  size=64, style_weight=35.0, seed=3)


def test_an_entry_says_the_precision_it_was_computed_in(content_image, params):
    """As the status line says "on CPU, BF16."; entries kept before it was recorded say only
    the device."""
    store = HistoryStore()
    old = store.record(content_image, params, elapsed=12.5, device="cpu")
    assert old.precision == "" and old.summary.endswith("on CPU")
    bf16 = store.record(content_image, params, elapsed=3.0, device="cuda:0", precision="bf16")
    assert bf16.summary.endswith("on CUDA:0, BF16")
    assert {e.id: e.precision for e in store.entries()} == {old.id: "", bf16.id: "bf16"}


def test_record_an_rgb_result(content_image, params):
    store = HistoryStore()
    entry = store.record(content_image, params, elapsed=12.5, device="cpu")
    assert entry.folder.parent == paths.history_dir()
    assert entry.params == params
    assert entry.styles == (("/art/starry_night.jpg", 2.0), ("/art/scream.jpg", 1.0))
    assert entry.content == "/photos/tubingen.jpg"
    assert (entry.width, entry.height, entry.elapsed, entry.device) == (64, 48, 12.5, "cpu")
    assert entry.title == "tubingen × starry_night + scream"
    # as the status line names the device; non-breaking spaces keep "64 × 48" on one line
    assert "64 × 48 · 12.5 s on CPU" in entry.summary.replace(NBSP, " ")
    assert f"{unbroken('64 × 48')} · {unbroken('12.5 s')}" in entry.summary
    with Image.open(entry.result_path) as saved:
        pixels = np.asarray(saved.convert("RGB"))
        assert Params.from_json(saved.info[PNG_PARAMS_KEY]) == params  # carried in the PNG
    expected = (np.clip(content_image, 0, 1) * 255 + 0.5).astype(np.uint8)
    assert np.array_equal(pixels, expected)
    with Image.open(entry.thumbnail_path) as thumb:
        assert thumb.size == (64, 48)
    assert store.entries() == [entry]
    # Under the key every saved result uses: dropped on the window, it restores its settings.
    assert read_params(entry.result_path) == params


def test_record_a_saved_file_and_list_newest_first(tmp_path, params):
    store = HistoryStore()
    first = store.record(make_image(tmp_path / "r1.jpg", seed=1, fmt="JPEG"), params, 1.0, "cpu")
    second = store.record(make_image(tmp_path / "r2.png", seed=2), params.replace(seed=9), 2.0,
                          "cuda:0")
    assert first.result_path.name == "result.jpg"
    assert first.result_path.read_bytes() == (tmp_path / "r1.jpg").read_bytes()
    listed = HistoryStore().entries()  # read fresh from disk
    assert [e.id for e in listed] == [second.id, first.id]
    assert listed[0].params.seed == 9 and listed[0].device == "cuda:0"


def test_a_bad_result_is_refused_and_leaves_nothing(tmp_path, params):
    store = HistoryStore()
    bad = tmp_path / "bad.png"
    bad.write_text("no")
    with pytest.raises(ImageLoadError):
        store.record(bad, params, 1.0, "cpu")
    with pytest.raises(ImageLoadError, match="RGB"):
        store.record(np.zeros((4, 4)), params, 1.0, "cpu")
    assert list(paths.history_dir().iterdir()) == []


def test_delete_sends_entries_to_the_trash(content_image, params):
    store = HistoryStore()
    keep = store.record(content_image, params, 1.0, "cpu")
    drop = store.record(content_image, params, 1.0, "cpu")
    assert store.delete([drop.id, "../../etc", "no-such-entry"]) == 1
    assert [e.id for e in store.entries()] == [keep.id]
    trashed = list(private_trash_dir().iterdir())
    assert len(trashed) == 1 and (trashed[0] / "entry.json").exists()
    assert store.clear() == 1 and store.entries() == []


def test_interrupted_records_are_invisible_and_cleaned(content_image, params, monkeypatch):
    from nst_desktop.core import history

    store = HistoryStore()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # like a kill: not an Exception

    with monkeypatch.context() as patch:
        patch.setattr(history, "atomic_replace_dir", crash)
        with pytest.raises(KeyboardInterrupt):
            store.record(content_image, params, 1.0, "cpu")
    assert store.entries() == []
    # A real kill leaves the staging folder; while another copy has the history open it
    # stays (that copy may be writing it), and the next lone open sends it to the trash.
    leftover = paths.history_dir() / ".tmp-20250101-000000-abcdef"
    leftover.mkdir()
    (leftover / "result.png").write_bytes(b"half")
    other = subprocess.run(
        [sys.executable, "-c", "from nst_desktop.core.history import HistoryStore;"
         "print(len(HistoryStore().entries()))"],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True, text=True)
    assert other.returncode == 0 and other.stdout.split() == ["0"], other.stderr
    assert leftover.exists()
    store.close()  # the crashed copy is gone
    assert HistoryStore().entries() == []
    assert not leftover.exists()
    assert [p.read_bytes() for p in private_trash_dir().glob("*/result.png")] == [b"half"]


def test_a_full_disk_is_named_and_leaves_nothing_behind(content_image, params, monkeypatch):
    """The status line shows this message as it is: one "could not be added", then why, in
    the words a save uses (the folder that is full), not "[Errno 28] ..."."""
    import errno

    from nst_desktop.core import history

    store = HistoryStore()
    kept = store.record(content_image, params, 1.0, "cpu")

    def full(*args, **kwargs):  # the last write, once the image and thumbnail are staged
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(history, "atomic_write_text", full)
    with pytest.raises(GalleryError) as info:
        store.record(content_image, params, 2.0, "cpu")
    message = str(info.value)
    assert message.count("could not be added to the history") == 1
    assert "the disk is full" in message and str(store.root) in message
    assert "Errno" not in message
    monkeypatch.undo()
    assert [e.id for e in store.entries()] == [kept.id]
    assert [p.name for p in store.root.iterdir()] == [kept.id]  # no staging folder left


def test_unreadable_entries_are_skipped_and_params_errors_are_readable(content_image, params):
    store = HistoryStore()
    good = store.record(content_image, params, 1.0, "cpu")
    broken = store.record(content_image, params, 1.0, "cpu")
    (broken.folder / "entry.json").write_text("{not json")
    future = store.record(content_image, params, 1.0, "cpu")
    data = json.loads((future.folder / "entry.json").read_text())
    data["params"]["version"] = 99
    (future.folder / "entry.json").write_text(json.dumps(data))
    listed = {e.id: e for e in store.entries()}
    assert set(listed) == {good.id, future.id}
    with pytest.raises(ParameterError, match="newer"):
        _ = listed[future.id].params


def test_style_titles_name_the_styles(content_image, params):
    entry = HistoryStore().record(content_image, params, 1.0, "cpu",
                                  style_titles=["The Starry Night", ""])
    assert entry.title == "tubingen × The Starry Night + scream"
    assert HistoryStore().entries()[0].style_titles == ("The Starry Night", "")


def test_a_run_is_named_as_the_window_names_it():
    assert run_title("tubingen", ["The Starry Night"]) == "tubingen × The Starry Night"
    assert run_title("tubingen", ["a", "b"]) == "tubingen × a + b"
    assert run_title("", ["a"]) == "a" and run_title("", []) == ""
