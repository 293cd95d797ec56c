"""Turn a decoded Pillow image of any mode into float sRGB pixels and an alpha plane.

Handles palette, greyscale, CMYK, Lab, 16-bit and alpha modes, embedded ICC
profiles (converted to sRGB with LittleCMS; a profile that cannot be used is
ignored and noted) and the EXIF orientation.

Pillow has no 16-bit-per-channel colour mode: it decodes 16-bit RGB(A) PNG and
TIFF files to 8 bits. To keep the full precision, such a file is decoded a
second time with the byte order of the raw mode swapped, which yields the low
bytes; the filters and the compression are undone by Pillow's C decoder both
times.
"""

from __future__ import annotations

import io
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageCms, ImageFile

_ORIENTATION = 0x0112
_ROWS_PER_CHUNK = 256  # rows per step of the 16-bit colour-profile lookup (bounds memory)


@dataclass
class Decoded:
    rgb: np.ndarray  # float32 (H, W, 3)
    alpha: np.ndarray | None  # float32 (H, W), None when opaque
    mode: str
    bit_depth: int
    notes: list[str]


def decode(
    image: ImageFile.ImageFile,
    tiles: list[ImageFile._Tile],
    reopen: Callable[[], ImageFile.ImageFile],
) -> Decoded:
    """Pixels of a loaded ``image``; ``tiles`` are its tiles from before ``load()``,
    ``reopen`` opens the same file again (for the second 16-bit pass)."""
    notes: list[str] = []
    icc = image.info.get("icc_profile") or None
    orientation = exif_orientation(image)
    wide = _decode_wide(image, tiles, reopen)
    if wide is not None:
        colour, alpha, mode = wide
        bit_depth = 16
    elif image.mode.startswith("I;16") or image.mode in ("I", "F"):
        colour, alpha = _decode_grey_high(image)
        mode, bit_depth = image.mode, 16
    else:
        colour, alpha = _decode_8bit(image, icc, notes)
        mode, bit_depth = image.mode, 8
        icc = None  # already applied
    if icc is not None:
        colour = _apply_profile_high(colour, icc, notes)
    if colour.ndim == 2:
        colour = np.repeat(colour[..., None], 3, axis=-1)
    if alpha is not None and float(alpha.min()) >= 1.0:
        alpha = None
    rgb = np.ascontiguousarray(apply_orientation(colour, orientation), dtype=np.float32)
    if alpha is not None:
        alpha = np.ascontiguousarray(apply_orientation(alpha, orientation), dtype=np.float32)
    return Decoded(rgb, alpha, mode, bit_depth, notes)


# -- orientation ----------------------------------------------------------------


_PILLOW_LOCK = threading.RLock()


@contextmanager
def quiet_pillow() -> Iterator[None]:
    """Pillow's warnings kept from stderr while Pillow parses a header or an EXIF block.

    Its warnings ("Corrupt EXIF data", "Truncated File Read", a malformed MPO) say nothing
    a person can act on: the image loads, or fails with a message of its own. The warnings
    filter is a process global, so it is changed (and put back) under a lock."""
    with _PILLOW_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1..8) of ``image``; 1 when it has none or it cannot be read."""
    try:
        with quiet_pillow():
            value = image.getexif().get(_ORIENTATION, 1)
    except Exception:  # a broken EXIF block must not stop the image from loading
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1



def apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Turn (H, W, ...) pixels upright, as ``PIL.ImageOps.exif_transpose`` does."""
    if orientation == 2:
        return pixels[:, ::-1]
    if orientation == 3:
        return pixels[::-1, ::-1]
    if orientation == 4:
        return pixels[::-1]
    if orientation == 5:
        return pixels.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(pixels, k=-1)
    if orientation == 7:
        return pixels[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(pixels, k=1)
    return pixels


# -- 8-bit modes ----------------------------------------------------------------------


def _decode_8bit(
    image: Image.Image, icc: bytes | None, notes: list[str]
) -> tuple[np.ndarray, np.ndarray | None]:
    mode = image.mode
    if mode == "1":
        image = image.convert("L")
    elif mode in ("P", "PA"):
        image = image.convert("RGBA" if mode == "PA" or image.has_transparency_data else "RGB")
    elif mode in ("L", "RGB") and image.info.get("transparency") is not None:
        image = image.convert("LA" if mode == "L" else "RGBA")  # tRNS colour key
    elif mode == "La":
        image = image.convert("LA")
    elif mode in ("RGBa", "RGBX"):
        image = image.convert("RGBA" if mode == "RGBa" else "RGB")
    elif mode == "LAB":
        image = _convert_lab(image)
    elif mode not in ("L", "LA", "RGB", "RGBA", "CMYK"):
        image = image.convert("RGB")  # YCbCr, HSV

    alpha = None
    if image.mode in ("LA", "RGBA"):
        alpha = np.asarray(image.getchannel("A"), dtype=np.float32) / 255.0
        image = image.convert("L" if image.mode == "LA" else "RGB")
    if icc is not None:
        image = _apply_profile_8bit(image, icc, notes)
    if image.mode == "CMYK":
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.float32) / 255.0, alpha


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _convert_lab(image: Image.Image) -> Image.Image:
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))
    return _checked(ImageCms.profileToProfile(image, lab, _srgb_profile(), outputMode="RGB"))


