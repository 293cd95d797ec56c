"""The history of finished runs: each result with everything needed to redo it.

One folder per run under :func:`nst_desktop.core.paths.history_dir`::

    20250101-120000-1a2b3c/
        result.png       the image (or a copy of the saved result file)
        thumbnail.jpg    256 px
        entry.json       params, content and style references, time, device, and the
                         step a stopped run was stopped at

A run is written into a hidden staging folder and renamed into place when
complete, and deleted by renaming it away first, so the listing only ever
shows whole entries. A crash leaves a staging folder that the next open sends
to the trash, but only an open that has the history to itself
(:mod:`nst_desktop.core.folder_lock`): another copy of the app may be writing
it. Recording touches only files, so it may run on a worker thread.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nst_desktop.core import paths, trash
from nst_desktop.core.atomic_files import (
    TEMP_PREFIX,
    atomic_copy,
    atomic_replace_dir,
    atomic_write_text,
    remove_quietly,
    write_error_reason,
)
from nst_desktop.core.folder_lock import FolderLock
from nst_desktop.core.imagemeta import PARAMS_KEY
from nst_desktop.core.imagesave import save_image
from nst_desktop.core.thumbnails import (
    probe_image,
    save_thumbnail,
    thumbnail_from_array,
    to_uint8_rgb,
)
from nst_desktop.engine.params import Params
from nst_desktop.errors import GalleryError, NSTError
from nst_desktop.text import unbroken

log = logging.getLogger(__name__)

ENTRY_VERSION = 1
ENTRY_FILE = "entry.json"
THUMBNAIL_FILE = "thumbnail.jpg"
RECORD_FAILED = "The run could not be added to the history"  # how record()'s write errors begin
# Results carry their parameters inside the PNG, under the key every saved result uses,
# so a history result dropped on the window restores its settings like any other.
PNG_PARAMS_KEY = PARAMS_KEY


def run_title(content: str, styles: list[str]) -> str:
    """How a run is named: 'photo × painting', and a blend 'photo × one + other'."""
    return " × ".join(x for x in (content, " + ".join(styles)) if x)


@dataclass(frozen=True)
class HistoryEntry:
    """One run that made an image: finished, or stopped (``stopped_at`` > 0)."""

    id: str
    folder: Path
    created: float  # seconds since the epoch
    result_file: str
    content: str  # path of the content image, as the run used it
    styles: tuple[tuple[str, float], ...]  # (style path, blend weight)
    params_data: dict[str, Any] = field(compare=False, repr=False)
    elapsed: float = 0.0  # seconds the run took
    device: str = ""
    precision: str = ""  # what the run computed in ("fp32", "tf32", "bf16"); "" before it was kept
    width: int = 0
    height: int = 0
    style_titles: tuple[str, ...] = ()  # names to show for the styles, when known
    stopped_at: int = 0  # the step a stopped run ended at (its image is the one so far); 0: done

    @property
    def result_path(self) -> Path:
        return self.folder / self.result_file

    @property
    def thumbnail_path(self) -> Path:
        return self.folder / THUMBNAIL_FILE

    @property
    def params(self) -> Params:
        """The run's parameters (raises ParameterError if they cannot be restored)."""
        return Params.from_dict(self.params_data)

    @property
    def title(self) -> str:
        """'tubingen × The Starry Night' (file names without folders), as the window's
        result pane names the run."""
        content = Path(self.content).stem if self.content else "(no content)"
        names = [title or Path(path).stem for (path, _), title in
                 zip(self.styles, self.style_titles or [""] * len(self.styles), strict=False)]
        return run_title(content, names or ["(no style)"])

    @property
    def summary(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created))
        size = unbroken(f"{self.width} × {self.height}")
        where = self.device.upper() + (f", {self.precision.upper()}" if self.precision else "")
        text = f"{when} · {size} · {unbroken(_duration(self.elapsed))} on {where}"
        return text + (f" · {unbroken(self.stopped)}" if self.stopped_at > 0 else "")

    @property
    def stopped(self) -> str:
        """'stopped at step 12' for a stopped run, '' for a finished one."""
        return f"stopped at step {self.stopped_at}" if self.stopped_at > 0 else ""


