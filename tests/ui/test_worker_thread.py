"""The worker thread: signals in order, previews, stop within one iteration, errors."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from nst_desktop.engine import Params
from nst_desktop.errors import ParameterError
from nst_desktop.ui import worker as worker_module
from nst_desktop.ui.worker import RunController, StyleJob

TINY = Params(
    size=48, min_size=24, iterations=3, coarse_iterations=2, device="cpu", preview_every=1
)


def make_job(content_image, style_image, **changes) -> StyleJob:
    return StyleJob(TINY.replace(**changes), content_image, (style_image,))


def test_whole_run_emits_signals_in_order(qtbot, content_image, style_image):
    controller = RunController()
    job = make_job(content_image, style_image)
    steps = job.params.total_iterations()
    expected = [controller.started]
    for _ in range(steps):  # preview_every=1: one frame after every step
        expected += [controller.progress, controller.preview_ready]
    expected.append(controller.finished)
    frames: list[QImage] = []
    progress = []
    results = []
    controller.preview_ready.connect(frames.append)
    controller.progress.connect(progress.append)
    controller.finished.connect(results.append)
    with qtbot.waitSignals(expected, order="strict", timeout=60_000):
        controller.start(job)
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=10_000)

    (result,) = results
    assert result.steps == steps and not result.cancelled
    assert result.image.shape == (36, 48, 3) and result.image.dtype == np.float32
    assert len(frames) == steps
    # Coarse scales come first: the first frame is smaller than the last.
    assert frames[0].width() < frames[-1].width() == 48
    assert [p.step for p in progress] == list(range(1, steps + 1))
    assert all(p.preview is None for p in progress)  # frames travel as QImage, not arrays


def test_stop_ends_within_one_iteration_and_keeps_the_image(qtbot, content_image, style_image):
    controller = RunController()
    job = make_job(
        content_image, style_image, iterations=200, coarse_iterations=0, coarse_to_fine=False
    )
    seen = []

    def on_progress(event):
        seen.append(event.step)
        if event.step == 2:
            controller.stop()

    controller.progress.connect(on_progress)
    with qtbot.waitSignal(controller.cancelled, timeout=60_000) as blocker:
        controller.start(job)
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=10_000)
    result = blocker.args[0]
    assert result.cancelled
    # Stop was asked after step 2; the loop checks before each step, and the
    # queued signal may reach us one step late: at most one more step ran.
    assert 2 <= result.steps <= 3
    assert result.image.shape == (36, 48, 3)
    assert not np.allclose(result.image, 0)


def test_stop_before_the_network_is_ready_still_ends_cleanly(qtbot, content_image, style_image):
    controller = RunController()
    with qtbot.waitSignal(
        controller.running_changed, timeout=60_000, check_params_cb=lambda running: not running
    ):
        controller.start(make_job(content_image, style_image, iterations=500))
        controller.stop()
    assert not controller.is_running()


def test_bad_parameters_fail_before_a_thread_starts(
    qtbot, content_image, style_image, no_running_qthreads
):
    controller = RunController()
    with pytest.raises(ParameterError):
        controller.start(StyleJob(TINY, content_image, ()))
    assert not controller.is_running() and not no_running_qthreads


def test_engine_error_becomes_a_failed_signal(qtbot, monkeypatch, content_image, style_image):
    def broken_events(self):
        raise ParameterError("The optimisation diverged (the loss is not a number).")
        yield  # pragma: no cover

    monkeypatch.setattr(worker_module.StyleTransfer, "events", broken_events)
    controller = RunController()
    failures = []
    controller.failed.connect(lambda *args: failures.append(args))
    with qtbot.waitSignals([controller.started, controller.failed], order="strict", timeout=60_000):
        controller.start(make_job(content_image, style_image))
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=10_000)
    ((message, error),) = failures
    assert "diverged" in message and isinstance(error, ParameterError)


def test_unexpected_exception_gets_a_generic_message(
    qtbot, monkeypatch, content_image, style_image
):
    def broken_events(self):
        raise ZeroDivisionError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(worker_module.StyleTransfer, "events", broken_events)
    controller = RunController()
    with qtbot.waitSignal(controller.failed, timeout=60_000) as blocker:
        controller.start(make_job(content_image, style_image))
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=10_000)
    assert "unexpected error" in blocker.args[0] and "boom" in blocker.args[0]


def test_network_is_reused_between_runs(monkeypatch):
    built = []
    real = worker_module.build_network

    def counting(*args, **kwargs):
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(worker_module, "build_network", counting)
    cache = worker_module.NetworkCache()
    first = cache.get(TINY)
    assert cache.get(TINY.replace(style_weight=5.0, seed=3)) is first
    assert len(built) == 1
    cache.get(TINY.replace(pooling="avg"))
    assert len(built) == 2
