"""Imports into the gallery as batches: files, folders, dropped image data, archives.

Each batch runs on a single-thread pool (batches go in the order asked); the
slow part happens in :class:`ImportJob` on that thread, each prepared style is
committed on the GUI thread as it arrives, and when the batch is done one
signal says what was added, what was already there and what went wrong.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

from nst_desktop.core.gallery_archive import clean_leftover_scratch
from nst_desktop.core.gallery_records import StyleRecord
from nst_desktop.core.gallery_store import GalleryStore, PreparedStyle
from nst_desktop.core.thumbnails import looks_like_image
from nst_desktop.errors import DuplicateStyleError, GalleryError
from nst_desktop.text import counted
from nst_desktop.ui.import_worker import ImportItem, ImportJob, ImportRelay

MAX_FILES_PER_BATCH = 10_000


@dataclass
class ImportResult:
    """What one batch did."""

    added: list[str] = field(default_factory=list)  # ids of new styles
    existing: list[str] = field(default_factory=list)  # ids of styles it found already there
    problems: list[str] = field(default_factory=list)  # readable messages
    cleanup: list[Path] = field(default_factory=list)  # temporary files of the batch

    def summary(self) -> str:
        lines = [f"Added {counted(len(self.added), 'style')} to the gallery."] if self.added else []
        return "\n".join(lines + self.problems) or "Nothing was imported."


class GalleryImporter(QObject):
    """Signals:
    started(str): a batch began ("Importing 3 images…").
    finished(object): an :class:`ImportResult` for a batch that ended.
    """

    started = Signal(str)
    finished = Signal(object)

    def __init__(self, store: GalleryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one batch at a time, in order
        self._cancelled = threading.Event()
        self._relay = ImportRelay(self)
        self._relay.prepared.connect(self.on_relay_prepared)
        self._relay.failed.connect(self.on_relay_failed)
        self._relay.finished.connect(self.on_relay_finished)
        self._batches: dict[int, ImportResult] = {}
        self._batch_ids = itertools.count(1)
        clean_leftover_scratch()  # of imports killed before they could tidy up

    def add_paths(self, paths: list[str | Path]) -> bool:
        """Import files, and the images in folders; False if there was nothing to import."""
        files, problems = _expand(paths)
        if not files:
            self.finished.emit(ImportResult(
                problems=problems or ["There are no images to add."]))
            return False
        self._start([(f, {}) for f in files], ImportResult(problems=problems),
                    f"Importing {counted(len(files), 'image')}…")
        return True

    def add_image(self, image: QImage) -> None:
        """Import image data that came without a file (dropped from a browser)."""
        folder = Path(tempfile.mkdtemp(prefix="nst-drop-"))
        path = folder / "Dropped image.png"
        if not image.save(str(path)):  # PNG, from the name
            shutil.rmtree(folder, ignore_errors=True)
            self.finished.emit(ImportResult(problems=["The dropped image could not be read."]))
            return
        self._start([(path, {})], ImportResult(cleanup=[folder]), "Importing the dropped image…")

    def import_archive(self, archive: str | Path) -> None:
        archive = Path(archive)
        self._start([], ImportResult(), f"Importing {archive.name}…", archive=archive)

    def is_busy(self) -> bool:
        return bool(self._batches)

    def wait_for_done(self, msecs: int = -1) -> bool:
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Cancel what is queued, let the running file finish, forget the rest."""
        self._cancelled.set()
        self._pool.clear()
        self._pool.waitForDone()

    def _start(self, items: list[ImportItem], result: ImportResult, text: str, *,
               archive: Path | None = None) -> None:
        batch_id = next(self._batch_ids)
        self._batches[batch_id] = result
        self._pool.start(ImportJob(self.store, items, batch_id, self._relay, self._cancelled,
                                   archive=archive))
        self.started.emit(text)

    def on_relay_prepared(self, prepared: PreparedStyle, details: dict, batch_id: int) -> None:
        result = self._batches.get(batch_id)
        if self._cancelled.is_set() or result is None:
            self.store.discard(prepared)
            return
        try:
            result.added.append(self.store.commit(prepared, **details).id)
        except DuplicateStyleError as dup:
            if isinstance(dup.existing, StyleRecord):
                result.existing.append(dup.existing.id)
            result.problems.append(str(dup))
        except GalleryError as exc:
            result.problems.append(str(exc))
        except Exception as exc:  # said, never raised out of a queued signal (commit discards)
            result.problems.append(f"{prepared.source_path.name} could not be added: {exc}")

    def on_relay_failed(self, path: str, message: str, batch_id: int) -> None:
        result = self._batches.get(batch_id)
        if result is not None:
            result.problems.append(message)

    def on_relay_finished(self, batch_id: int) -> None:
        result = self._batches.pop(batch_id, None)
        if result is None:
            return
        for path in result.cleanup:
            shutil.rmtree(path, ignore_errors=True)
        if not self._cancelled.is_set():
            self.finished.emit(result)


def _expand(paths: list[str | Path]) -> tuple[list[Path], list[str]]:
    """Files as given, folders as the images inside them (recursively)."""
    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and looks_like_image(p))
            if not found:
                problems.append(f"The folder {path.name} has no images.")
            files.extend(found)
        else:
            files.append(path)
    if len(files) > MAX_FILES_PER_BATCH:
        problems.append(f"Only the first {MAX_FILES_PER_BATCH} of {len(files)} files are added.")
        files = files[:MAX_FILES_PER_BATCH]
    return files, problems
