"""Pasted and downloaded images are kept as files, so that runs made with them can be
restored: losslessly, under names that do not collide, and never half-written."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from nst_desktop.core import paths
from nst_desktop.core.imageio import load_image, load_image_bytes
from nst_desktop.core.kept_inputs import keep_bytes, keep_image
from nst_desktop.errors import ImageSaveError


def _pasted(rgb, alpha=None, bit_depth=8):
    from nst_desktop.core.imageload import LoadedImage

    return LoadedImage(rgb=rgb, alpha=alpha, path="", mode="RGB", bit_depth=bit_depth,
                       params=None)


def test_a_pasted_image_is_kept_as_a_png_that_reads_back_the_same(content_image):
    kept = keep_image(_pasted(content_image))
    assert kept.path and os.path.dirname(kept.path) == str(paths.inputs_dir())
    assert os.path.basename(kept.path).startswith("Pasted 20")
    again = load_image(kept.path)
    assert np.abs(again.rgb - content_image).max() < 1 / 255 + 1e-6
    assert keep_image(kept) is kept  # an image with a file stays as it is


def test_sixteen_bits_and_alpha_are_kept(content_image):
    rng = np.random.default_rng(4)
    rgb = rng.random(content_image.shape).astype(np.float32)
    alpha = rng.random(content_image.shape[:2]).astype(np.float32)
    kept = keep_image(_pasted(rgb, alpha, bit_depth=16))
    again = load_image(kept.path)
    assert again.bit_depth == 16 and again.alpha is not None
    assert np.abs(again.rgb - rgb).max() < 1 / 65535 + 1e-6
    assert np.abs(again.alpha - alpha).max() < 1 / 65535 + 1e-6


def test_two_pastes_in_one_second_get_two_files_and_one_image_twice_one(content_image,
                                                                         style_image):
    first, second = keep_image(_pasted(content_image)), keep_image(_pasted(style_image))
    assert first.path != second.path
    assert load_image(first.path).size == (64, 48) and load_image(second.path).size == (64, 64)
    again = keep_image(_pasted(content_image.copy()))  # the same photo pasted again
    assert again.path == first.path
    assert len(list(paths.inputs_dir().iterdir())) == 2


def test_a_download_is_kept_byte_for_byte_under_its_name(tmp_path, style_image):
    from nst_desktop.core.imageio import save_image

    data = save_image(tmp_path / "art.png", style_image).read_bytes()
    other = save_image(tmp_path / "other.png", 1 - style_image).read_bytes()
    first, second = keep_bytes(data, "painting.png"), keep_bytes(other, "painting.png")
    assert first.name == "painting.png" and second.name == "painting-2.png"
    assert first.read_bytes() == data and second.read_bytes() == other
    assert keep_bytes(data, "painting.png") == first  # downloaded again: the same file
    assert keep_bytes(b"GIF89a", "").name == "downloaded"
    assert load_image_bytes(data).size == load_image(first).size


def test_a_full_disk_is_a_clear_error_and_leaves_nothing(content_image, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "write", full)
        with pytest.raises(ImageSaveError, match="disk is full"):
            keep_image(_pasted(content_image))
        with pytest.raises(ImageSaveError, match="disk is full"):
            keep_bytes(b"\x89PNG....", "a.png")
    assert list(paths.inputs_dir().iterdir()) == []


def test_a_folder_that_cannot_be_made_is_a_clear_error(content_image, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ImageSaveError, match="cannot be kept"):
        keep_image(_pasted(content_image), folder=blocker / "inputs")


KEEPER = """
import sys
from pathlib import Path
from nst_desktop.core.kept_inputs import keep_bytes
tag = sys.argv[1]
for n in range(int(sys.argv[2])):
    print(keep_bytes(f"{tag}-{n}".encode() * 50, "cat.jpg"), f"{tag}-{n}", flush=True)
"""


def test_two_copies_keeping_images_at_once_never_replace_each_others(tmp_path):
    """Two copies of the app keep downloads under the same name at the same moment: each
    returned file holds the bytes it was returned for (a replaced file would make a run's
    history restore another image)."""
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    children = [subprocess.Popen([sys.executable, "-c", KEEPER, tag, "150"], env=env,
                                 stdout=subprocess.PIPE, text=True) for tag in ("a", "b")]
    kept = [line.rsplit(" ", 1) for child in children for line in child.communicate()[0].split("\n")
            if line]
    assert all(child.returncode == 0 for child in children)
    assert len(kept) == 300
    assert len({path for path, _ in kept}) == 300
    for path, tag in kept:
        assert Path(path).read_bytes() == tag.encode() * 50