def _checked(image: Image.Image | None) -> Image.Image:
    """ImageCms returns None only for in-place transforms, which are not used here."""
    if image is None:
        raise ValueError("the colour transform returned no image")
    return image


def _profile_transform(icc: bytes, in_mode: str) -> ImageCms.ImageCmsTransform:
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(profile, _srgb_profile(), in_mode, "RGB")


def _broken_profile_note(error: Exception) -> str:
    reason = str(error).strip().rstrip(".") or type(error).__name__
    return f"The embedded colour profile could not be used ({reason}); colours assumed sRGB."


def _apply_profile_8bit(image: Image.Image, icc: bytes, notes: list[str]) -> Image.Image:
    try:
        transform = _profile_transform(icc, image.mode)
        return _checked(ImageCms.applyTransform(image, transform))
    except Exception as error:  # LittleCMS rejects broken or mismatched profiles
        notes.append(_broken_profile_note(error))
        return image


# -- 16-bit modes -----------------------------------------------------------------------


def _swapped_rawmode(rawmode: str) -> str | None:
    """The raw mode that reads the low byte of each 16-bit sample instead of the high."""
    if rawmode.endswith(";16B"):
        return rawmode[:-1] + "L"
    if rawmode.endswith(";16L"):
        return rawmode[:-1] + "B"
    if rawmode.endswith(";16N"):
        return rawmode[:-1] + ("B" if sys.byteorder == "little" else "L")
    return None


def _with_rawmode(tile: ImageFile._Tile, rawmode: str) -> ImageFile._Tile:
    args = tile.args
    if isinstance(args, str):
        return tile._replace(args=rawmode)
    return tile._replace(args=(rawmode, *tuple(args or ())[1:]))


def _tile_rawmode(tile: ImageFile._Tile) -> str | None:
    args = tile.args
    if isinstance(args, str):
        return args
    if isinstance(args, tuple) and args and isinstance(args[0], str):
        return args[0]
    return None


def _decode_wide(
    image: ImageFile.ImageFile,
    tiles: list[ImageFile._Tile],
    reopen: Callable[[], ImageFile.ImageFile],
) -> tuple[np.ndarray, np.ndarray | None, str] | None:
    """Full-precision pixels of a 16-bit RGB, RGBA or grey+alpha file, else None."""
    rawmodes = {_tile_rawmode(tile) for tile in tiles}
    if not tiles or len(rawmodes) != 1 or image.mode not in ("RGB", "RGBA"):
        return None
    rawmode = rawmodes.pop()
    if rawmode is None:
        return None
    swapped: str | None = None
    if image.format == "PNG" and rawmode == "LA;16B":
        # Pillow keeps only the high bytes of L and A; read all four bytes as "RGBA".
        swapped = "RGBA"
    elif rawmode.split(";")[0] == image.mode:
        swapped = _swapped_rawmode(rawmode)
    if swapped is None:
        return None
    try:
        with reopen() as second:
            second.tile = [_with_rawmode(tile, swapped) for tile in second.tile]
            second.load()
            low = np.asarray(second)
    except Exception:  # an unusual layout: fall back to Pillow's 8 bits
        return None
    if swapped == "RGBA" and rawmode == "LA;16B":
        high = low.astype(np.uint16)
        grey = (high[..., 0] << 8) | high[..., 1]
        alpha16 = (high[..., 2] << 8) | high[..., 3]
        return grey / np.float32(65535), alpha16 / np.float32(65535), "LA;16"
    high = np.asarray(image)
    if low.shape != high.shape:
        return None
    samples = ((high.astype(np.uint16) << 8) | low).astype(np.float32) / np.float32(65535)
    if image.mode == "RGBA":
        return samples[..., :3], samples[..., 3], "RGBA;16"
    return samples, _colour_key_alpha(image, (high.astype(np.uint16) << 8) | low), "RGB;16"


