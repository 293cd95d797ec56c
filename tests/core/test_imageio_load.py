"""Loading every mode a user's files come in: palette, grey, alpha, CMYK, 16-bit, rotated."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from nst_desktop.core.imageio import LoadedImage, load_image, load_image_bytes
from tests.core.pngbuild import chunk, png_bytes
from tests.core.tiffbuild import tiff16_bytes


def _save(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


def _gradient16(height: int = 12, width: int = 40, channels: int = 3) -> np.ndarray:
    """16-bit samples whose low bytes matter: many values share each high byte."""
    rng = np.random.default_rng(3)
    return rng.integers(0, 65536, (height, width, channels), dtype=np.uint16)


def test_rgb_png_loads_as_float_srgb(tmp_path, content_image):
    pixels = (content_image * 255).round().astype(np.uint8)
    path = _save(Image.fromarray(pixels), tmp_path / "photo.png")
    image = load_image(path)
    assert isinstance(image, LoadedImage)
    assert image.rgb.dtype == np.float32 and image.rgb.shape == (48, 64, 3)
    assert image.size == (64, 48)
    assert image.alpha is None and image.mode == "RGB" and image.bit_depth == 8
    assert image.format == "PNG" and image.path == str(path) and image.params is None
    np.testing.assert_array_equal(image.to_uint8(), pixels)
    assert image.rgb.flags.c_contiguous


def test_palette_image(tmp_path):
    palette_image = Image.new("P", (8, 4))
    palette_image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette_image.paste(1, (4, 0, 8, 4))
    image = load_image(_save(palette_image, tmp_path / "palette.png"))
    assert image.mode == "P" and image.alpha is None
    np.testing.assert_array_equal(image.to_uint8()[0, 0], [255, 0, 0])
    np.testing.assert_array_equal(image.to_uint8()[0, 7], [0, 0, 255])


def test_palette_with_trns_transparency_keeps_colour(tmp_path):
    palette_image = Image.new("P", (8, 4))
    palette_image.putpalette([10, 200, 30, 0, 0, 255] + [0] * 762)
    palette_image.paste(1, (4, 0, 8, 4))
    path = _save(palette_image, tmp_path / "trns.png", transparency=0)
    image = load_image(path)
    assert image.alpha is not None and image.alpha.shape == (4, 8)
    assert image.alpha[0, 0] == 0.0 and image.alpha[0, 7] == 1.0
    # The transparent pixels keep their palette colour (no premultiplied black).
    np.testing.assert_array_equal(image.to_uint8()[0, 0], [10, 200, 30])


def test_palette_with_alpha_palette_gif(tmp_path):
    palette_image = Image.new("P", (6, 6), 0)
    palette_image.putpalette([200, 100, 50] * 256)
    palette_image.paste(3, (0, 0, 3, 6))
    image = load_image(_save(palette_image, tmp_path / "anim.gif", transparency=3))
    assert image.alpha is not None
    assert image.alpha[:, :3].max() == 0.0 and image.alpha[:, 3:].min() == 1.0


def test_greyscale_and_bilevel(tmp_path):
    grey = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (3, 1))
    image = load_image(_save(Image.fromarray(grey), tmp_path / "grey.png"))
    assert image.mode == "L" and image.rgb.shape == (3, 16, 3)
    np.testing.assert_array_equal(image.to_uint8()[..., 1], grey)
    assert np.all(image.rgb[..., 0] == image.rgb[..., 2])

    bilevel = Image.new("1", (5, 5), 0)
    bilevel.putpixel((4, 4), 1)
    image = load_image(_save(bilevel, tmp_path / "bilevel.png"))
    assert image.mode == "1"
    assert image.to_uint8()[4, 4].tolist() == [255] * 3 and image.to_uint8()[0, 0].max() == 0


def test_greyscale_with_alpha(tmp_path):
    grey = np.full((4, 6), 90, np.uint8)
    alpha = np.tile(np.array([0, 51, 102, 153, 204, 255], np.uint8), (4, 1))
    la = Image.merge("LA", [Image.fromarray(grey), Image.fromarray(alpha)])
    image = load_image(_save(la, tmp_path / "la.png"))
    assert image.mode == "LA"
    np.testing.assert_allclose(image.alpha, alpha / 255, atol=1e-6)
    np.testing.assert_array_equal(image.to_uint8()[..., 0], grey)  # even where alpha is 0


def test_rgba_keeps_colour_of_transparent_pixels(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = (250, 20, 120)
    rgba[:, 2:, 3] = 255
    image = load_image(_save(Image.fromarray(rgba), tmp_path / "rgba.png"))
    assert image.mode == "RGBA"
    assert image.alpha[:, :2].max() == 0.0 and image.alpha[:, 2:].min() == 1.0
    assert (image.to_uint8() == (250, 20, 120)).all()
    np.testing.assert_array_equal(image.to_rgba_uint8(), rgba)


def test_opaque_rgba_has_no_alpha(tmp_path):
    rgba = np.full((3, 3, 4), 255, np.uint8)
    image = load_image(_save(Image.fromarray(rgba), tmp_path / "opaque.png"))
    assert image.mode == "RGBA" and image.alpha is None


def test_rgb_colour_key_transparency(tmp_path):
    rgb = np.zeros((2, 4, 3), np.uint8)
    rgb[:, 2:] = (1, 2, 3)
    image = load_image(_save(Image.fromarray(rgb), tmp_path / "key.png", transparency=(1, 2, 3)))
    assert image.alpha[:, :2].min() == 1.0 and image.alpha[:, 2:].max() == 0.0


def test_cmyk_jpeg_without_profile(tmp_path):
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # magenta + yellow = red
    image = load_image(_save(cmyk, tmp_path / "cmyk.jpg", quality=95))
    assert image.mode == "CMYK" and image.bit_depth == 8
    red, green, blue = image.to_uint8()[8, 8].astype(int)
    assert red > 240 and green < 15 and blue < 15


def test_sixteen_bit_greyscale_keeps_full_precision(tmp_path):
    samples = _gradient16(channels=1)[..., 0]
    image = load_image(_save(Image.fromarray(samples), tmp_path / "grey16.png"))
    assert image.mode == "I;16" and image.bit_depth == 16
    np.testing.assert_array_equal(np.round(image.rgb[..., 1] * 65535), samples)


def test_sixteen_bit_big_endian_greyscale(tmp_path):
    samples = _gradient16(channels=1)[..., 0]
    big = Image.fromarray(samples.astype(">u2"))
    assert big.mode == "I;16B"
    image = load_image(_save(big, tmp_path / "grey16b.tif"))
    assert image.mode.startswith("I;16") and image.bit_depth == 16
    np.testing.assert_array_equal(np.round(image.rgb[..., 0] * 65535), samples)


@pytest.mark.parametrize("channels, mode", [(3, "RGB;16"), (4, "RGBA;16"), (2, "LA;16")])
def test_sixteen_bit_png_colour_keeps_full_precision(tmp_path, channels, mode):
    samples = _gradient16(channels=channels)
    path = tmp_path / "deep.png"
    path.write_bytes(png_bytes(samples))
    image = load_image(path)
    assert image.mode == mode and image.bit_depth == 16
    colour = samples[..., :3] if channels >= 3 else np.repeat(samples[..., :1], 3, -1)
    np.testing.assert_array_equal(np.round(image.rgb * 65535).astype(np.uint16), colour)
    if channels in (2, 4):
        np.testing.assert_array_equal(np.round(image.alpha * 65535), samples[..., -1])


@pytest.mark.parametrize("byte_order", [b"II", b"MM"])
@pytest.mark.parametrize("channels", [3, 4])
def test_sixteen_bit_uncompressed_tiff_keeps_full_precision(byte_order, channels):
    samples = _gradient16(channels=channels)
    image = load_image_bytes(tiff16_bytes(samples, byte_order), name="scan.tif")
    assert image.bit_depth == 16 and image.format == "TIFF"
    np.testing.assert_array_equal(np.round(image.rgb * 65535), samples[..., :3])
    if channels == 4:
        np.testing.assert_array_equal(np.round(image.alpha * 65535), samples[..., 3])


def test_sixteen_bit_png_colour_key_transparency():
    samples = np.full((2, 3, 3), 1000, np.uint16)
    samples[0, 0] = (1, 2, 258)  # same high bytes as (1, 2, 3) would not be: 258 = 0x0102
    trns = (b"tRNS", np.array([1, 2, 258], ">u2").tobytes())
    image = load_image_bytes(png_bytes(samples, extra_chunks=(trns,)))
    assert image.alpha is not None
    assert image.alpha[0, 0] == 0.0 and image.alpha.sum() == 5


def test_sixteen_bit_gradient_is_not_banded():
    """65536 levels squeezed into 8 bits would leave only 2 distinct values here."""
    ramp = np.linspace(30000, 30400, 64).astype(np.uint16)
    samples = np.repeat(np.tile(ramp, (4, 1))[..., None], 3, -1)
    image = load_image_bytes(png_bytes(samples))
    assert len(np.unique(image.rgb[0, :, 0])) == 64


def _oriented_jpeg(orientation: int) -> bytes:
    """A 40x20 JPEG, red top-left quarter, blue elsewhere, tagged with ``orientation``."""
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[...] = (0, 0, 255)
    pixels[:10, :20] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def test_exif_orientation_6_rotates_clockwise(tmp_path):
    path = tmp_path / "camera.jpg"
    path.write_bytes(_oriented_jpeg(6))
    image = load_image(path)
    assert image.rgb.shape == (40, 20, 3) and image.size == (20, 40)
    # Rotated 90° clockwise, the stored top-left corner is now the top-right one.
    top_right = image.to_uint8()[2, 17].astype(int)
    assert top_right[0] > 200 and top_right[2] < 60
    top_left = image.to_uint8()[2, 2].astype(int)
    assert top_left[2] > 200 and top_left[0] < 60


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillow(tmp_path, orientation):
    rng = np.random.default_rng(orientation)
    pixels = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = _save(Image.fromarray(pixels), tmp_path / "o.png", exif=exif.tobytes())
    with Image.open(path) as reference:
        upright = np.asarray(ImageOps.exif_transpose(reference).convert("RGB"))
    np.testing.assert_array_equal(load_image(path).to_uint8(), upright)


def test_broken_exif_still_loads(tmp_path):
    pixels = np.full((4, 4, 3), 77, np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    data = buffer.getvalue()
    broken = data[:33] + chunk(b"eXIf", b"MM\x00*\xff\xff\xff\xff") + data[33:]
    image = load_image_bytes(broken, name="odd.png")
    assert image.to_uint8()[0, 0].tolist() == [77, 77, 77]


def test_first_frame_of_an_animation(tmp_path):
    frames = [Image.new("RGB", (4, 4), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    assert load_image(path).to_uint8()[0, 0].tolist() == [255, 0, 0]


def test_load_from_bytes(content_image):
    buffer = io.BytesIO()
    Image.fromarray((content_image * 255).astype(np.uint8)).save(buffer, "WEBP", lossless=True)
    image = load_image_bytes(buffer.getvalue(), name="dropped.webp")
    assert image.path == "" and image.format == "WEBP" and image.size == (64, 48)
