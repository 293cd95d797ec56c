"""Importing images (or a style archive) into the gallery without blocking the window.

The slow half of an import (unpack, decode, check, copy, thumbnail) runs on a
worker thread: :func:`unpack_archive` and :meth:`GalleryStore.prepare` touch
files only. Each prepared style comes back through a queued signal and is
committed to the database on the GUI thread, where the store lives.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Signal

from nst_desktop.core.gallery_archive import scratch_folder, unpack_archive
from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.errors import NSTError

ImportItem = tuple[Path, dict[str, object]]  # (image file, details for the record)


class ImportRelay(QObject):
    """Lives on the GUI thread.

    Signals:
        prepared(object PreparedStyle, object details, int batch): ready to commit.
        failed(str path, str message, int batch): one file (or the archive) failed.
        finished(int batch): the batch is done (or was cancelled).
    """

    prepared = Signal(object, object, int)
    failed = Signal(str, str, int)
    finished = Signal(int)


class ImportJob(QRunnable):
    """Prepare a batch of files one after the other (unpacking an archive first)."""

    def __init__(self, store: GalleryStore, items: list[ImportItem], batch: int,
                 relay: ImportRelay, cancelled: threading.Event, *,
                 archive: Path | None = None) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._store = store
        self._items = list(items)
        self._batch = batch
        self._relay = relay
        self._cancelled = cancelled
        self._archive = archive

    def run(self) -> None:
        try:
            with contextlib.ExitStack() as stack:
                items = self._items
                if self._archive is not None:
                    scratch = stack.enter_context(scratch_folder())
                    try:
                        items = unpack_archive(self._archive, scratch)
                    except NSTError as exc:
                        self._relay.failed.emit(str(self._archive), str(exc), self._batch)
                        items = []
                for path, details in items:
                    if self._cancelled.is_set():
                        break
                    self._prepare_one(path, details)
        except Exception as exc:  # never a worker-thread traceback with nothing shown
            name = self._archive.name if self._archive is not None else "The import"
            self._relay.failed.emit(str(self._archive or ""), f"{name} could not be imported: "
                                    f"{exc}", self._batch)
        finally:
            self._relay.finished.emit(self._batch)

    def _prepare_one(self, path: Path, details: dict[str, object]) -> None:
        try:
            prepared = self._store.prepare(path)
        except NSTError as exc:
            self._relay.failed.emit(str(path), str(exc), self._batch)
            return
        except Exception as exc:  # never let a worker die silently
            self._relay.failed.emit(str(path), f"{Path(path).name} could not be imported: "
                                    f"{exc}", self._batch)
            return
        if self._cancelled.is_set():
            self._store.discard(prepared)
            return
        self._relay.prepared.emit(prepared, details, self._batch)
