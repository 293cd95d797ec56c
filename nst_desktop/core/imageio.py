"""PLACEHOLDER image I/O so the window branch runs; the imageio branch replaces this file.

Implements exactly the agreed API (load_image, load_image_bytes, LoadedImage,
save_image, read_params, unique_path, is_image_file, SAVE_FORMATS,
IMAGE_FILE_FILTER) with Pillow. PNG results carry their parameters in the text
chunk ``nst_desktop.params``.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from nst_desktop.engine.params import Params
from nst_desktop.errors import ImageLoadError, ImageSaveError, ImageTooLargeError, NSTError

__all__ = [
    "IMAGE_FILE_FILTER",
    "SAVE_FORMATS",
    "ImageLoadError",
    "ImageSaveError",
    "ImageTooLargeError",
    "LoadedImage",
    "is_image_file",
    "load_image",
    "load_image_bytes",
    "read_params",
    "save_image",
    "unique_path",
]

PARAMS_KEY = "nst_desktop.params"
DEFAULT_MAX_PIXELS = 100_000_000
LOAD_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif")
SAVE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
IMAGE_FILE_FILTER = "Images (" + " ".join(f"*{s}" for s in LOAD_SUFFIXES) + ")"


@dataclass(frozen=True)
class LoadedImage:
    rgb: np.ndarray
    alpha: np.ndarray | None = None
    path: str = ""
    mode: str = "RGB"
    bit_depth: int = 8
    params: Params | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]

    def to_uint8(self) -> np.ndarray:
        return (np.clip(self.rgb, 0, 1) * 255 + 0.5).astype(np.uint8)


def is_image_file(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in LOAD_SUFFIXES


def _decode(source: io.BytesIO | str, name: str, max_pixels: int, path: str) -> LoadedImage:
    try:
        with Image.open(source) as im:
            if im.width * im.height > max_pixels:
                raise ImageTooLargeError(
                    f"{name} is {im.width}x{im.height}; more than {max_pixels} pixels."
                )
            im.load()
            text = getattr(im, "text", {}) or {}
            params = None
            if PARAMS_KEY in text:
                try:
                    params = Params.from_json(text[PARAMS_KEY])
                except NSTError:
                    params = None
            mode = im.mode
            im = ImageOps.exif_transpose(im)
            alpha = None
            if "A" in im.getbands() or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                alpha = np.asarray(rgba)[..., 3].astype(np.float32) / 255.0
            depth = 16 if mode in ("I;16", "I", "I;16B") else 8
            rgb = np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
    except ImageLoadError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise ImageLoadError(f"{name} is not an image that can be read ({exc}).") from None
    if rgb.size == 0:
        raise ImageLoadError(f"{name} is empty.")
    return LoadedImage(rgb, alpha, path, mode, depth, params)


def load_image(
    path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> LoadedImage:
    p = Path(path)
    if not p.is_file():
        raise ImageLoadError(f"{p} does not exist or is not a file.")
    return _decode(str(p), p.name, max_pixels, str(p))


def load_image_bytes(
    data: bytes, *, name: str = "", max_pixels: int = DEFAULT_MAX_PIXELS
) -> LoadedImage:
    if not data:
        raise ImageLoadError(f"{name or 'The image data'} is empty.")
    return _decode(io.BytesIO(bytes(data)), name or "The image data", max_pixels, "")


def read_params(path: str | os.PathLike[str]) -> Params | None:
    try:
        with Image.open(path) as im:
            text = getattr(im, "text", {}) or {}
            return Params.from_json(text[PARAMS_KEY]) if PARAMS_KEY in text else None
    except (OSError, UnidentifiedImageError, NSTError):
        return None


def unique_path(directory: str | os.PathLike[str], stem: str, suffix: str) -> Path:
    d = Path(directory)
    candidate = d / f"{stem}{suffix}"
    n = 2
    while candidate.exists():
        candidate = d / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def save_image(
    path: str | os.PathLike[str],
    rgb: np.ndarray,
    *,
    alpha: np.ndarray | None = None,
    params: Params | None = None,
    quality: int = 95,
    bit_depth: int = 8,
    format: str | None = None,
) -> Path:
    p = Path(path)
    fmt = format or SAVE_FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise ImageSaveError(f"Cannot save {p.name}: unknown file type {p.suffix!r}.")
    if not p.parent.is_dir():
        raise ImageSaveError(f"Cannot save {p.name}: the folder {p.parent} does not exist.")
    arr = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
    im = Image.fromarray(arr, "RGB")
    kwargs: dict[str, object] = {}
    if fmt == "PNG" and params is not None:
        info = PngImagePlugin.PngInfo()
        info.add_text(PARAMS_KEY, params.to_json())
        kwargs["pnginfo"] = info
    if fmt in ("JPEG", "WEBP"):
        kwargs["quality"] = quality
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=p.suffix, dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            im.save(f, fmt, **kwargs)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ImageSaveError(f"Cannot save {p.name}: {exc.strerror or exc}.") from None
    return p
