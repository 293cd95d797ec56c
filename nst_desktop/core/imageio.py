"""Load and save images: any mode in, float sRGB out; atomic saves that keep the run's params.

    image = load_image("photo.jpg")          # LoadedImage: rgb float32 (H, W, 3), alpha or None
    save_image("out.png", rgb, params=p)     # params embedded; read_params("out.png") == p

Loading applies the EXIF orientation, converts embedded ICC profiles to sRGB,
keeps 16-bit precision and returns alpha separately (the colour of transparent
pixels is kept, never premultiplied). Every failure a file can cause is an
:class:`ImageLoadError` (or :class:`ImageTooLargeError`) whose message names
the file and the problem.

Saving writes PNG (8 or 16 bit), JPEG, WebP or TIFF (8 or 16 bit). The params
of the run are embedded in all four: a PNG iTXt chunk under :data:`PARAMS_KEY`,
an XMP packet in the others. JPEG has no alpha, so a transparent image is
composited on white. Files are written atomically: a failed save raises
:class:`ImageSaveError` and leaves any previous file untouched.
"""

from __future__ import annotations

import errno
import io
import os
import re
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from nst_desktop.core import imagedecode, imageencode
from nst_desktop.core.atomicfile import write_bytes_atomic
from nst_desktop.core.imagemeta import PARAMS_KEY, params_text
from nst_desktop.core.imagesniff import (
    IMAGE_FILE_FILTER,
    LOAD_SUFFIXES,
    has_image_signature,
    header_size,
    is_image_file,
)
from nst_desktop.errors import ImageLoadError, ImageSaveError, ImageTooLargeError, ParameterError

if TYPE_CHECKING:
    from nst_desktop.engine.params import Params

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_FILE_FILTER",
    "LOAD_SUFFIXES",
    "PARAMS_KEY",
    "SAVE_FILE_FILTER",
    "SAVE_FORMATS",
    "LoadedImage",
    "is_image_file",
    "load_image",
    "load_image_bytes",
    "read_params",
    "save_image",
    "unique_path",
]

DEFAULT_MAX_PIXELS: int = 178_956_970  # Pillow's own decompression-bomb limit

SAVE_FORMATS: dict[str, str] = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WebP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
SAVE_FILE_FILTER = ";;".join(
    f"{name} (*{' *'.join(s for s, n in SAVE_FORMATS.items() if n == name)})"
    for name in dict.fromkeys(SAVE_FORMATS.values())
)
_FORMAT_SUFFIX = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "TIFF": ".tif"}
_FORMAT_ALIASES = {"JPG": "JPEG", "TIF": "TIFF"}
_SIXTEEN_BIT_FORMATS = ("PNG", "TIFF")


@dataclass(frozen=True)
class LoadedImage:
    """A decoded image: upright, sRGB, floats in 0..1."""

    rgb: np.ndarray  # float32 (H, W, 3), sRGB, 0..1, EXIF orientation applied
    alpha: np.ndarray | None  # float32 (H, W) 0..1, or None when the image is opaque
    path: str  # absolute path; "" when loaded from bytes
    mode: str  # Pillow's mode of the file ("RGB", "CMYK", "I;16", "P", "LA", ...);
    #            16-bit colour files, which Pillow cannot hold, are "RGB;16", "RGBA;16", "LA;16"
    bit_depth: int  # 8 or 16 bits per channel in the file
    params: Params | None  # the Params embedded by nst_desktop, if any
    format: str = ""  # Pillow's format name: "PNG", "JPEG", "WEBP", "TIFF", ...
    notes: tuple[str, ...] = field(default=())  # things worth telling: ignored profile, bad params

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.rgb.shape[1]), int(self.rgb.shape[0])

    @property
    def has_alpha(self) -> bool:
        return self.alpha is not None

    def to_uint8(self) -> np.ndarray:
        """(H, W, 3) uint8 colour, without alpha."""
        return imageencode.quantize(self.rgb, 8)

    def to_rgba_uint8(self) -> np.ndarray:
        """(H, W, 4) uint8 with straight (not premultiplied) alpha; opaque if none."""
        alpha = np.ones(self.rgb.shape[:2], np.float32) if self.alpha is None else self.alpha
        return imageencode.quantize(np.concatenate([self.rgb, alpha[..., None]], -1), 8)


# -- loading -------------------------------------------------------------------------------