def _colour_key_alpha(image: Image.Image, samples: np.ndarray) -> np.ndarray | None:
    """Alpha from a PNG tRNS colour key (one fully transparent 16-bit value)."""
    key = image.info.get("transparency")
    if key is None or isinstance(key, bytes):
        return None
    match = samples == np.asarray(key, dtype=samples.dtype)
    if samples.ndim == 3:
        match = match.all(axis=-1)
    return np.where(match, 0.0, 1.0).astype(np.float32)


def _decode_grey_high(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    samples = np.asarray(image)
    if image.mode == "F":
        values = samples.astype(np.float32)
        finite_max = float(np.nanmax(values)) if values.size else 0.0
        scale = 1.0 if finite_max <= 1.0 else 255.0 if finite_max <= 255.0 else 65535.0
        grey = np.nan_to_num(values / np.float32(scale), nan=0.0, posinf=1.0, neginf=0.0)
        return np.clip(grey, 0.0, 1.0), None
    native = samples.astype(np.int64)
    grey = np.clip(native, 0, 65535).astype(np.float32) / np.float32(65535)
    return grey, _colour_key_alpha(image, native)


def _apply_profile_high(colour: np.ndarray, icc: bytes, notes: list[str]) -> np.ndarray:
    """Convert 16-bit pixels to sRGB through a lookup table that LittleCMS fills.

    Pillow's colour management works on 8-bit images, so the profile is sampled
    at exact 8-bit values (a 52-step lattice for colour, 256 steps for grey) and
    the pixels are interpolated between them; smooth 16-bit gradients stay smooth.
    """
    try:
        if colour.ndim == 2:
            ramp = Image.fromarray(np.arange(256, dtype=np.uint8)[None, :])
            table = _lookup_through_profile(ramp, icc).reshape(256, 3)
            positions = np.linspace(0.0, 1.0, 256, dtype=np.float32)
            return np.stack([np.interp(colour, positions, table[:, c]) for c in range(3)], -1)
        steps = np.arange(0, 256, 5, dtype=np.uint8)  # 0, 5, ..., 255: exact 8-bit values
        n = len(steps)
        lattice = np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), -1)
        table = _lookup_through_profile(Image.fromarray(lattice.reshape(n, n * n, 3)), icc)
        return _trilinear(colour, table.reshape(n, n, n, 3))
    except Exception as error:
        notes.append(_broken_profile_note(error))
        return colour


def _lookup_through_profile(nodes: Image.Image, icc: bytes) -> np.ndarray:
    transform = _profile_transform(icc, nodes.mode)
    converted = _checked(ImageCms.applyTransform(nodes, transform))
    return np.asarray(converted, dtype=np.float32) / 255.0


def _trilinear(colour: np.ndarray, table: np.ndarray) -> np.ndarray:
    n = table.shape[0]
    out = np.empty(colour.shape, dtype=np.float32)
    for top in range(0, colour.shape[0], _ROWS_PER_CHUNK):
        block = np.clip(colour[top : top + _ROWS_PER_CHUNK], 0.0, 1.0) * np.float32(n - 1)
        low = np.minimum(block.astype(np.int64), n - 2)
        frac = (block - low)[..., None]
        r, g, b = low[..., 0], low[..., 1], low[..., 2]
        fr, fg, fb = frac[..., 0, :], frac[..., 1, :], frac[..., 2, :]
        result = np.zeros(block.shape, dtype=np.float32)
        for dr, wr in ((0, 1 - fr), (1, fr)):
            for dg, wg in ((0, 1 - fg), (1, fg)):
                for db, wb in ((0, 1 - fb), (1, fb)):
                    result += table[r + dr, g + dg, b + db] * (wr * wg * wb)
        out[top : top + _ROWS_PER_CHUNK] = result
    return out
