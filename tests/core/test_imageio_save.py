"""Saving: every format, 16-bit, alpha, embedded params, and atomic writes that never lose data."""

from __future__ import annotations

import errno
import os
import stat

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from nst_desktop.core import atomic_files, imageencode
from nst_desktop.core.imageio import (
    IMAGE_FILE_FILTER,
    PARAMS_KEY,
    SAVE_FORMATS,
    is_image_file,
    load_image,
    read_params,
    save_image,
    unique_path,
)
from nst_desktop.engine.params import Params, StyleInput
from nst_desktop.errors import ImageLoadError, ImageSaveError, ParameterError
from tests.core.pngbuild import chunks_of
from tests.core.unprivileged import run_check

PARAMS = Params(
    content="/photos/tübingen.jpg",
    styles=(StyleInput("/art/starry night.jpg", 2.0), StyleInput("/art/scream.jpg", 1.0)),
    size=384,
    style_weight=35.5,
    seed=42,
    preserve_color="luminance",
    style_layers=("relu1_1", "relu3_1"),
)


def _files(folder) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif"])
def test_params_round_trip_in_every_format(tmp_path, content_image, suffix):
    path = save_image(tmp_path / f"result{suffix}", content_image, params=PARAMS)
    assert read_params(path) == PARAMS
    assert load_image(path).params == PARAMS


def test_png_stores_params_as_itxt_with_software(tmp_path, content_image):
    path = save_image(tmp_path / "result.png", content_image, params=PARAMS)
    chunks = dict(chunks_of(path.read_bytes()))
    keyword, _, rest = chunks[b"iTXt"].partition(b"\0")
    assert keyword.decode() == PARAMS_KEY
    assert Params.from_json(rest[4:].decode("utf-8")) == PARAMS  # flags, language, keyword
    assert chunks[b"tEXt"].startswith(b"Software\0nst_desktop")
    assert chunks[b"sRGB"] == b"\0"


def test_image_without_params(tmp_path, content_image):
    path = save_image(tmp_path / "plain.png", content_image)
    assert read_params(path) is None
    foreign = tmp_path / "foreign.jpg"
    Image.new("RGB", (4, 4)).save(foreign)
    assert read_params(foreign) is None


def test_invalid_params_in_a_file(tmp_path, content_image):
    path = tmp_path / "tampered.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt(PARAMS_KEY, '{"size": "huge"}')
    Image.fromarray((content_image * 255).astype(np.uint8)).save(path, pnginfo=info)
    with pytest.raises(ParameterError, match="tampered.png"):
        read_params(path)
    image = load_image(path)  # the image itself still opens
    assert image.params is None and "ignored" in image.notes[0]
    with pytest.raises(ImageLoadError):
        read_params(tmp_path / "missing.png")


@pytest.mark.parametrize("suffix, tolerance", [(".png", 0.5 / 255), (".tif", 0.5 / 255)])
def test_lossless_formats_round_trip(tmp_path, content_image, suffix, tolerance):
    image = load_image(save_image(tmp_path / f"x{suffix}", content_image))
    assert image.bit_depth == 8 and image.alpha is None
    np.testing.assert_allclose(image.rgb, content_image, atol=tolerance + 1e-6)


@pytest.mark.parametrize("suffix", [".jpg", ".webp"])
def test_lossy_formats_are_close_and_quality_matters(tmp_path, content_image, suffix):
    good = save_image(tmp_path / f"good{suffix}", content_image, quality=95)
    poor = save_image(tmp_path / f"poor{suffix}", content_image, quality=20)
    error_good = np.abs(load_image(good).rgb - content_image).mean()
    error_poor = np.abs(load_image(poor).rgb - content_image).mean()
    assert error_good < 0.03 and error_good < error_poor
    assert good.stat().st_size > poor.stat().st_size


