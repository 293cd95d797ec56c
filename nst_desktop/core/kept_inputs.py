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
import tempfile
import time
from pathlib import Path

from nst_desktop.core import imageencode, paths
from nst_desktop.core.atomic_files import (
    TEMP_PREFIX,
    file_mode_for,
    fsync_dir,
    is_temp_name,
    write_error_reason,
)
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
        return _write_new(folder, stem, suffix, data).resolve()
    except OSError as exc:
        raise ImageSaveError(
            f"{what} cannot be kept: {write_error_reason(folder, exc)}.") from None


def _write_new(folder: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Write ``data`` whole to a hidden temp file, then give it the first free name of
    :func:`unique_path`'s series with a hard link, which fails if the name exists: another
    copy of the app keeping an image in the same second takes the next name instead of
    replacing ours, and a kill mid-write leaves only the hidden temp file, never an empty
    or partial file under the person-facing name."""
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=folder)
    tmp = Path(tmp_name)
    try:
        with contextlib.suppress(OSError, AttributeError):  # no fchmod on Windows
            os.fchmod(fd, file_mode_for(folder / f"{stem}{suffix}"))
        with os.fdopen(fd, "wb") as handle:
            view = memoryview(data)
            while view:  # unbuffered, so a full disk fails here
                view = view[os.write(handle.fileno(), view):]
            os.fsync(handle.fileno())
        for _ in range(1000):
            target = unique_path(folder, stem, suffix)
            try:
                _link_new(tmp, target)
            except FileExistsError:
                continue  # taken a moment ago by another copy of the app
            fsync_dir(folder)
            return target
        raise FileExistsError(errno.EEXIST, "no free file name", str(folder))
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _link_new(tmp: Path, target: Path) -> None:
    """Give ``tmp``'s file the name ``target``; FileExistsError if the name is taken."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:
        # No hard links on this volume (FAT, some network shares): os.rename refuses an
        # existing name on Windows; on POSIX a last look narrows the window to a moment.
        if os.name != "nt" and os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        os.rename(tmp, target)


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
