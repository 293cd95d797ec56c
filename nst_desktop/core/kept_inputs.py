"""Images that arrive without a file (pasted, dragged out of a browser as data, downloaded)
are kept in :func:`paths.inputs_dir`, so that a run made with them names real files: the
history can restore its photo and paintings, a saved result's settings can find them again.

    image = keep_image(pasted)              # a LoadedImage whose path is a kept PNG
    path = keep_bytes(data, "cat.jpg")      # the downloaded file itself, under its own name

The same bytes kept again reuse the file (a photo pasted twice is one file).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import time
from pathlib import Path

from nst_desktop.core import imageencode, paths
from nst_desktop.core.atomic_files import is_temp_name, write_bytes_atomic, write_error_reason
from nst_desktop.core.imageload import LoadedImage
from nst_desktop.core.imagesave import unique_path
from nst_desktop.errors import ImageSaveError


def _folder(folder: Path | None) -> Path:
    target = Path(folder) if folder is not None else paths.inputs_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageSaveError(
            f"The image cannot be kept: {write_error_reason(target, exc)}.") from None
    return target


def _already_kept(folder: Path, data: bytes) -> Path | None:
    """A file in ``folder`` with exactly these bytes: the same image pasted again."""
    try:
        candidates = [p for p in folder.iterdir()
                      if not is_temp_name(p.name) and p.is_file()
                      and p.stat().st_size == len(data)]
    except OSError:
        return None
    for candidate in candidates:
        try:
            if candidate.read_bytes() == data:
                return candidate.resolve()
        except OSError:
            continue
    return None


def _write(folder: Path, stem: str, suffix: str, data: bytes, what: str) -> Path:
    kept = _already_kept(folder, data)
    if kept is not None:
        return kept
    try:
        target = _claim(folder, stem, suffix)
    except OSError as exc:
        raise ImageSaveError(
            f"{what} cannot be kept: {write_error_reason(folder, exc)}.") from None
    try:
        return write_bytes_atomic(target, data).resolve()
    except OSError as exc:
        with contextlib.suppress(OSError):
            target.unlink()  # our own empty claim
        raise ImageSaveError(
            f"{what} cannot be kept: {write_error_reason(folder, exc)}.") from None


def _claim(folder: Path, stem: str, suffix: str) -> Path:
    """A new name in ``folder``, created empty with O_EXCL so that another copy of the app
    keeping an image in the same second takes the next name instead of replacing ours."""
    for _ in range(1000):
        target = unique_path(folder, stem, suffix)
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return target
    raise FileExistsError(errno.EEXIST, "no free file name", str(folder))


def keep_image(image: LoadedImage, folder: Path | None = None,
               stem: str = "Pasted") -> LoadedImage:
    """``image`` with a path: as it is if it has one, else written losslessly (PNG, its bit
    depth and alpha) as "Pasted 2026-12-04 23.20.12.png", a name that reads well in the
    panes and the history; the same pixels pasted again reuse that file. Raises
    :class:`ImageSaveError`."""
    if image.path:
        return image
    try:
        data = imageencode.encode("PNG", image.rgb, image.alpha, params_json=None, quality=95,
                                  bit_depth=16 if image.bit_depth == 16 else 8)
    except MemoryError:
        raise ImageSaveError("There is not enough memory to keep the image.") from None
    except (OSError, ValueError, OverflowError) as error:
        raise ImageSaveError(f"The image cannot be kept: {error}.") from None
    name = f"{stem} {time.strftime('%Y-%m-%d %H.%M.%S')}"
    path = _write(_folder(folder), name, ".png", data, "The image")
    return dataclasses.replace(image, path=str(path), format="PNG")


def keep_bytes(data: bytes, name: str, folder: Path | None = None) -> Path:
    """Write a downloaded image's own bytes under its name (made unique), or find the same
    bytes kept before; the path. Raises :class:`ImageSaveError`."""
    stem, suffix = Path(name).stem or "downloaded", Path(name).suffix
    return _write(_folder(folder), stem, suffix, data, "The downloaded image")