class HistoryStore:
    """The list of past runs on disk; a listing is read fresh each time."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else paths.history_dir()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GalleryError(f"The history folder {self.root} cannot be created: {exc}.") from exc
        self._lock = FolderLock(self.root.with_name(self.root.name + ".lock"))
        try:
            alone = self._lock.open()
        except OSError as exc:
            raise GalleryError(f"The history at {self.root} cannot be opened: {exc}.") from exc
        if alone:  # nobody else is recording or deleting: what is half done was interrupted
            for child in self._children():
                if child.name.startswith(TEMP_PREFIX):
                    trash.move_to_trash(child)
            self._lock.share()

    def close(self) -> None:
        """Let go of the history (other copies may then clean up)."""
        self._lock.close()

    # -- writing ---------------------------------------------------------------------
    def record(self, result: Path | str | np.ndarray, params: Params, elapsed: float,
               device: str, *, style_titles: Sequence[str] = (),
               precision: str = "", alpha: np.ndarray | None = None,
               stopped_at: int = 0) -> HistoryEntry:
        """Keep a run. ``result`` is the saved file or the RGB image (float 0..1 or uint8,
        H x W x 3), written with ``alpha`` (the photo's, H x W, any size) as a saved result
        is; ``style_titles`` are names to show for the styles (e.g. their gallery titles),
        in the order of ``params.styles``; ``stopped_at`` the step a stopped run ended at."""
        created = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(created))
        entry_id = f"{stamp}-{secrets.token_hex(3)}"
        staging = self.root / f"{TEMP_PREFIX}{entry_id}"
        try:
            staging.mkdir()
            if isinstance(result, np.ndarray):
                rgb = to_uint8_rgb(result)
                result_file = "result.png"
                # As the window's Save and the CLI write a result: parameters, and the alpha.
                save_image(staging / result_file, rgb, alpha=alpha, params=params)
                thumb = thumbnail_from_array(rgb)
                height, width = rgb.shape[:2]
            else:
                source = Path(result)
                info, thumb = probe_image(source)
                result_file = "result" + info.suffix
                atomic_copy(source, staging / result_file)
                width, height = info.width, info.height
            save_thumbnail(thumb, staging / THUMBNAIL_FILE)
            data = {
                "version": ENTRY_VERSION,
                "created": created,
                "result": result_file,
                "content": params.content,
                "styles": [[s.path, s.weight] for s in params.styles],
                "params": params.to_dict(),
                "elapsed": float(elapsed),
                "device": str(device),
                "precision": str(precision),
                "width": int(width),
                "height": int(height),
                "style_titles": [str(t) for t in style_titles],
                "stopped_at": int(stopped_at),
            }
            atomic_write_text(staging / ENTRY_FILE, json.dumps(data, indent=1))
            atomic_replace_dir(staging, self.root / entry_id)
        except NSTError:
            remove_quietly(staging)
            raise
        except OSError as exc:
            remove_quietly(staging)
            raise GalleryError(f"{RECORD_FAILED}: {write_error_reason(self.root, exc)}.") from exc
        except BaseException:
            remove_quietly(staging)
            raise
        return self._read(self.root / entry_id)  # type: ignore[return-value]

    def delete(self, entry_ids: Iterable[str]) -> int:
        """Send entries to the OS trash; return how many went."""
        count = 0
        for entry_id in entry_ids:
            folder = self.root / entry_id
            if Path(entry_id).name != entry_id or entry_id.startswith(".") or not folder.is_dir():
                continue
            # Out of the listing in one rename, then to the trash at leisure.
            doomed = self.root / f"{TEMP_PREFIX}deleted-{entry_id}"
            try:
                folder.replace(doomed)
            except OSError as exc:
                raise GalleryError(f"The history entry could not be deleted: {exc}.") from exc
            trash.move_to_trash(doomed)
            count += 1
        return count

    def clear(self) -> int:
        return self.delete([entry.id for entry in self.entries()])

    # -- reading ----------------------------------------------------------------------
    def entries(self) -> list[HistoryEntry]:
        """Every readable entry, newest first (unreadable ones are logged and skipped)."""
        found = [self._read(child) for child in self._children()
                 if not child.name.startswith(".")]
        return sorted((e for e in found if e is not None), key=lambda e: e.created, reverse=True)

    def get(self, entry_id: str) -> HistoryEntry:
        entry = self._read(self.root / entry_id) if not entry_id.startswith(".") else None
        if entry is None:
            raise GalleryError(f"There is no history entry {entry_id!r}.")
        return entry

    # -- internals ----------------------------------------------------------------------
    def _children(self) -> list[Path]:
        try:
            return [p for p in self.root.iterdir() if p.is_dir()]
        except OSError:
            return []

    @staticmethod
    def _read(folder: Path) -> HistoryEntry | None:
        try:
            data = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8"))
            if int(data.get("version", 1)) > ENTRY_VERSION:
                log.info("history entry %s is from a newer version; skipped", folder.name)
                return None
            return HistoryEntry(
                id=folder.name,
                folder=folder,
                created=float(data["created"]),
                result_file=Path(str(data["result"])).name,  # never outside the folder
                content=str(data.get("content", "")),
                styles=tuple((str(p), float(w)) for p, w in data.get("styles", [])),
                params_data=dict(data.get("params", {})),
                elapsed=float(data.get("elapsed", 0.0)),
                device=str(data.get("device", "")),
                precision=str(data.get("precision", "")),
                width=int(data.get("width", 0)),
                height=int(data.get("height", 0)),
                style_titles=tuple(str(t) for t in data.get("style_titles", [])),
                stopped_at=int(data.get("stopped_at", 0)),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("history entry %s is unreadable: %s", folder.name, exc)
            return None


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"

