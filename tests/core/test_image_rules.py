"""One rule for a damaged file in the panes and the gallery, and Pillow kept quiet."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.core.imageio import load_image, read_params
from nst_desktop.core.thumbnails import probe_image
from nst_desktop.errors import ImageLoadError, ImageTooLargeError
from tests.core.pngbuild import chunk, header_only_png, png_bytes, size_only_png

ROOT = Path(__file__).resolve().parents[2]
PILLOW_LIMIT = Image.MAX_IMAGE_PIXELS  # 89.5 MP: Pillow warns past it, the app's limit is 179


def _pixels() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (24, 32, 3), dtype=np.uint8)


def _idat(data: bytes) -> tuple[int, int]:
    """Where the IDAT chunk's data starts, and its length."""
    at = data.index(b"IDAT")
    return at + 4, struct.unpack(">I", data[at - 4 : at])[0]


@pytest.fixture
def bad_crc_png(tmp_path) -> Path:
    """A PNG whose pixel data is whole but whose IDAT checksum has one byte flipped."""
    data = bytearray(png_bytes(_pixels()))
    start, length = _idat(bytes(data))
    data[start + length] ^= 0xFF  # first byte of the CRC after the data
    path = tmp_path / "bad-crc.png"
    path.write_bytes(bytes(data))
    return path


def test_a_png_with_a_bad_idat_crc_opens_in_the_panes_and_the_gallery_alike(bad_crc_png):
    """The panes showed it and the gallery refused it ("broken PNG file"): Image.verify
    checks chunk CRCs that decoding does not. Its pixels are whole; both take it."""
    loaded = load_image(bad_crc_png)
    assert np.array_equal(loaded.to_uint8(), _pixels())
    info, thumb = probe_image(bad_crc_png)
    assert (info.format, info.width, info.height) == ("PNG", 32, 24)
    assert np.array_equal(np.asarray(thumb), _pixels())


def test_a_png_whose_pixel_data_is_damaged_is_refused_by_both_in_the_same_words(tmp_path):
    data = bytearray(png_bytes(_pixels()))
    start, length = _idat(bytes(data))
    data[start + 2 : start + length] = bytes(length - 2)  # zeros for the deflate stream
    body = bytes(data[start - 4 : start + length])
    data[start + length : start + length + 4] = struct.pack(">I", zlib.crc32(body))
    path = tmp_path / "broken.png"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageLoadError) as pane:
        load_image(path)
    with pytest.raises(ImageLoadError) as gallery:
        probe_image(path)
    assert str(pane.value).replace("“", "").replace("”", "") == str(gallery.value)


def _large_bilevel_png(path: Path, width: int, height: int) -> Path:
    """A 1-bit PNG of width × height: 100 MP in 25 KB, 1.25 bytes a pixel row."""
    row = b"\x00" + b"\x55" * (width // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(header_only_png(ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def test_settings_of_an_image_past_pillows_limit_but_within_the_apps_are_read_quietly(tmp_path):
    """read_params let Pillow print its DecompressionBombWarning for a 100 MP PNG, which
    the app's own limit (179 MP) allows. (Only the settings are read: decoding the whole
    image as a pane does takes 3 GB and 18 s here, so the quiet open is tested instead.)"""
    path = _large_bilevel_png(tmp_path / "big.png", 10_000, 10_000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read_params(path) is None
    assert [str(w.message) for w in caught] == []
    assert PILLOW_LIMIT < 10_000 * 10_000


def test_an_image_past_a_lower_limit_is_one_refusal_and_no_warning(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(size_only_png(10_000, 10_000))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ImageTooLargeError, match=r"10000 × 10000 pixels \(100.0 mega"):
            load_image(path, max_pixels=1_000_000)
        with pytest.raises(ImageTooLargeError, match=r"10000 × 10000 pixels \(100.0 mega"):
            probe_image(path, max_pixels=1_000_000)
    assert [str(w.message) for w in caught] == []


def _jpeg_with_corrupt_exif(path: Path) -> Path:
    """A JPEG whose EXIF block claims 500 entries and holds two."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010E] = "x" * 100
    block = bytearray(exif.tobytes())
    block[14:16] = struct.pack(">H", 500)  # the entry count after "Exif\0\0MM\0*" + offset
    buffer = io.BytesIO()
    Image.fromarray(_pixels()).save(buffer, "JPEG", quality=95, exif=bytes(block))
    path.write_bytes(buffer.getvalue())
    return path


def test_a_jpeg_with_corrupt_exif_loads_without_a_warning(tmp_path):
    """Pillow printed "UserWarning: Corrupt EXIF data" (and "Truncated File Read")."""
    path = _jpeg_with_corrupt_exif(tmp_path / "bad-exif.jpg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_image(path)
        info, _ = probe_image(path)
    assert [str(w.message) for w in caught] == []
    assert loaded.size == (info.width, info.height) == (24, 32)  # its orientation, 6, kept


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI as a person starts it: Python's warnings printed to stderr as they would be."""
    return subprocess.run([sys.executable, "-m", "nst_desktop.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_the_cli_says_nothing_of_a_corrupt_exif_block(tmp_path):
    photo = _jpeg_with_corrupt_exif(tmp_path / "bad-exif.jpg")
    Image.fromarray(_pixels()[::-1]).save(tmp_path / "style.png")
    done = run_cli(str(photo), "style.png", "-o", "out.png", "--size", "32",
                   "--iterations", "2", "--no-coarse-to-fine", "-q", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert load_image(tmp_path / "out.png").size == (24, 32)


def test_the_cli_refuses_an_image_past_max_pixels_in_one_line(tmp_path):
    (tmp_path / "huge.png").write_bytes(size_only_png(10_000, 10_000))
    Image.fromarray(_pixels()).save(tmp_path / "style.png")
    done = run_cli("huge.png", "style.png", "-o", "out.png", "--max-pixels", "1000000",
                   cwd=tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "too large: 10000 × 10000 pixels" in line and "the limit is 1.0" in line


def test_the_cli_reads_settings_from_a_100_megapixel_png_without_a_warning(tmp_path):
    """`--params-from` on a 100 MP PNG printed Pillow's two-line DecompressionBombWarning
    before its answer, though the app's limit is 179 MP."""
    _large_bilevel_png(tmp_path / "big.png", 10_000, 10_000)
    done = run_cli("--params-from", "big.png", "-o", "out.png", cwd=tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "big.png" in line and "Warning" not in line
