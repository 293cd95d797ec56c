"""Running the engine off the GUI thread (superqt's generator-worker pattern).

The job's inputs are frozen into a :class:`StyleJob` on the GUI thread; a
:class:`StyleWorker` is moved to a QThread and iterates the engine's event
generator there, turning each event into a signal. Cancel sets the engine's
thread-safe flag; the loop notices within one iteration; a thread is never
killed. :class:`RunController` owns the thread and re-emits the worker's
signals on the GUI thread.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from nst_desktop.engine import (
    Params,
    Progress,
    Result,
    StyleTransfer,
    VGGFeatures,
    build_network,
    resolve_device,
)
from nst_desktop.errors import NSTError, ParameterError
from nst_desktop.ui.qt_images import rgb_to_qimage

log = logging.getLogger(__name__)

# Every QThread this module starts, so tests (and shutdown) can check none is left running.
_threads: weakref.WeakSet[QThread] = weakref.WeakSet()


def running_threads() -> list[QThread]:
    running = []
    for thread in list(_threads):
        try:
            if thread.isRunning():
                running.append(thread)
        except RuntimeError:  # deleted after it finished
            _threads.discard(thread)
    return running


@dataclass(frozen=True)
class StyleJob:
    """Everything one run needs, fixed before it starts."""

    params: Params
    content: np.ndarray
    styles: tuple[np.ndarray, ...]
    init_image: np.ndarray | None = None
    # A step's relative cost by its pixels, for the time left (engine.timeleft.TimeLeft).
    step_cost: Callable[[int], float] | None = None
    # The photo's alpha (H, W), or None: not the engine's; given back to the result as the
    # CLI does, when it is saved and when the history keeps it.
    content_alpha: np.ndarray | None = None

    def validate(self) -> StyleJob:
        """Raise :class:`ParameterError` now, on the caller's thread, rather than in the run."""
        self.params.validate()
        if not self.styles:
            raise ParameterError("At least one style image is needed.")
        if self.params.styles and len(self.params.styles) != len(self.styles):
            raise ParameterError(
                f"{len(self.params.styles)} style weights were given for {len(self.styles)} images."
            )
        if self.params.init == "image" and self.init_image is None:
            raise ParameterError("Initialisation 'image' needs an init image.")
        return self


