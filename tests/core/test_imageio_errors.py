"""Every bad input gives a typed error whose message names the file and the problem."""

from __future__ import annotations

import io
import os
import struct

import numpy as np
import pytest
from PIL import Image, ImageFile

from nst_desktop.core import imageload
from nst_desktop.core.imageio import load_image, load_image_bytes, read_params
from nst_desktop.errors import ImageLoadError, ImageTooLargeError, NSTError
from tests.core.pngbuild import chunk, header_only_png, png_bytes, size_only_png
from tests.core.unprivileged import run_check


def _noise(height: int = 64, width: int = 64) -> np.ndarray:
    return np.random.default_rng(5).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _encoded(fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_noise()).save(buffer, fmt, **options)
    return buffer.getvalue()


def _load_error(path, error=ImageLoadError, **kwargs) -> str:
    with pytest.raises(error) as info:
        load_image(path, **kwargs)
    message = str(info.value)
    assert os.path.basename(os.fspath(path)) in message
    assert "Traceback" not in message and message.endswith(".")
    return message


def test_missing_file(tmp_path):
    message = _load_error(tmp_path / "gone.png")
    assert "no such file" in message and str(tmp_path) in message


def test_directory(tmp_path):
    folder = tmp_path / "holiday.png"
    folder.mkdir()
    assert "is a folder" in _load_error(folder)


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.png"
    path.write_bytes(_encoded("PNG"))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(imageload, "open", refuse, raising=False)
    assert "permission" in _load_error(path)
    with pytest.raises(ImageLoadError, match="permission"):
        read_params(path)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_unreadable_file_for_real(tmp_path):
    """A file its owner made unreadable (checked without root's power to read anything)."""
    path = tmp_path / "secret.png"
    path.write_bytes(_encoded("PNG"))
    path.chmod(0)
    try:
        printed = run_check(f"""
            from nst_desktop.core.imageio import load_image
            from nst_desktop.errors import ImageLoadError
            try:
                load_image({str(path)!r})
            except ImageLoadError as exc:
                print(exc)
            """)
    finally:
        path.chmod(0o644)
    assert "permission" in printed and "secret.png" in printed


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert "empty" in _load_error(path)
    with pytest.raises(ImageLoadError, match="empty"):
        load_image_bytes(b"", name="pasted")


def test_text_file(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("These are not pixels.\n" * 20)
    assert "not an image" in _load_error(path)


def test_corrupt_header(tmp_path):
    path = tmp_path / "corrupt.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    assert "damaged" in _load_error(path)


def test_corrupt_pixel_data(tmp_path):
    data = bytearray(_encoded("PNG", compress_level=1))
    idat = data.index(b"IDAT")
    data[idat + 40 : idat + 400] = bytes(360)  # zeros in the middle of the zlib stream
    path = tmp_path / "scrambled.png"
    path.write_bytes(bytes(data))
    _load_error(path)


@pytest.mark.parametrize(
    "fmt, name", [("JPEG", "half.jpg"), ("PNG", "half.png"), ("WEBP", "half.webp")]
)
def test_truncated_file_raises_instead_of_returning_grey(tmp_path, fmt, name):
    data = _encoded(fmt)
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    message = _load_error(path)
    assert "incomplete" in message or "damaged" in message


def test_truncated_sixteen_bit_png(tmp_path):
    data = png_bytes(np.random.default_rng(1).integers(0, 65536, (40, 40, 3), dtype=np.uint16))
    path = tmp_path / "deep-half.png"
    path.write_bytes(data[: len(data) // 2])
    _load_error(path)


def test_zero_sized_image(tmp_path):
    ihdr = struct.pack(">IIBBBBB", 0, 10, 8, 2, 0, 0, 0)
    path = tmp_path / "nothing.png"
    path.write_bytes(header_only_png(ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b""))
    assert "no pixels (0 × 10)" in _load_error(path)


def test_over_the_pixel_limit_is_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.fromarray(_noise(100, 100)).save(path)

    def must_not_decode(self, *args, **kwargs):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", must_not_decode)
    message = _load_error(path, ImageTooLargeError, max_pixels=5000)
    assert "too large" in message and "100 × 100" in message


def test_header_of_a_decompression_bomb(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(size_only_png(30000, 30000))  # 900 megapixels in 60 bytes
    assert "too large" in _load_error(path, ImageTooLargeError)
    with pytest.raises(ImageTooLargeError, match="bomb.png"):
        load_image_bytes(size_only_png(15000, 15000), name="bomb.png")


def test_limit_can_be_raised_above_pillows_own(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # pretend Pillow's limit is tiny
    path = tmp_path / "ok.png"
    Image.fromarray(_noise(60, 60)).save(path)  # 3600 pixels: over twice Pillow's limit
    assert load_image(path, max_pixels=10_000).size == (60, 60)
    assert Image.MAX_IMAGE_PIXELS == 1000  # put back afterwards
    assert load_image(path).size == (60, 60)  # our default limit decides, not Pillow's
    _load_error(path, ImageTooLargeError, max_pixels=3000)


def test_loaded_from_bytes_without_a_name():
    with pytest.raises(ImageLoadError, match="^The image data is not an image"):
        load_image_bytes(b"plain text")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a",
        b"\xff\xd8\xff" + bytes(50),
        b"II*\x00" + bytes(20),
        b"RIFF\x10\0\0\0WEBPVP8 ",
    ],
    ids=["empty", "gif-magic", "jpeg-magic", "tiff-magic", "webp-magic"],
)
def test_headers_without_images_raise_typed_errors(data):
    with pytest.raises(NSTError):
        load_image_bytes(data, name="dropped")