def test_webp_at_quality_100_is_lossless(tmp_path, content_image):
    path = save_image(tmp_path / "exact.webp", content_image, quality=100)
    np.testing.assert_allclose(load_image(path).rgb, content_image, atol=0.5 / 255 + 1e-6)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_sixteen_bit_round_trip(tmp_path, suffix):
    ramp = np.linspace(0.2, 0.21, 300, dtype=np.float32)  # 655 16-bit levels, 3 in 8 bits
    rgb = np.stack([ramp, ramp[::-1], np.full_like(ramp, 0.7)], -1)[None].repeat(3, 0)
    alpha = np.linspace(0, 1, 300, dtype=np.float32)[None].repeat(3, 0)
    path = save_image(tmp_path / f"deep{suffix}", rgb, alpha=alpha, bit_depth=16, params=PARAMS)
    image = load_image(path)
    assert image.bit_depth == 16 and image.mode == "RGBA;16"
    np.testing.assert_allclose(image.rgb, rgb, atol=0.5 / 65535 + 1e-7)
    np.testing.assert_allclose(image.alpha, alpha, atol=0.5 / 65535 + 1e-7)
    assert len(np.unique(image.rgb[0, :, 0])) > 250  # 8 bits would leave 3 levels
    assert read_params(path) == PARAMS
    with Image.open(path) as other_reader:  # a standard file other programs can open
        assert other_reader.size == (300, 3) and other_reader.format in ("PNG", "TIFF")
        other_reader.load()


def test_sixteen_bit_png_header(tmp_path, content_image):
    path = save_image(tmp_path / "deep.png", content_image, bit_depth=16)
    ihdr = dict(chunks_of(path.read_bytes()))[b"IHDR"]
    assert ihdr[8] == 16 and ihdr[9] == 2  # 16 bits, RGB without alpha
    assert load_image(path).mode == "RGB;16"



def test_sixteen_bit_files_of_a_real_run_hold_its_result(tmp_path, content_image, style_image):
    """The engine's result is a view of a transposed tensor, not a contiguous array: 16-bit
    PNG once failed on every real result ("last axis must be contiguous")."""
    from nst_desktop.engine import Params, StyleTransfer

    params = Params(size=48, iterations=2, coarse_to_fine=False, device="cpu", preview_every=0)
    result = list(StyleTransfer(params, content_image, [style_image]).events())[-1]
    for suffix in (".png", ".tif"):
        path = save_image(tmp_path / f"real{suffix}", result.image, bit_depth=16, params=params)
        image = load_image(path)
        assert image.bit_depth == 16 and image.mode == "RGB;16"
        np.testing.assert_allclose(image.rgb, result.image, atol=0.5 / 65535 + 1e-7)


def test_the_cli_writes_a_sixteen_bit_png_of_a_real_run(tmp_path, content_image, style_image,
                                                        capsys):
    from nst_desktop import cli

    content = tmp_path / "photo.png"
    style = tmp_path / "painting.png"
    Image.fromarray(imageencode.quantize(content_image, 8)).save(content)
    Image.fromarray(imageencode.quantize(style_image, 8)).save(style)
    out = tmp_path / "x.png"
    common = [str(content), str(style), "--size", "48", "--iterations", "2",
              "--no-coarse-to-fine", "--device", "cpu", "-q"]
    assert cli.main([*common, "--16-bit", "-o", str(out)]) == 0, capsys.readouterr().err
    assert cli.main([*common, "-o", str(tmp_path / "x8.png")]) == 0
    ihdr = dict(chunks_of(out.read_bytes()))[b"IHDR"]
    assert ihdr[8] == 16 and ihdr[9] == 2  # 16 bits, RGB: the photo is opaque
    deep, shallow = load_image(out), load_image(tmp_path / "x8.png")
    assert deep.bit_depth == 16 and read_params(out) is not None
    # The same run (seeded, on the CPU) as the 8-bit file, with the levels between its own.
    np.testing.assert_allclose(deep.rgb, shallow.rgb, atol=0.5 / 255 + 1e-3)
    assert not np.allclose(deep.rgb * 255, np.round(deep.rgb * 255), atol=1e-3)

@pytest.mark.parametrize("suffix", [".png", ".webp", ".tif"])
def test_alpha_is_kept_and_transparent_pixels_keep_colour(tmp_path, suffix):
    rgb = np.zeros((8, 8, 3), np.float32)
    rgb[...] = (0.2, 0.6, 0.9)
    alpha = np.ones((8, 8), np.float32)
    alpha[:, :4] = 0.0
    path = save_image(tmp_path / f"cutout{suffix}", rgb, alpha=alpha, quality=100)
    image = load_image(path)
    np.testing.assert_allclose(image.alpha, alpha, atol=1 / 255)
    np.testing.assert_allclose(image.rgb[:, :4], rgb[:, :4], atol=1 / 255)


