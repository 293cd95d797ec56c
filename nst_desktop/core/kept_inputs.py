"""Images that arrive without a file (pasted, dragged out of a browser as data, downloaded)
are kept in :func:`paths.inputs_dir`, so that a run made with them names real files: the
history can restore its photo and paintings, a saved result's settings can find them again.

    image = keep_image(pasted)              # a LoadedImage whose path is a kept PNG
    path = keep_bytes(data, "cat.jpg")      # the downloaded file itself, under its own name
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from nst_desktop.core import paths
from nst_desktop.core.atomic_files import write_bytes_atomic, write_error_reason
from nst_desktop.core.imageload import LoadedImage
from nst_desktop.core.imagesave import save_image, unique_path
from nst_desktop.errors import ImageSaveError


def _folder(folder: Path | None) -> Path:
    target = Path(folder) if folder is not None else paths.inputs_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageSaveError(
            f"The image cannot be kept: {write_error_reason(target, exc)}.") from None
    return target


def keep_image(image: LoadedImage, folder: Path | None = None,
               stem: str = "Pasted") -> LoadedImage:
    """``image`` with a path: as it is if it has one, else written losslessly (PNG, its bit
    depth and alpha) as "Pasted 2026-12-04 23.20.12.png", a name that reads well in
    the panes and the history. Raises :class:`ImageSaveError`."""
    if image.path:
        return image
    name = f"{stem} {time.strftime('%Y-%m-%d %H.%M.%S')}"
    target = unique_path(_folder(folder), name, ".png")
    written = save_image(target, image.rgb, alpha=image.alpha, format="PNG",
                         bit_depth=16 if image.bit_depth == 16 else 8)
    return dataclasses.replace(image, path=str(written.resolve()), format="PNG")


def keep_bytes(data: bytes, name: str, folder: Path | None = None) -> Path:
    """Write a downloaded image's own bytes under its name (made unique); the path written.
    Raises :class:`ImageSaveError`."""
    stem, suffix = Path(name).stem or "downloaded", Path(name).suffix
    target = unique_path(_folder(folder), stem, suffix)
    try:
        return write_bytes_atomic(target, data).resolve()
    except OSError as exc:
        raise ImageSaveError(f"The downloaded image cannot be kept: "
                             f"{write_error_reason(target.parent, exc)}.") from None
