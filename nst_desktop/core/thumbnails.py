"""Checking that a file is a readable image, and making its thumbnail (Pillow).

A small private helper for the gallery and the history: ``probe_image``
opens and fully decodes a file by the photo pane's rules (the same limit,
the same damage refused), and returns an upright sRGB thumbnail.
Every failure is an :class:`ImageLoadError` whose message names the file.
Safe to call from any thread: it touches no shared state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from nst_desktop.core.atomic_files import atomic_open
from nst_desktop.core.imagedecode import exif_orientation
from nst_desktop.core.imageload import (  # the photo pane's limits and words
    DEFAULT_MAX_PIXELS,
    damaged_message,
    load_pixels,
    open_image,
    too_large_message,
)
from nst_desktop.errors import ImageLoadError, ImageTooLargeError

THUMBNAIL_SIZE = 256  # longest side in pixels of the cached thumbnails
THUMBNAIL_QUALITY = 88
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".jfif", ".jpe"}
)
_FORMAT_SUFFIX = {
    "JPEG": ".jpg",
    "MPO": ".jpg",
    "PNG": ".png",
    "WEBP": ".webp",
    "TIFF": ".tif",
    "BMP": ".bmp",
    "GIF": ".gif",
}
# How each EXIF orientation is turned upright, as PIL.ImageOps.exif_transpose does it.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_BACKGROUND = (255, 255, 255)  # transparent parts of a thumbnail are shown on white


@dataclass(frozen=True)
class ImageInfo:
    """What a probe learned about an image file."""

    format: str  # Pillow's format name, e.g. "JPEG"
    width: int  # upright (after EXIF orientation)
    height: int
    mode: str  # Pillow mode of the file, e.g. "RGB", "CMYK", "I;16"

    @property
    def suffix(self) -> str:
        """The file-name suffix this format is stored under in the gallery."""
        return _FORMAT_SUFFIX.get(self.format, "." + self.format.lower()[:8])


def looks_like_image(path: Path) -> bool:
    """A cheap test on the name only (for folder scans and drops of folders)."""
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def probe_image(
    path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS, thumbnail_size: int = THUMBNAIL_SIZE
) -> tuple[ImageInfo, Image.Image]:
    """Open, check and decode ``path``; return its info and an RGB thumbnail.

    Raises :class:`ImageTooLargeError` beyond ``max_pixels`` and
    :class:`ImageLoadError` for a missing, empty, non-image or corrupt file.
    """
    path = Path(path)
    name = path.name or str(path)
    if not path.exists():
        raise ImageLoadError(f"{name} does not exist (was it moved or deleted?).")
    if path.is_dir():
        raise ImageLoadError(f"{name} is a folder, not an image.")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImageLoadError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    if size == 0:
        raise ImageLoadError(f"{name} is empty (0 bytes).")
    # Opened and decoded as the photo and painting panes do (one rule for a damaged file,
    # one limit, the same words); the thumbnail is decoded at a reduced size where the
    # format allows (JPEG), which still reads the whole file.
    try:
        with open_image(path, name, max_pixels) as image:
            fmt = image.format or "unknown"
            mode = image.mode
            _check_pixels(name, image.size, max_pixels)
            width, height = image.size
            image.draft("RGB", (thumbnail_size * 2, thumbnail_size * 2))
            load_pixels(image, name)
            orientation = exif_orientation(image)  # after loading: see open_image
            if orientation in (5, 6, 7, 8):
                width, height = height, width  # stored on its side
            upright = _upright(image, orientation)
            thumb = _to_rgb(upright)
            thumb.thumbnail((thumbnail_size, thumbnail_size), Image.Resampling.LANCZOS)
    except (ImageLoadError, ImageTooLargeError):
        raise
    except MemoryError:
        raise ImageLoadError(f"There is not enough memory to open {name}.") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        # The words the photo and painting panes use for the same file.
        raise ImageLoadError(damaged_message(name, exc)) from None
    if width < 1 or height < 1:
        raise ImageLoadError(f"{name} has no pixels.")
    return ImageInfo(fmt, width, height, mode), thumb


def save_thumbnail(thumb: Image.Image, dest: Path) -> None:
    """Write an RGB thumbnail as a JPEG, atomically."""
    with atomic_open(dest) as handle:
        thumb.save(handle, format="JPEG", quality=THUMBNAIL_QUALITY)


def make_thumbnail(src: Path, dest: Path, *, size: int = THUMBNAIL_SIZE) -> ImageInfo:
    """Probe ``src`` and write its thumbnail to ``dest``; return the probe's info."""
    info, thumb = probe_image(src, thumbnail_size=size)
    save_thumbnail(thumb, dest)
    return info


def thumbnail_is_fresh(src: Path, thumb: Path) -> bool:
    """The cached thumbnail exists and is not older than its image."""
    try:
        return os.stat(thumb).st_mtime_ns >= os.stat(src).st_mtime_ns and thumb.stat().st_size > 0
    except OSError:
        return False


def thumbnail_from_array(rgb: np.ndarray, *, size: int = THUMBNAIL_SIZE) -> Image.Image:
    image = Image.fromarray(to_uint8_rgb(rgb), "RGB")
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    return image


def to_uint8_rgb(rgb: np.ndarray) -> np.ndarray:
    """A float (0..1) or uint8 (H, W, 3) array as contiguous uint8 RGB."""
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageLoadError(f"Expected an RGB image array (H, W, 3); got shape {arr.shape}.")
    if arr.dtype != np.uint8:
        arr = (np.clip(np.nan_to_num(arr.astype(np.float32)), 0, 1) * 255 + 0.5).astype(np.uint8)
    return np.ascontiguousarray(arr)


def _check_pixels(name: str, size: tuple[int, int], max_pixels: int) -> None:
    if size[0] * size[1] > max_pixels:
        raise ImageTooLargeError(too_large_message(name, size[0], size[1], max_pixels))


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    """``image`` turned as its EXIF orientation says (read once, quietly, by the caller)."""
    method = _UPRIGHT.get(orientation)
    return image if method is None else image.transpose(method)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode (16-bit, float, CMYK, palette, alpha) as 8-bit RGB."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        arr = np.asarray(image).astype(np.float64)
        if image.mode == "F" or arr.max(initial=0) > 65535 or arr.min(initial=0) < 0:
            lo, hi = float(arr.min(initial=0)), float(arr.max(initial=1))
            arr = (arr - lo) / (hi - lo or 1.0)
        else:
            arr = arr / 65535.0
        grey = (np.clip(arr, 0, 1) * 255 + 0.5).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode == "CMYK" and image.info.get("icc_profile"):
        converted = _icc_to_srgb(image)
        if converted is not None:
            return converted
    return image.convert("RGB")


def _icc_to_srgb(image: Image.Image) -> Image.Image | None:
    try:
        import io

        from PIL import ImageCms

        src = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
        dst = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(image, src, dst, outputMode="RGB")
    except Exception:  # a broken profile falls back to the naive conversion
        return None
