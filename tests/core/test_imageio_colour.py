"""Embedded ICC profiles are converted to sRGB; broken or mismatched ones are ignored."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from nst_desktop.core.imageio import load_image, load_image_bytes
from tests.core.iccbuild import (
    adobe_rgb_profile,
    adobe_to_srgb,
    cmyk_profile,
    grey_profile,
    inks_to_srgb,
    srgb_encode,
)
from tests.core.pngbuild import iccp_chunk, png_bytes

# In-gamut Adobe RGB colours, and a grey that both spaces agree on.
ADOBE_COLOURS = np.array(
    [[128, 160, 100], [200, 120, 90], [90, 110, 200], [60, 140, 150], [128, 128, 128]], np.uint8
)
TOLERANCE = 2.5 / 255


def _png(pixels: np.ndarray, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", **options)
    return buffer.getvalue()


def test_adobe_rgb_png_is_converted_to_srgb():
    pixels = np.repeat(ADOBE_COLOURS[None], 3, axis=0)
    image = load_image_bytes(_png(pixels, icc_profile=adobe_rgb_profile()), name="adobe.png")
    assert image.notes == ()
    expected = adobe_to_srgb(ADOBE_COLOURS / 255)
    np.testing.assert_allclose(image.rgb[1], expected, atol=TOLERANCE)
    # Ignoring the profile would have been visibly wrong for the saturated colours.
    naive = load_image_bytes(_png(pixels)).rgb[1]
    assert np.abs(naive[:4] - image.rgb[1, :4]).max() > 10 / 255
    assert np.abs(naive[4] - image.rgb[1, 4]).max() < 3 / 255


def test_sixteen_bit_png_with_profile_is_converted_smoothly():
    adobe16 = np.repeat(ADOBE_COLOURS[None].astype(np.uint16) * 257, 2, axis=0)
    data = png_bytes(adobe16, extra_chunks=(iccp_chunk(adobe_rgb_profile()),))
    image = load_image_bytes(data, name="deep-adobe.png")
    assert image.bit_depth == 16 and image.notes == ()
    np.testing.assert_allclose(image.rgb[0], adobe_to_srgb(ADOBE_COLOURS / 255), atol=TOLERANCE)

    # A fine 16-bit ramp stays a ramp (monotonic, many levels) after conversion.
    ramp = np.linspace(20000, 21000, 200).astype(np.uint16)
    ramp_pixels = np.stack([ramp, ramp // 2, ramp], -1)[None]
    converted = load_image_bytes(
        png_bytes(ramp_pixels, extra_chunks=(iccp_chunk(adobe_rgb_profile()),))
    ).rgb[0, :, 0]
    assert np.all(np.diff(converted) > 0)


def test_cmyk_jpeg_with_profile_uses_the_profile(tmp_path):
    solids = np.array(
        [[255, 0, 0, 0], [0, 255, 0, 0], [0, 0, 0, 0], [255, 0, 255, 0], [0, 0, 0, 255]], np.uint8
    )
    blocks = np.repeat(np.repeat(solids[None], 16, axis=0), 16, axis=1)  # 16x80, flat 16px blocks
    cmyk = Image.frombytes("CMYK", (80, 16), blocks.tobytes())
    path = tmp_path / "print.jpg"
    cmyk.save(path, "JPEG", quality=95, icc_profile=cmyk_profile())
    image = load_image(path)
    assert image.mode == "CMYK" and image.notes == ()
    centres = image.rgb[8, 8::16]
    expected = [inks_to_srgb(*(solid // 255)) for solid in solids]
    np.testing.assert_allclose(centres, expected, atol=4 / 255)
    # Pillow's naive conversion would turn full cyan into (0, 255, 255).
    assert centres[0, 1] < 0.7


def test_greyscale_with_grey_profile(tmp_path):
    grey = np.array([[0, 100, 255]], np.uint8)
    path = tmp_path / "linear-grey.png"
    path.write_bytes(_png(grey, icc_profile=grey_profile(1.0)))
    image = load_image(path)
    assert image.notes == ()
    expected = srgb_encode(grey[0] / 255)  # linear light, encoded for sRGB
    np.testing.assert_allclose(image.rgb[0, :, 1], expected, atol=TOLERANCE)
    assert image.to_uint8()[0, 1, 0] > 150  # ignoring the profile would give 100


def test_sixteen_bit_greyscale_with_grey_profile():
    grey = np.array([[0, 25700, 65535]], np.uint16)
    image = load_image_bytes(png_bytes(grey, extra_chunks=(iccp_chunk(grey_profile(1.0)),)))
    assert image.bit_depth == 16 and image.notes == ()
    np.testing.assert_allclose(image.rgb[0, :, 2], srgb_encode(grey[0] / 65535), atol=TOLERANCE)


def test_rgb_profile_on_greyscale_is_ignored(tmp_path):
    grey = np.full((3, 3), 100, np.uint8)
    path = tmp_path / "grey.png"
    path.write_bytes(_png(grey, icc_profile=adobe_rgb_profile()))
    image = load_image(path)
    assert image.to_uint8()[0, 0].tolist() == [100, 100, 100]
    assert len(image.notes) == 1 and "colour profile" in image.notes[0]


@pytest.mark.parametrize(
    "profile",
    [
        b"not an icc profile at all",
        adobe_rgb_profile()[:200],  # cut short
        ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes(),  # Lab, not RGB
    ],
    ids=["garbage", "truncated", "lab-on-rgb"],
)
def test_unusable_profile_is_ignored_and_noted(profile):
    pixels = np.repeat(ADOBE_COLOURS[None], 2, axis=0)
    image = load_image_bytes(_png(pixels, icc_profile=profile), name="odd.png")
    np.testing.assert_array_equal(image.to_uint8()[0], ADOBE_COLOURS)  # taken as sRGB
    assert len(image.notes) == 1 and "assumed sRGB" in image.notes[0]


def test_unusable_profile_on_sixteen_bit_image_is_ignored():
    samples = np.full((2, 2, 3), 40000, np.uint16)
    data = png_bytes(samples, extra_chunks=(iccp_chunk(b"garbage" * 30),))
    image = load_image_bytes(data)
    assert image.bit_depth == 16 and len(image.notes) == 1
    np.testing.assert_allclose(image.rgb, 40000 / 65535, atol=1e-6)


def test_srgb_profile_changes_nothing_visible():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    pixels = np.repeat(ADOBE_COLOURS[None], 2, axis=0)
    image = load_image_bytes(_png(pixels, icc_profile=srgb))
    assert np.abs(image.to_uint8().astype(int) - pixels).max() <= 1
