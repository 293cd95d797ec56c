"""What is in the gallery's folders, and the starter styles shipped with the app.

Pure file-system reading, no database: the names of the store's own images
(``<32 hex>.<ext>``) and thumbnails, and :func:`starter_styles`, which reads
the shipped manifest.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from nst_desktop.core import paths

log = logging.getLogger(__name__)

_OWN_IMAGE = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{1,8}$")
_OWN_THUMB = re.compile(r"^([0-9a-f]{32})\.jpg$")
STARTER_FIELDS = ("title", "artist", "year", "source", "tags")


def list_folder(folder: Path) -> list[Path]:
    """The folder's entries; a missing folder is created (and empty)."""
    try:
        return sorted(folder.iterdir())
    except OSError:
        folder.mkdir(parents=True, exist_ok=True)
        return []


def is_own_image_name(name: str) -> bool:
    return bool(_OWN_IMAGE.match(name))


def own_thumbnail_id(name: str) -> str | None:
    """The style id of a thumbnail file of ours (``<32 hex>.jpg``), else None."""
    match = _OWN_THUMB.match(name)
    return match.group(1) if match else None


def starter_styles() -> list[tuple[Path, dict[str, object]]]:
    """(image, details) of the starter gallery in ``resources/gallery/manifest.json``."""
    folder = paths.resource_dir() / "gallery"
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        entries = [e for e in manifest["styles"] if isinstance(e, dict) and "file" in e]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("starter gallery not available: %s", exc)
        return []
    return [(folder / Path(str(e["file"])).name, {k: e[k] for k in STARTER_FIELDS if k in e})
            for e in entries]