def test_alpha_of_another_size_is_resized(tmp_path, content_image):
    small_alpha = np.zeros((12, 16), np.float32)
    small_alpha[:, 8:] = 1.0
    path = save_image(tmp_path / "resized.png", content_image, alpha=small_alpha)
    alpha = load_image(path).alpha
    assert alpha.shape == (48, 64)
    assert alpha[:, :28].max() == 0.0 and alpha[:, 36:].min() == 1.0


def test_jpeg_composites_alpha_on_white(tmp_path):
    rgb = np.zeros((16, 16, 3), np.float32)  # black...
    alpha = np.zeros((16, 16), np.float32)
    alpha[:, 8:] = 1.0  # ...but only the right half is opaque
    image = load_image(save_image(tmp_path / "flat.jpg", rgb, alpha=alpha))
    assert image.alpha is None
    assert image.to_uint8()[8, 2].min() > 245 and image.to_uint8()[8, 13].max() < 10


def test_uint8_and_greyscale_input(tmp_path):
    grey = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (4, 1))
    image = load_image(save_image(tmp_path / "grey.png", grey))
    np.testing.assert_array_equal(image.to_uint8()[..., 0], grey)


def test_nan_and_out_of_range_values_are_clipped(tmp_path):
    rgb = np.array([[[np.nan, -1.0, 2.0]]], np.float32)
    image = load_image(save_image(tmp_path / "odd.png", rgb))
    assert image.to_uint8()[0, 0].tolist() == [0, 0, 255]


def test_format_argument_and_missing_suffix(tmp_path, content_image):
    path = save_image(tmp_path / "result", content_image, format="jpeg")
    assert path.name == "result.jpg" and load_image(path).format == "JPEG"
    path = save_image(tmp_path / "version.1", content_image, format="PNG")
    assert path.name == "version.1.png"
    path = save_image(tmp_path / "forced.png", content_image, format="TIFF")
    assert path.name == "forced.png" and load_image(path).format == "TIFF"


def test_save_formats_and_filters():
    assert SAVE_FORMATS[".png"] == "PNG" and SAVE_FORMATS[".jpeg"] == "JPEG"
    assert set(SAVE_FORMATS) == {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"}
    assert IMAGE_FILE_FILTER.startswith("Images (") and "*.png" in IMAGE_FILE_FILTER
    assert "*.jpg" in IMAGE_FILE_FILTER and "*.tiff" in IMAGE_FILE_FILTER


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"path": "out.bmp"}, ImageSaveError, "“.bmp” is not supported"),
        ({"path": "out"}, ImageSaveError, "without a type"),
        ({"path": "out.png", "format": "GIF"}, ParameterError, "PNG, JPEG, WebP or TIFF"),
        ({"path": "out.jpg", "bit_depth": 16}, ParameterError, "PNG or TIFF"),
        ({"path": "out.png", "bit_depth": 12}, ParameterError, "8 or 16"),
        ({"path": "out.jpg", "quality": 0}, ParameterError, "1 to 100"),
        ({"path": "out.png", "rgb": np.zeros((4, 4, 2))}, ParameterError, "(height, width, 3)"),
        ({"path": "out.png", "rgb": np.zeros((0, 4, 3))}, ParameterError, "(height, width, 3)"),
        ({"path": "out.png", "alpha": np.zeros((4, 4, 2))}, ParameterError, "Alpha"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error, words):
    arguments = {"rgb": np.zeros((4, 4, 3), np.float32), **kwargs}
    arguments["path"] = tmp_path / arguments["path"]
    with pytest.raises(error) as info:
        save_image(**arguments)
    assert words in str(info.value)
    assert _files(tmp_path) == []


# -- atomic writes ------------------------------------------------------------------------


def _raising(error: OSError):
    def fail(*args, **kwargs):
        raise error

    return fail


def _existing(tmp_path, content_image):
    path = save_image(tmp_path / "keep.png", content_image)
    return path, path.read_bytes()


def test_missing_folder(tmp_path, content_image):
    with pytest.raises(ImageSaveError, match="does not exist"):
        save_image(tmp_path / "nowhere" / "out.png", content_image)
    assert _files(tmp_path) == []


def test_folder_in_the_way(tmp_path, content_image):
    (tmp_path / "taken.png").mkdir()
    with pytest.raises(ImageSaveError, match="folder of that name"):
        save_image(tmp_path / "taken.png", content_image)


