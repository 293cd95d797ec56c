"""Loading thumbnails off the GUI thread.

A :class:`ThumbnailLoader` owns a small ``QThreadPool``. Each request makes
sure the cached thumbnail file exists (creating it from the image if it is
missing or stale), reads it as a ``QImage`` scaled to the icon size, and hands
that image back through a queued signal; the GUI thread turns it into a
``QPixmap``. The newest requests run first, so when the person scrolls, what
is on screen now loads before what scrolled past.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

from nst_desktop.core.thumbnails import make_thumbnail, thumbnail_is_fresh
from nst_desktop.errors import NSTError

WORKER_LINGER_S = 0.5
# The GUI thread re-takes the GIL on every call between Qt and Python; with
# Python workers beside it, the default 5 ms hand-off makes a repaint stutter.
GIL_SWITCH_INTERVAL_S = 0.0005


class _Relay(QObject):
    """Lives on the GUI thread; workers emit through it (queued to the GUI thread)."""

    loaded = Signal(str, QImage)
    failed = Signal(str, str)


@dataclass(frozen=True)
class _Request:
    image_path: Path
    thumb_path: Path
    size: int


class _Worker(QRunnable):
    """Takes requests, newest first, until the queue is empty."""

    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._loader = loader

    def run(self) -> None:
        loader = self._loader
        while True:
            item = loader._take()
            if item is None:
                return
            key, request = item
            try:
                image = load_thumbnail(request.image_path, request.thumb_path, request.size)
            except NSTError as exc:
                loader._emit_failed(key, str(exc))
                continue
            except Exception as exc:  # a worker must never die silently
                loader._emit_failed(key, f"The thumbnail could not be made: {exc}")
                continue
            loader._emit_loaded(key, image)


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
    """Loads thumbnails on worker threads, newest request first.

    Requests go into a bounded queue (the oldest are dropped when the person
    scrolls faster than thumbnails load; they are asked for again if they come
    back into view). A request costs the GUI thread a dictionary insert: worker
    runnables are started only when fewer than ``max_threads`` are running.

    Signals:
        loaded(str key, QImage image): a requested thumbnail is ready.
        failed(str key, str message): it could not be made (readable message).
    """

    loaded = Signal(str, QImage)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 1,
                 max_queue: int = 256) -> None:
        super().__init__(parent)
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._max_threads = max_threads
        self._max_queue = max_queue
        self._relay = _Relay(self)
        self._relay.loaded.connect(self.on_relay_loaded)
        self._relay.failed.connect(self.on_relay_failed)
        self._lock = threading.Condition()
        self._queue: OrderedDict[str, _Request] = OrderedDict()  # guarded by _lock
        self._workers = 0  # guarded by _lock
        self._in_flight: set[str] = set()  # GUI thread only: queued or being made
        self._closing = threading.Event()

    def request(self, key: str, image_path: Path, thumb_path: Path, size: int) -> None:
        """Queue a load (ignored if this key is already on its way)."""
        if key in self._in_flight or self._closing.is_set():
            return
        self._in_flight.add(key)
        dropped: list[str] = []
        with self._lock:
            self._queue[key] = _Request(image_path, thumb_path, size)
            while len(self._queue) > self._max_queue:
                dropped.append(self._queue.popitem(last=False)[0])
            start = self._workers < self._max_threads
            if start:
                self._workers += 1
            else:
                self._lock.notify()  # wake an idle worker
        self._in_flight.difference_update(dropped)
        if start:
            self._pool.start(_Worker(self))

    def pending(self) -> int:
        return len(self._in_flight)

    def cancel_pending(self) -> None:
        """Drop queued (not yet started) loads."""
        with self._lock:
            self._in_flight.difference_update(self._queue)
            self._queue.clear()

    def wait_for_done(self, msecs: int = -1) -> bool:
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Stop: drop what is queued and wait for what is running."""
        self._closing.set()
        with self._lock:
            self._queue.clear()
            self._lock.notify_all()
        self._pool.waitForDone()
        self._in_flight.clear()

    def on_relay_loaded(self, key: str, image: QImage) -> None:
        self._in_flight.discard(key)
        if not self._closing.is_set():
            self.loaded.emit(key, image)

    def on_relay_failed(self, key: str, message: str) -> None:
        self._in_flight.discard(key)
        if not self._closing.is_set():
            self.failed.emit(key, message)

    # -- called on worker threads ----------------------------------------------------------
    def _take(self) -> tuple[str, _Request] | None:
        with self._lock:
            # Linger a little: scrolling asks for more soon, and starting a
            # runnable costs the GUI thread more than a dictionary insert.
            if not self._queue and not self._closing.is_set():
                self._lock.wait(WORKER_LINGER_S)
            if self._queue and not self._closing.is_set():
                return self._queue.popitem(last=True)  # newest first
            self._workers -= 1
            return None

    def _emit_loaded(self, key: str, image: QImage) -> None:
        if not self._closing.is_set():
            self._relay.loaded.emit(key, image)

    def _emit_failed(self, key: str, message: str) -> None:
        if not self._closing.is_set():
            self._relay.failed.emit(key, message)