def load_image(
    path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> LoadedImage:
    """Decode the image file at ``path``; raises :class:`ImageLoadError` with a readable message."""
    file_path = Path(path)
    label = _quoted(file_path.name or str(file_path))
    _check_readable_file(file_path, label)

    def reopen() -> ImageFile.ImageFile:
        return _open_image(file_path, label, max_pixels)

    with _open_file(file_path, label) as stream:
        return _load(stream, reopen, label, os.path.abspath(file_path), max_pixels)


def load_image_bytes(
    data: bytes, *, name: str = "", max_pixels: int = DEFAULT_MAX_PIXELS
) -> LoadedImage:
    """Decode an image held in memory (dropped or pasted); ``name`` is used in messages."""
    label = _quoted(name) if name else "The image data"
    if not data:
        raise ImageLoadError(f"{label} is empty (0 bytes).")
    data = bytes(data)

    def reopen() -> ImageFile.ImageFile:
        return _open_image(io.BytesIO(data), label, max_pixels)

    return _load(io.BytesIO(data), reopen, label, "", max_pixels)


def read_params(path: str | os.PathLike[str]) -> Params | None:
    """The Params saved in an image by nst_desktop, or None when it holds none.

    Raises :class:`ImageLoadError` when the file cannot be read and
    :class:`ParameterError` when the stored params are invalid.
    """
    file_path = Path(path)
    label = _quoted(file_path.name or str(file_path))
    _check_readable_file(file_path, label)
    with _open_file(file_path, label) as stream:
        image = _open_image(stream, label, None)
        try:
            text = params_text(image.info)
            if text is None and image.format == "PNG":
                image.load()  # text chunks after the pixel data are read only now
                text = params_text(image.info)
        except Exception as error:
            raise ImageLoadError(_damaged_message(label, error)) from None
    if text is None:
        return None
    try:
        return _params_from_json(text)
    except ParameterError as error:
        raise ParameterError(f"The settings stored in {label} cannot be used: {error}") from None


def _load(
    stream: IO[bytes],
    reopen: Callable[[], ImageFile.ImageFile],
    label: str,
    path: str,
    max_pixels: int,
) -> LoadedImage:
    image = _open_image(stream, label, max_pixels)
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageLoadError(f"{label} has no pixels ({width} × {height}).")
    if width * height > max_pixels:
        raise ImageTooLargeError(_too_large_message(label, width, height, max_pixels))
    tiles = list(image.tile)
    try:
        image.load()  # decode everything now: a truncated file fails here, not later
        decoded = imagedecode.decode(image, tiles, reopen)
    except (ImageLoadError, ImageTooLargeError):
        raise
    except MemoryError:
        raise ImageLoadError(
            f"There is not enough memory to open {label} ({width} × {height} pixels)."
        ) from None
    except Exception as error:
        raise ImageLoadError(_damaged_message(label, error)) from None
    params, notes = _embedded_params(image, label)
    return LoadedImage(
        rgb=decoded.rgb,
        alpha=decoded.alpha,
        path=path,
        mode=decoded.mode,
        bit_depth=decoded.bit_depth,
        params=params,
        format=image.format or "",
        notes=tuple(decoded.notes + notes),
    )


def _params_from_json(text: str) -> Params:
    # Imported here: the engine package pulls in torch, which plain image I/O does not need.
    from nst_desktop.engine.params import Params

    return Params.from_json(text)


def _embedded_params(image: Image.Image, label: str) -> tuple[Params | None, list[str]]:
    """Params in the file; invalid ones are noted, never a reason not to load the image."""
    try:
        text = params_text(image.info)
        return (_params_from_json(text) if text is not None else None), []
    except Exception as error:
        return None, [f"The settings stored in {label} were ignored: {error}"]


# -- opening, with messages a person can act on ----------------------------------------


def _quoted(name: str) -> str:
    return f"“{name}”"


def _check_readable_file(path: Path, label: str) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        folder = path.parent if str(path.parent) not in ("", ".") else Path.cwd()
        raise ImageLoadError(f"Cannot open {label}: there is no such file in {folder}.") from None
    except OSError as error:
        raise ImageLoadError(_os_error_message(label, error)) from None
    if path.is_dir():
        raise ImageLoadError(f"{label} is a folder, not an image file.")
    if info.st_size == 0:
        raise ImageLoadError(f"Cannot open {label}: the file is empty (0 bytes).")


def _open_file(path: Path, label: str) -> IO[bytes]:
    try:
        return open(path, "rb")  # noqa: SIM115 (closed by the caller's with, or by Pillow)
    except OSError as error:
        raise ImageLoadError(_os_error_message(label, error)) from None


def _os_error_message(label: str, error: OSError) -> str:
    if isinstance(error, PermissionError):
        return f"Cannot open {label}: you do not have permission to read this file."
    if isinstance(error, FileNotFoundError):
        return f"Cannot open {label}: the file does not exist."
    if isinstance(error, IsADirectoryError):
        return f"{label} is a folder, not an image file."
    return f"Cannot open {label}: {error.strerror or error}."


_bomb_limit_lock = threading.Lock()


@contextmanager
def _pillow_limit_at_least(max_pixels: int | None):
    """Let Pillow's own decompression-bomb check allow ``max_pixels``; ours decides.

    Pillow's limit is a module global, so it is raised (and put back) under a lock."""
    limit = Image.MAX_IMAGE_PIXELS
    if max_pixels is None or limit is None or max_pixels <= limit:
        yield
        return
    with _bomb_limit_lock:
        saved = Image.MAX_IMAGE_PIXELS
        if saved is not None:
            Image.MAX_IMAGE_PIXELS = max(saved, max_pixels)
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _open_image(
    source: IO[bytes] | Path, label: str, max_pixels: int | None
) -> ImageFile.ImageFile:
    """Read the header only; no pixels are decoded yet. A stream is closed on failure."""
    try:
        with _pillow_limit_at_least(max_pixels):
            return Image.open(source)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        _close(source)
        pixels = re.search(r"\((\d+) pixels\)", str(error))
        size = f" ({int(pixels.group(1)) / 1e6:.1f} megapixels)" if pixels else ""
        raise ImageTooLargeError(
            f"{label} is too large to open{size}; the limit is "
            f"{(max_pixels or DEFAULT_MAX_PIXELS) / 1e6:.1f} megapixels."
        ) from None
    except UnidentifiedImageError:
        head = _head_of(source)
        _close(source)
        size = header_size(head)
        if size is not None and 0 in size:
            raise ImageLoadError(f"{label} has no pixels ({size[0]} × {size[1]}).") from None
        if has_image_signature(head):
            raise ImageLoadError(
                f"{label} is damaged: it starts like an image, but its header cannot be read."
            ) from None
        raise ImageLoadError(
            f"{label} is not an image file, or not a kind of image this app can read."
        ) from None
    except OSError as error:
        _close(source)
        raise ImageLoadError(_damaged_message(label, error)) from None
    except Exception as error:
        _close(source)
        raise ImageLoadError(_damaged_message(label, error)) from None


def _head_of(source: IO[bytes] | Path) -> bytes:
    """The first bytes of the file, to explain why Pillow did not recognise it."""
    try:
        if isinstance(source, Path):
            with open(source, "rb") as stream:
                return stream.read(32)
        source.seek(0)
        return source.read(32)
    except (OSError, ValueError):
        return b""


def _close(source: IO[bytes] | Path) -> None:
    if not isinstance(source, Path):
        source.close()


def _too_large_message(label: str, width: int, height: int, max_pixels: int) -> str:
    return (
        f"{label} is too large: {width} × {height} pixels "
        f"({width * height / 1e6:.1f} megapixels; the limit is {max_pixels / 1e6:.1f})."
    )


def _damaged_message(label: str, error: BaseException) -> str:
    detail = str(error).strip().rstrip(".")
    if isinstance(error, EOFError) or "truncated" in detail or "broken data stream" in detail:
        return f"{label} is incomplete or damaged: the image data ends too early."
    detail = f" ({detail})" if detail else ""
    return f"{label} is damaged and cannot be decoded{detail}."


# -- saving ----------------------------------------------------------------------------


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
    """Write ``rgb`` (H, W, 3; floats in 0..1, or uint8/uint16) to ``path`` atomically.

    The format is ``format`` ("PNG", "JPEG", "WebP", "TIFF") or else the suffix;
    a name without a known suffix gets the format's usual one. ``bit_depth=16``
    needs PNG or TIFF. ``alpha`` (H, W) is resized to ``rgb`` if it differs; a
    JPEG, having no alpha, is composited on white. WebP at quality 100 is
    lossless. Returns the path written; raises :class:`ImageSaveError` (or
    :class:`ParameterError` for bad arguments).
    """
    target = Path(path)
    fmt = _save_format(target, format)
    if target.suffix.lower() not in SAVE_FORMATS:
        target = target.with_name(target.name + _FORMAT_SUFFIX[fmt])
    if bit_depth not in (8, 16):
        raise ParameterError(f"Bit depth must be 8 or 16; got {bit_depth!r}.")
    if bit_depth == 16 and fmt not in _SIXTEEN_BIT_FORMATS:
        raise ParameterError(
            f"{_human(fmt)} stores 8 bits per channel; save 16-bit images as PNG or TIFF."
        )
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ParameterError(f"Quality must be a whole number from 1 to 100; got {quality!r}.")
    colour = _as_float_rgb(rgb)
    straight_alpha = None if alpha is None else _as_float_alpha(alpha, colour.shape[:2])

    label = _quoted(target.name)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ImageSaveError(f"Cannot save {label}: the folder {folder} does not exist.")
    if target.is_dir():
        raise ImageSaveError(f"Cannot save {label}: a folder of that name is in the way.")
    try:
        data = imageencode.encode(
            fmt,
            colour,
            straight_alpha,
            params_json=params.to_json() if params is not None else None,
            quality=quality,
            bit_depth=bit_depth,
        )
    except MemoryError:
        raise ImageSaveError(f"There is not enough memory to encode {label}.") from None
    except (OSError, ValueError, OverflowError) as error:
        raise ImageSaveError(f"Cannot encode {label} as {_human(fmt)}: {error}.") from None
    try:
        write_bytes_atomic(target, data)
    except OSError as error:
        raise ImageSaveError(_save_error_message(label, folder, error)) from None
    return target


def _human(fmt: str) -> str:
    return {"WEBP": "WebP"}.get(fmt, fmt)


def _save_format(target: Path, format: str | None) -> str:
    if format is not None:
        name = format.strip().lstrip(".").upper()
        name = _FORMAT_ALIASES.get(name, name)
        if name not in _FORMAT_SUFFIX:
            raise ParameterError(
                f"Cannot save as {format!r}: use PNG, JPEG, WebP or TIFF."
            )
        return name
    suffix = target.suffix.lower()
    if suffix not in SAVE_FORMATS:
        known = ", ".join(SAVE_FORMATS)
        what = f"the type {_quoted(suffix)}" if suffix else "a file name without a type"
        raise ImageSaveError(
            f"Cannot save {_quoted(target.name)}: {what} is not supported; use one of {known}."
        )
    return SAVE_FORMATS[suffix].upper()


def _as_float_rgb(rgb: np.ndarray) -> np.ndarray:
    array = np.asarray(rgb)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    if array.ndim != 3 or array.shape[-1] != 3 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ParameterError(f"An image to save must be (height, width, 3); got {array.shape}.")
    return _as_unit_float(array)


def _as_float_alpha(alpha: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(alpha)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2 or array.size == 0:
        raise ParameterError(f"Alpha must be (height, width); got {array.shape}.")
    array = _as_unit_float(array)
    if array.shape != shape:
        resized = Image.fromarray(array).resize(
            (shape[1], shape[0]), Image.Resampling.BILINEAR
        )
        array = np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)
    return array


def _as_unit_float(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array.astype(np.float32) / np.float32(255)
    if array.dtype == np.uint16:
        return array.astype(np.float32) / np.float32(65535)
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if not np.issubdtype(array.dtype, np.floating):
        raise ParameterError(f"Pixels must be floats in 0..1, uint8 or uint16; got {array.dtype}.")
    values = np.nan_to_num(array.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(values, 0.0, 1.0)


def _save_error_message(label: str, folder: Path, error: OSError) -> str:
    code = error.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"Cannot save {label}: the disk is full (no space left in {folder})."
    if code == errno.EROFS:
        return f"Cannot save {label}: the folder {folder} is on a read-only disk."
    if isinstance(error, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return f"Cannot save {label}: you do not have permission to write to {folder}."
    if isinstance(error, FileNotFoundError):
        return f"Cannot save {label}: the folder {folder} does not exist."
    if code == errno.ENAMETOOLONG:
        return f"Cannot save {label}: the file name is too long."
    return f"Cannot save {label} in {folder}: {error.strerror or error}."


# -- names ---------------------------------------------------------------------------------

_UNSAFE_NAME_CHARACTERS = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def unique_path(directory: str | os.PathLike[str], stem: str, suffix: str) -> Path:
    """A path in ``directory`` that does not exist yet: stem.png, stem-2.png, stem-3.png, ...

    Characters that cannot appear in file names are replaced by "_"."""
    folder = Path(directory)
    clean = _UNSAFE_NAME_CHARACTERS.sub("_", stem).strip().strip(".") or "image"
    if suffix and not suffix.startswith("."):
        suffix = "." + suffix
    candidate = folder / f"{clean}{suffix}"
    number = 2
    while os.path.lexists(candidate):
        candidate = folder / f"{clean}-{number}{suffix}"
        number += 1
    return candidate
