"""Write images atomically as PNG, JPEG, WebP or TIFF, with the run's params embedded.

A failed save raises :class:`ImageSaveError` with a readable message, leaves no
temporary file behind and leaves any previous file at the path untouched.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from nst_desktop.core import imageencode
from nst_desktop.core.atomic_files import write_bytes_atomic, write_error_reason
from nst_desktop.errors import ImageSaveError, ParameterError

if TYPE_CHECKING:
    from nst_desktop.engine.params import Params

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
    target, fmt = check_save_target(path, quality=quality, bit_depth=bit_depth, format=format)
    colour = _as_float_rgb(rgb)
    straight_alpha = None if alpha is None else _as_float_alpha(alpha, colour.shape[:2])
    label = _quote(_short(target.name))
    folder = target.parent if str(target.parent) else Path(".")
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


def check_save_target(
    path: str | os.PathLike[str],
    *,
    quality: int = 95,
    bit_depth: int = 8,
    format: str | None = None,
) -> tuple[Path, str]:
    """The path and format :func:`save_image` would write, or the reason it could not.

    Everything that can be known before the image exists is checked here (format, bit
    depth, quality, the folder, the name), so that a long run can refuse a bad output at
    its start rather than after minutes of work. Raises :class:`ParameterError` for a bad
    option and :class:`ImageSaveError` for a path that cannot be written.
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
    label = _quote(_short(target.name))
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder_exists = folder.is_dir()
        limit = _name_limit(folder) if folder_exists else 255
        name_bytes = len(os.fsencode(target.name))
        if name_bytes > limit:
            raise ImageSaveError(
                f"Cannot save {label}: the file name is too long ({name_bytes} bytes; "
                f"the folder allows {limit})."
            )
        in_the_way = target.is_dir()  # raises ENAMETOOLONG for a path over the system's limit
    except OSError as error:
        raise ImageSaveError(_save_error_message(label, folder, error)) from None
    if not folder_exists:
        raise ImageSaveError(f"Cannot save {label}: the folder {folder} does not exist.")
    if in_the_way:
        raise ImageSaveError(f"Cannot save {label}: a folder of that name is in the way.")
    if not os.access(folder, os.W_OK | os.X_OK):
        denied = OSError(errno.EROFS if _read_only(folder) else errno.EACCES, "")
        raise ImageSaveError(_save_error_message(label, folder, denied))
    return target, fmt


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False


def _name_limit(folder: Path) -> int:
    """The longest file name, in bytes, that ``folder``'s file system takes."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # Windows has no pathconf; NTFS takes 255
        return 255


def _short(name: str, most: int = 60) -> str:
    """A file name as a message can show it: a 300-character name is cut in the middle."""
    return name if len(name) <= most else f"{name[: most // 2]}…{name[-(most // 2) :]}"


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
        what = f"the type {_quote(suffix)}" if suffix else "a file name without a type"
        raise ImageSaveError(
            f"Cannot save {_quote(target.name)}: {what} is not supported; use one of {known}."
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
    return f"Cannot save {label}: {write_error_reason(folder, error)}."


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


def _quote(name: str) -> str:
    return f"“{name}”"