def test_full_disk_leaves_old_file_and_no_temp_file(
    tmp_path, content_image, style_image, monkeypatch
):
    path, before = _existing(tmp_path, content_image)

    monkeypatch.setattr(os, "write", _raising(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(ImageSaveError) as info:
        save_image(path, style_image)
    assert "disk is full" in str(info.value) and "keep.png" in str(info.value)
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["keep.png"]


def test_failed_fsync_and_failed_rename(tmp_path, content_image, style_image, monkeypatch):
    path, before = _existing(tmp_path, content_image)
    monkeypatch.setattr(os, "fsync", _raising(OSError(errno.EIO, "Input/output error")))
    with pytest.raises(ImageSaveError, match="keep.png"):
        save_image(path, style_image)
    monkeypatch.undo()
    denied = PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(atomic_files.os, "replace", _raising(denied))
    with pytest.raises(ImageSaveError, match="permission"):
        save_image(path, style_image)
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["keep.png"]


def test_read_only_folder(tmp_path, content_image, monkeypatch):
    monkeypatch.setattr(atomic_files.os, "open", _raising(OSError(errno.EROFS, "Read-only")))
    with pytest.raises(ImageSaveError, match="read-only"):
        save_image(tmp_path / "out.png", content_image)
    assert _files(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_read_only_folder_for_real(tmp_path):
    """Saving into a folder nobody may write (checked without root's power to write all)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        printed = run_check(f"""
            import numpy as np
            from nst_desktop.core.imageio import save_image
            from nst_desktop.errors import ImageSaveError
            try:
                save_image({str(folder / "out.png")!r}, np.zeros((8, 8, 3), np.float32))
            except ImageSaveError as exc:
                print(exc)
            """)
        assert "permission" in printed
        assert _files(folder) == []
    finally:
        folder.chmod(0o755)


def test_overwrite_replaces_atomically_and_keeps_permissions(tmp_path, content_image, style_image):
    path, before = _existing(tmp_path, content_image)
    path.chmod(0o640)
    save_image(path, style_image)
    assert path.read_bytes() != before
    assert (path.stat().st_mode & 0o777) == 0o640
    np.testing.assert_allclose(load_image(path).rgb, style_image, atol=0.5 / 255 + 1e-6)
    assert _files(tmp_path) == ["keep.png"]


def test_encoder_failure_is_a_save_error(tmp_path, content_image, monkeypatch):
    path, before = _existing(tmp_path, content_image)

    monkeypatch.setattr(imageencode, "encode", _raising(OSError("encoder error -2")))
    with pytest.raises(ImageSaveError, match="Cannot encode"):
        save_image(path, content_image)
    assert path.read_bytes() == before


# -- names and sniffing ----------------------------------------------------------------------


def test_unique_path(tmp_path):
    first = unique_path(tmp_path, "starry", ".png")
    assert first == tmp_path / "starry.png"
    first.write_bytes(b"x")
    assert unique_path(tmp_path, "starry", ".png") == tmp_path / "starry-2.png"
    (tmp_path / "starry-2.png").write_bytes(b"x")
    assert unique_path(tmp_path, "starry", "png") == tmp_path / "starry-3.png"
    assert unique_path(tmp_path, "a/b:c", ".jpg") == tmp_path / "a_b_c.jpg"
    assert unique_path(tmp_path, "", ".jpg") == tmp_path / "image.jpg"


def test_is_image_file(tmp_path, content_image):
    for suffix in (".png", ".jpg", ".webp", ".tif"):
        assert is_image_file(save_image(tmp_path / f"a{suffix}", content_image))
    for fmt, suffix in (("BMP", ".bmp"), ("GIF", ".gif")):
        Image.new("RGB", (3, 3)).save(tmp_path / f"b{suffix}", fmt)
        assert is_image_file(tmp_path / f"b{suffix}")
    renamed = tmp_path / "renamed.txt"
    renamed.write_bytes((tmp_path / "a.png").read_bytes())
    assert is_image_file(renamed)  # the content decides, not the name

    (tmp_path / "notes.png").write_text("BM is a text file that starts like a bitmap")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "folder.png").mkdir()
    for name in ("notes.png", "empty.png", "folder.png", "missing.png"):
        assert not is_image_file(tmp_path / name)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_permissions_a_plain_open_would_give(tmp_path, content_image,
                                                                 umask):
    """Not the temporary file's 0600: a saved picture is readable by whoever the person's
    umask lets read their files (0644 with the usual 022)."""
    old = os.umask(umask)
    try:
        path = tmp_path / "new.png"
        save_image(path, content_image)
        plain = tmp_path / "plain.bin"
        plain.write_bytes(b"")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