class NetworkCache:
    """The last VGG-19 built, reused by the next run with the same network settings.

    Loading the weights takes seconds; a person who tweaks a slider and runs
    again should not wait for it twice. Only one run uses it at a time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, ...] | None = None
        self._network: VGGFeatures | None = None

    @staticmethod
    def key(params: Params) -> tuple[str, ...]:
        layers = tuple(dict.fromkeys([*params.content_layers, *params.style_layers]))
        device = str(resolve_device(params.device))
        return (params.weights, params.pooling, device, *layers)

    def get(self, params: Params) -> VGGFeatures:
        key = self.key(params)
        with self._lock:
            if self._key == key and self._network is not None:
                return self._network
        layers = list(dict.fromkeys([*params.content_layers, *params.style_layers]))
        network = build_network(
            params.weights, layers, params.pooling, resolve_device(params.device)
        )
        with self._lock:
            self._key, self._network = key, network
        return network

    def clear(self) -> None:
        with self._lock:
            self._key = self._network = None


network_cache = NetworkCache()


class StyleWorker(QObject):
    """Iterates one :class:`StyleTransfer` and reports through signals.

    Signals (emitted from the worker thread; connect with queued/auto connections):
        started(): the run began.
        progress(object): a :class:`Progress` (its ``preview`` moved to ``preview_ready``).
        preview_ready(QImage): a frame of the image as it forms; owns its memory.
        finished(object): the :class:`Result` of a complete run.
        cancelled(object): the :class:`Result` of a stopped run (the image so far).
        failed(str, object): a message fit to show, and the exception.
        done(): the last signal of every run, whatever happened.
    """

    started = Signal()
    progress = Signal(object)
    preview_ready = Signal(QImage)
    finished = Signal(object)
    cancelled = Signal(object)
    failed = Signal(str, object)
    done = Signal()

    def __init__(self, job: StyleJob, cache: NetworkCache | None = None) -> None:
        super().__init__()
        self.job = job.validate()  # bad parameters raise here, on the caller's thread
        self._cache = cache if cache is not None else network_cache
        self._cancel = threading.Event()
        self.transfer: StyleTransfer | None = None

    def cancel(self) -> None:
        """Safe from any thread: the run stops at the end of the current iteration."""
        self._cancel.set()
        transfer = self.transfer
        if transfer is not None:
            transfer.cancel()

    @Slot()
    def run(self) -> None:
        self.started.emit()
        job = self.job
        try:
            network = self._cache.get(job.params)
            self.transfer = StyleTransfer(
                job.params,
                job.content,
                list(job.styles),
                init_image=job.init_image,
                network=network,
                step_cost=job.step_cost,
            )
            if self._cancel.is_set():  # stopped while the network loaded
                self.transfer.cancel()
            for event in self.transfer.events():
                if isinstance(event, Progress):
                    frame = event.preview
                    self.progress.emit(dataclasses.replace(event, preview=None))
                    if frame is not None:
                        self.preview_ready.emit(rgb_to_qimage(frame))
                elif isinstance(event, Result):
                    (self.cancelled if event.cancelled else self.finished).emit(event)
        except NSTError as exc:
            self.failed.emit(str(exc), exc)
        except Exception as exc:  # noqa: BLE001 - anything else becomes a message, not a crash
            log.exception("style transfer failed")
            self.failed.emit(
                "Style transfer stopped because of an unexpected error "
                f"({type(exc).__name__}: {exc}). Your images and settings are unchanged.",
                exc,
            )
        finally:
            self.done.emit()


class RunController(QObject):
    """Starts runs on a worker thread and stops them; all signals arrive on the GUI thread.

    Signals:
        started(): a run began in the worker.
        progress(object): a :class:`Progress` without its preview.
        preview_ready(QImage): a frame of the forming image.
        finished(object): the final :class:`Result`.
        cancelled(object): the partial :class:`Result` of a stopped run.
        failed(str, object): message and exception of a failed run.
        running_changed(bool): True when a run starts, False once its thread has ended.
    """

    started = Signal()
    progress = Signal(object)
    preview_ready = Signal(QImage)
    finished = Signal(object)
    cancelled = Signal(object)
    failed = Signal(str, object)
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: StyleWorker | None = None

    def is_running(self) -> bool:
        return self._thread is not None

    def worker(self) -> StyleWorker | None:
        return self._worker

    def start(self, job: StyleJob) -> StyleWorker:
        """Start ``job``; raises NSTError (bad parameters) before any thread starts."""
        if self._thread is not None:
            raise RuntimeError("a run is already going on")
        worker = StyleWorker(job)
        thread = QThread()
        thread.setObjectName("nst-style-transfer")
        worker.moveToThread(thread)
        for name in ("started", "progress", "preview_ready", "finished", "cancelled", "failed"):
            getattr(worker, name).connect(getattr(self, name))
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit)
        thread.finished.connect(self.on_thread_finished)
        self._thread, self._worker = thread, worker
        _threads.add(thread)
        self.running_changed.emit(True)
        thread.start()
        return worker

    def stop(self) -> None:
        """Ask the run to stop; ``cancelled`` follows within one iteration."""
        if self._worker is not None:
            self._worker.cancel()

    @Slot()
    def on_thread_finished(self) -> None:
        sender = self.sender()
        if self._thread is None or (sender is not None and sender is not self._thread):
            return  # a late signal from a thread that shutdown() already collected
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if worker is not None:
            worker.deleteLater()
        if thread is not None:
            _threads.discard(thread)
            thread.deleteLater()
        self.running_changed.emit(False)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop and wait for the thread (application exit). True if it ended."""
        thread = self._thread
        if thread is None:
            return True
        self.stop()
        ended = thread.wait(timeout_ms)
        if ended:
            self.on_thread_finished()
        return ended
