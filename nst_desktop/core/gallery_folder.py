"""What is in the gallery's folders, and the starter styles shipped with the app.

Pure file-system reading, no database: :func:`scan_folder` sorts the files
next to the records into those that belong, the leftovers of an interrupted
write (ours by their names: ``<32 hex>.<ext>`` and temp files) and images a
person put there by hand; :func:`starter_styles` reads the shipped manifest.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from nst_desktop.core import paths
from nst_desktop.core.atomic_files import is_temp_name

log = logging.getLogger(__name__)

_OWN_IMAGE = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{1,8}$")
_OWN_THUMB = re.compile(r"^([0-9a-f]{32})\.jpg$")
STARTER_FIELDS = ("title", "artist", "year", "source", "tags")


@dataclass
class FolderScan:
    leftovers: list[Path] = field(default_factory=list)  # half-written files of ours
    foreign: list[Path] = field(default_factory=list)  # files someone else put there
    stale_thumbnails: list[Path] = field(default_factory=list)  # of styles that are gone


def list_folder(folder: Path) -> list[Path]:
    """The folder's entries; a missing folder is created (and empty)."""
    try:
        return sorted(folder.iterdir())
    except OSError:
        folder.mkdir(parents=True, exist_ok=True)
        return []


def is_own_image_name(name: str) -> bool:
    return bool(_OWN_IMAGE.match(name))


def scan_folder(images_dir: Path, thumbs_dir: Path, known_files: Collection[str],
                live_ids: Collection[str], pending_ids: Collection[str]) -> FolderScan:
    """Sort what is on disk. ``pending_ids`` are imports in flight: theirs are not leftovers."""
    scan = FolderScan()
    for path in list_folder(images_dir):
        name = path.name
        if name in known_files or name.split(".")[0] in pending_ids:
            continue
        if is_temp_name(name) or _OWN_IMAGE.match(name):
            scan.leftovers.append(path)
        elif not name.startswith(".") and path.is_file():
            scan.foreign.append(path)
    for path in list_folder(thumbs_dir):
        match = _OWN_THUMB.match(path.name)
        if is_temp_name(path.name):
            scan.leftovers.append(path)
        elif match and match.group(1) not in live_ids and match.group(1) not in pending_ids:
            scan.stale_thumbnails.append(path)
    return scan


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
