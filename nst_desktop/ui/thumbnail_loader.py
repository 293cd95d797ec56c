"""Loading thumbnails off the GUI thread.

A :class:`ThumbnailLoader` owns a small ``QThreadPool``. Each request makes
sure the cached thumbnail file exists (creating it from the image if it is
missing or stale), reads it as a ``QImage`` scaled to the icon size, and hands
that image back through a queued signal; the GUI thread turns it into a
``QPixmap``. The newest requests run first, so when the person scrolls, what
is on screen now loads before what scrolled past.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

from nst_desktop.core.thumbnails import make_thumbnail, thumbnail_is_fresh
from nst_desktop.errors import NSTError


class _Relay(QObject):
    """Lives on the GUI thread; workers emit through it (queued to the GUI thread)."""

    loaded = Signal(str, QImage)
    failed = Signal(str, str)


class _ThumbnailJob(QRunnable):
    def __init__(self, relay: _Relay, key: str, image_path: Path, thumb_path: Path,
                 size: int, closing: threading.Event) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._relay = relay
        self._key = key
        self._image_path = image_path
        self._thumb_path = thumb_path
        self._size = size
        self._closing = closing

    def run(self) -> None:
        if self._closing.is_set():
            return
        try:
            image = load_thumbnail(self._image_path, self._thumb_path, self._size)
        except NSTError as exc:
            self._emit_failed(str(exc))
            return
        except Exception as exc:  # a worker must never die silently
            self._emit_failed(f"The thumbnail could not be made: {exc}")
            return
        if not self._closing.is_set():
            self._relay.loaded.emit(self._key, image)

    def _emit_failed(self, message: str) -> None:
        if not self._closing.is_set():
            self._relay.failed.emit(self._key, message)


def load_thumbnail(image_path: Path, thumb_path: Path, size: int) -> QImage:
    """(Any thread.) The cached thumbnail as a QImage that fits ``size`` pixels."""
    if not thumbnail_is_fresh(image_path, thumb_path):
        make_thumbnail(image_path, thumb_path)
    reader = QImageReader(str(thumb_path))
    reader.setAutoTransform(True)
    original = reader.size()
    if original.isValid() and max(original.width(), original.height()) > size:
        reader.setScaledSize(original.scaled(QSize(size, size), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        raise NSTError(f"The thumbnail of {image_path.name} cannot be read: "
                       f"{reader.errorString()}.")
    return image


class ThumbnailLoader(QObject):
    """Loads thumbnails on worker threads.

    Signals:
        loaded(str key, QImage image): a requested thumbnail is ready.
        failed(str key, str message): it could not be made (readable message).
    """

    loaded = Signal(str, QImage)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._relay = _Relay(self)
        self._relay.loaded.connect(self.on_job_loaded)
        self._relay.failed.connect(self.on_job_failed)
        self._in_flight: set[str] = set()
        self._priority = itertools.count()
        self._closing = threading.Event()

    def request(self, key: str, image_path: Path, thumb_path: Path, size: int) -> None:
        """Queue a load (ignored if this key is already on its way)."""
        if key in self._in_flight or self._closing.is_set():
            return
        self._in_flight.add(key)
        job = _ThumbnailJob(self._relay, key, Path(image_path), Path(thumb_path), size,
                            self._closing)
        # Newest first: what is on screen now beats what scrolled away.
        self._pool.start(job, min(next(self._priority), 2**30))

    def pending(self) -> int:
        return len(self._in_flight)

    def cancel_pending(self) -> None:
        """Drop queued (not yet started) loads."""
        self._pool.clear()
        self._in_flight.clear()

    def wait_for_done(self, msecs: int = -1) -> bool:
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Stop: drop what is queued and wait for what is running."""
        self._closing.set()
        self._pool.clear()
        self._pool.waitForDone()
        self._in_flight.clear()

    def on_job_loaded(self, key: str, image: QImage) -> None:
        self._in_flight.discard(key)
        self.loaded.emit(key, image)

    def on_job_failed(self, key: str, message: str) -> None:
        self._in_flight.discard(key)
        self.failed.emit(key, message)
