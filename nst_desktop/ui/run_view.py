"""Starting and stopping runs, and showing what they report.

Inputs are frozen into a :class:`StyleJob` here, on the GUI thread; the
:class:`RunController` runs it on a worker thread; its signals arrive back
here, on the GUI thread, where the widgets are updated.
"""

from __future__ import annotations

import dataclasses
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from nst_desktop.core.history import run_title
from nst_desktop.engine import Params, Progress, Result, StyleInput, scaled_shape
from nst_desktop.engine.device import resolve_precision
from nst_desktop.errors import NSTError, OutOfMemoryError, TooThinError
from nst_desktop.ui.estimate import (
    device_for,
    fixed_pixels,
    format_duration,
    pixel_iterations,
    step_cost,
    step_cost_guess,
)
from nst_desktop.ui.qt_images import rgb_to_qimage
from nst_desktop.ui.worker import RunController, StyleJob

if TYPE_CHECKING:
    from nst_desktop.ui.main_window import MainWindow

NOTIFY_AFTER_SECONDS = 10.0
ESTIMATING = "estimating…"


class RunView(QObject):
    """Runs the engine for the window and shows progress, frames, results and errors.

    Signals:
        result_ready(object, object): a run's image is on screen, to keep: the
            :class:`Result` of a finished run, or of one stopped after a step
            (``cancelled``), and the photo's alpha (H, W) or None.
    """

    result_ready = Signal(object, object)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = RunController(self)
        self.controller.started.connect(self.on_started)
        self.controller.progress.connect(self.on_progress)
        self.controller.preview_ready.connect(self.on_preview_ready)
        self.controller.finished.connect(self.on_finished)
        self.controller.cancelled.connect(self.on_cancelled)
        self.controller.failed.connect(self.on_failed)
        self.controller.running_changed.connect(self.on_running_changed)
        self.job: StyleJob | None = None
        self.output_size = QSize()
        self.saved_path: str | None = None  # where the current result was last saved
        # The alpha of the result on screen (its photo's, as the CLI gives it), or None.
        self.result_alpha: np.ndarray | None = None
        self._first_step: tuple[float, int] | None = None  # (elapsed, pixels) at step 1
        self._tray: QSystemTrayIcon | None = None
        self.notifications: list[str] = []  # what was notified, newest last

    def is_running(self) -> bool:
        return self.controller.is_running()

    # -- starting and stopping ----------------------------------------------------------------
    def toggle_run(self) -> None:
        if self.is_running():
            self.stop()
        else:
            self.start()

    def build_job(self) -> StyleJob:
        """Freeze what the run needs: parameters, and the image arrays as they are now."""
        w = self.window
        if w.content is None:
            raise NSTError("Add a photo first: drop it on the Content pane.")
        entries = w.style_pane.entries
        if not entries:
            raise NSTError("Add a painting first: drop it on the Style pane.")
        model = w.model
        if not model.value("seed_locked"):
            model.set_value("seed", random.randrange(2**31))
        params: Params = model.params.replace(
            content=w.content.path,
            styles=tuple(StyleInput(e.image.path, e.weight) for e in entries),
        )
        init_image = None
        if model.value("continue_from_result") and w.result is not None:
            params = params.replace(init="image", init_image=self.saved_path or "")
            init_image = w.result.image
        elif params.init == "image":
            params = params.replace(init="content")
        return StyleJob(params, w.content.rgb, tuple(e.image.rgb for e in entries), init_image,
                        content_alpha=w.content.alpha)

    def start(self) -> bool:
        w = self.window
        if self.is_running():
            return False
        w.params_panel.commit_edits()  # the size typed without Enter is the size that runs
        try:
            job = self.with_step_cost(self.build_job())
            self.controller.start(job)
        except NSTError as exc:
            QMessageBox.warning(w, "Cannot start", str(exc))
            w.show_status(str(exc))
            return False
        self.job = job
        h, wd = job.content.shape[:2]
        oh, ow = scaled_shape(h, wd, job.params.size)
        self.output_size = QSize(ow, oh)
        self._first_step = None
        self._started_at = time.monotonic()
        w.show_status("Loading the network…")
        return True

    def stop(self) -> None:
        if self.is_running():
            self.controller.stop()
            self.window.show_status("Stopping after this step…")

    # -- what the worker reports ------------------------------------------------------------------
    def on_running_changed(self, running: bool) -> None:
        w = self.window
        w.progress_bar.setVisible(running)
        # Until its steps are a basis for it (engine.timeleft.BASIS_STEPS), a run's time left
        # is being estimated: said from the start, not a blank then a figure.
        w.eta_label.setText(ESTIMATING if running else "")
        if running:
            w.progress_bar.setValue(0)
        w.update_actions()
        if not running and w.close_pending:
            w.close()

    def on_started(self) -> None:
        self.window.show_status("Preparing the style…")

    def on_progress(self, event: Progress) -> None:
        w = self.window
        w.progress_bar.setValue(round(event.fraction * 1000))
        if self._first_step is None and self.job is not None:
            h, wd = event.size
            self._first_step = (event.elapsed, h * wd)
        parts = []
        if event.scale_count > 1:
            parts.append(f"scale {event.scale_index + 1}/{event.scale_count} ({event.size[1]} px)")
        parts.append(f"step {event.step}/{event.total_steps}")
        w.show_status("Painting… " + " · ".join(parts))
        w.eta_label.setText(
            f"{format_duration(event.eta)} left" if event.eta is not None else ESTIMATING
        )

    def on_preview_ready(self, frame: QImage) -> None:
        self.window.result_pane.canvas.set_image(frame, self.output_size)

    def on_finished(self, result: Result) -> None:
        alpha = self.job.content_alpha if self.job is not None else None
        self.show_result(result, alpha=alpha)
        self._record_rate(result)
        took = format_duration(result.elapsed)
        where = result.device.upper() + (f", {result.precision.upper()}" if result.precision
                                         else "")
        self.window.show_status(f"Done in {took} on {where}. Save with Ctrl+S.")
        if result.elapsed > NOTIFY_AFTER_SECONDS and not self.window.isActiveWindow():
            self.notify("Your painting is ready", f"Finished in {took}.")
        self.result_ready.emit(result, alpha)

    def on_cancelled(self, result: Result) -> None:
        if result.steps > 0:
            alpha = self.job.content_alpha if self.job is not None else None
            self.show_result(result, alpha=alpha)
            self.window.show_status(
                f"Stopped after {result.steps} steps; the image so far is kept. "
                "Tick 'Continue from current result' to carry on from it."
            )
            self.result_ready.emit(result, alpha)  # a stopped image may be the one liked
        else:
            self.window.show_status("Stopped before the first step.")

    def on_failed(self, message: str, error: object) -> None:
        w = self.window
        if isinstance(error, TooThinError) and error.suggested_size:
            # A panorama too thin at this size: the least size that serves it, on one click.
            w.show_status("The photo is too thin for this output size.")
            self._offer_size(message, "Image too thin", int(error.suggested_size))
            return
        if not isinstance(error, OutOfMemoryError) or not (error.low_memory_fits
                                                           or error.suggested_size):
            w.show_status("The run failed.")
            QMessageBox.warning(w, "Style transfer failed", message)
            return
        w.show_status("Not enough memory for this run.")
        # One change offered: Low memory where it keeps the size asked for, else a size.
        if error.low_memory_fits:
            size = self.job.params.size if self.job is not None else w.model.value("size")
            self._offer(message, "Not enough memory", "low_memory", True,
                        f"Turn on Low memory and keep {size} px?", "Low memory is on (Advanced).")
        else:
            self._offer_size(message, "Not enough memory", int(error.suggested_size or 0))

    def _offer_size(self, message: str, title: str, size: int) -> None:
        self._offer(message, title, "size", size,
                    f"Set the output size to {size} px?", f"Output size set to {size} px.")

    def _offer(self, message: str, title: str, key: str, value: bool | int,
               offer: str, done: str) -> None:
        """Ask whether to make the one change that lets the run go; make it on Yes (undoable)."""
        w = self.window
        answer = QMessageBox.question(
            w,
            title,
            f"{message}\n\n{offer}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            w.model.edit(key, value)
            w.show_status(f"{done} Press Stylize to try again.")

    # -- the result --------------------------------------------------------------------------------
    def show_result(self, result: Result, saved_path: str | None = None,
                    alpha: np.ndarray | None = None) -> None:
        """Show ``result``, with ``alpha`` (its photo's or its file's) to save it with."""
        w = self.window
        w.result = result
        self.saved_path = saved_path
        self.result_alpha = alpha
        qimage = rgb_to_qimage(result.image)
        w.result_pane.canvas.set_image(qimage)
        h, wd = result.image.shape[:2]
        content = result.params.content
        styles = [w.style_title(s.path) for s in result.params.styles if s.path]
        title = run_title(Path(content).stem if content else "", styles) or "Result"
        w.result_pane.set_info(f"{title} · {wd} × {h}")
        w.update_actions()

    def with_step_cost(self, job: StyleJob) -> StyleJob:
        """The job, with the fixed step cost earlier runs measured on the device it will use
        (for the time left over the first scale)."""
        devices = self.window.devices
        if not devices:
            return job
        device_type = device_for(job.params, devices).key.split(":")[0]
        precision = resolve_precision(job.params.precision, torch.device(device_type))
        fixed = self.window.settings.fixed_pixels(device_type, precision)
        return dataclasses.replace(job, step_cost=step_cost_guess(job.params, device_type, fixed))

    def _record_rate(self, result: Result) -> None:
        if self.job is None or self._first_step is None or result.steps < 5:
            return
        first_elapsed, first_pixels = self._first_step
        h, wd = self.job.content.shape[:2]
        device_type = result.device.split(":")[0]
        # the rate is kept per plain step in the device's reference precision
        first_work = first_pixels * step_cost(result.params, first_pixels, device_type)
        work = pixel_iterations(result.params, (h, wd), device_type) - first_work
        self.window.settings.record_rate(device_type, result.elapsed - first_elapsed, work)
        self.window.settings.record_fixed_pixels(
            device_type, result.precision,
            fixed_pixels(result.step_times, result.params, device_type))
        self.window.params_panel.update_estimate()

    def notify(self, title: str, text: str) -> None:
        """A desktop notification; the taskbar entry flashes where there is no tray."""
        self.notifications.append(text)
        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            if self._tray is None:
                self._tray = QSystemTrayIcon(self.window.windowIcon(), self)
                self._tray.messageClicked.connect(self.window.activateWindow)
            self._tray.show()
            self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        else:
            QApplication.alert(self.window, 0)
