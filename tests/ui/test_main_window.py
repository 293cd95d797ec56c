"""The window end to end: runs through the worker, stop, close, errors, notifications."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QMessageBox

from nst_desktop.engine import Result
from nst_desktop.errors import ImageLoadError, OutOfMemoryError
from nst_desktop.ui import worker as worker_module


def test_a_run_shows_preview_frames_and_then_the_result(loaded_window, qtbot):
    w = loaded_window
    frames = []
    statuses = []
    # Nothing measured yet: the first run's time left takes steps in proportion to pixels.
    assert w.runner.with_step_cost(w.runner.build_job()).step_cost is None
    w.runner.controller.preview_ready.connect(frames.append)
    w.runner.controller.progress.connect(lambda _e: statuses.append(w.status_label.text()))
    assert w.run_button.isEnabled() and w.run_button.text() == "Stylize"
    with qtbot.waitSignal(w.runner.controller.finished, timeout=90_000):
        w.run_action.trigger()
        assert w.runner.is_running() and w.run_button.text() == "Stop"
        assert w.progress_bar.isVisibleTo(w)
    qtbot.waitUntil(lambda: not w.runner.is_running(), timeout=10_000)

    steps = w.model.params.total_iterations()
    assert len(frames) == steps
    assert any("scale 1/2" in s for s in statuses) and any("scale 2/2" in s for s in statuses)
    assert w.result is not None and w.result.steps == steps
    shown = w.result_pane.canvas.image()
    assert (shown.width(), shown.height()) == (48, 36)  # the result, not a coarse frame
    assert "photo × painting · 48 × 36" in w.result_pane.info_label.text()
    assert w.status_label.text().startswith("Done")
    # it says where and in which precision the run computed ("auto" resolved)
    assert w.result.precision in ("fp32", "bf16")
    assert f"on CPU, {w.result.precision.upper()}." in w.status_label.text()
    # and the run taught the estimate this machine's speed, per plain fp32 step
    assert w.settings.qsettings.contains("rates/cpu")
    assert 0 < w.settings.rate("cpu") < 1e-2
    # and the fixed cost of a step, which the next run's time left starts from
    assert set(w.result.step_times) == {18 * 24, 36 * 48}
    fixed = w.settings.fixed_pixels("cpu", w.result.precision)
    assert fixed is not None and fixed >= 0
    cost = w.runner.with_step_cost(w.runner.build_job()).step_cost
    assert cost is not None and cost(36 * 48) > cost(18 * 24) > 0
    assert not w.progress_bar.isVisibleTo(w) and w.run_button.text() == "Stylize"
    assert w.save_action.isEnabled() and w.params_panel.continue_check.isEnabled()


def test_stop_keeps_the_image_and_a_new_run_can_continue_from_it(loaded_window, qtbot):
    w = loaded_window
    w.model.set_value("iterations", 300)

    def stop_at_second_step(event):
        if event.step == 2:
            w.stop_action.trigger()

    w.runner.controller.progress.connect(stop_at_second_step)
    with qtbot.waitSignal(w.runner.controller.cancelled, timeout=90_000):
        w.run_action.trigger()
    qtbot.waitUntil(lambda: not w.runner.is_running(), timeout=10_000)
    assert w.result is not None and 2 <= w.result.steps <= 3
    assert "the image so far is kept" in w.status_label.text()

    w.params_panel.continue_check.setChecked(True)  # as a click would
    job = w.runner.build_job()
    assert job.params.init == "image"
    assert job.init_image is w.result.image


def test_closing_mid_run_asks_then_stops_the_worker_and_closes(loaded_window, qtbot, dialogs):
    w = loaded_window
    w.model.set_value("iterations", 500)
    w.show()
    with qtbot.waitSignal(w.runner.controller.progress, timeout=90_000):
        w.run_action.trigger()
    dialogs.question_answer = QMessageBox.StandardButton.Cancel  # a stray Ctrl+Q
    assert not w.close()
    [(title, text, *_)] = dialogs.named("question")
    assert "run is in progress" in text and "not kept" in text
    assert w.runner.is_running() and w.isVisible() and not w.close_pending
    dialogs.question_answer = QMessageBox.StandardButton.Close
    w.close()
    assert len(dialogs.named("question")) == 2  # asked once more; not "save the result?"
    assert w.close_pending  # it waits for the step in flight rather than killing the thread
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=30_000)
    assert not w.runner.is_running()
    assert not worker_module.running_threads()


def test_an_engine_error_is_shown_and_the_window_stays_usable(
    loaded_window, qtbot, monkeypatch, dialogs
):
    def failing_events(self):
        raise ImageLoadError("The style image is truncated.")
        yield  # pragma: no cover

    monkeypatch.setattr(worker_module.StyleTransfer, "events", failing_events)
    with qtbot.waitSignal(
        loaded_window.runner.controller.running_changed,
        timeout=60_000,
        check_params_cb=lambda running: not running,
    ):
        loaded_window.run_action.trigger()
    (call,) = dialogs.named("warning")
    assert "The style image is truncated." in call
    assert loaded_window.run_action.isEnabled() and loaded_window.run_button.text() == "Stylize"


def run_until_asked(w, qtbot, dialogs) -> tuple:
    """Start a run that fails, answer Yes to the one question the window then asks, return it."""
    dialogs.question_answer = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(w.runner.controller.failed, timeout=60_000):
        w.run_action.trigger()
    qtbot.waitUntil(lambda: not w.runner.is_running(), timeout=10_000)
    (question,) = dialogs.named("question")
    return question


def test_out_of_memory_offers_the_suggested_size(loaded_window, qtbot, monkeypatch, dialogs):
    def oom_events(self):
        raise OutOfMemoryError("The CUDA ran out of memory at 4096 px.", suggested_size=1536)
        yield  # pragma: no cover

    monkeypatch.setattr(worker_module.StyleTransfer, "events", oom_events)
    before = loaded_window.model.value("size")
    question = run_until_asked(loaded_window, qtbot, dialogs)
    assert "1536 px" in question[1]
    assert loaded_window.model.value("size") == 1536
    loaded_window.undo_action.trigger()
    assert loaded_window.model.value("size") == before


def test_not_enough_memory_offers_low_memory_where_it_keeps_the_size(
    loaded_window, qtbot, monkeypatch, dialogs
):
    """A CPU run past the free memory is refused before it starts (the engine's check, with
    the free memory set between the two estimates); where Low memory fits, the window offers
    it and keeps the size."""
    from nst_desktop.engine import estimate_run_memory
    from nst_desktop.engine import run as run_mod

    w = loaded_window
    w.model.set_value("size", 2048)
    shape = w.content.rgb.shape[:2]
    plain = estimate_run_memory(w.model.params, shape)
    low = estimate_run_memory(w.model.params.replace(low_memory=True), shape)
    free = int(low / 0.8)
    assert low <= 0.9 * free < plain
    monkeypatch.setattr(run_mod, "available_memory", lambda device: free)
    question = run_until_asked(w, qtbot, dialogs)
    assert question[0] == "Not enough memory"
    assert "needs about" in question[1] and "Turn on Low memory and keep 2048 px?" in question[1]
    assert w.model.value("low_memory") is True and w.model.value("size") == 2048
    assert "Low memory is on" in w.status_label.text()
    w.undo_action.trigger()
    assert w.model.value("low_memory") is False


def test_a_photo_too_thin_for_the_size_offers_the_least_size_that_runs(
    window, style_file, tmp_path, qtbot, dialogs
):
    """A 300 x 10 panorama at 48 px would be 2 px tall: the window offers the least size
    whose shorter side reaches relu5_1's 16 px, and a run at it finishes."""
    from .conftest import write_png

    w = window
    thin = write_png(tmp_path / "panorama.png", np.full((10, 300, 3), 0.4, np.float32))
    assert w.inputs.open_path(str(thin), "content") and w.inputs.open_path(str(style_file), "style")
    label = w.params_panel.estimate_label
    text = lambda: label.text().replace("\xa0", " ")  # noqa: E731  (unbreakable spaces)
    # the size control says so before any run, with the same least size the run will offer
    assert w.params_panel.current_estimate.too_thin
    assert "48 × 2 px: too thin for layer relu5_1" in text()
    assert "choose 480 px or more" in text() and "#c0392b" in label.styleSheet()
    question = run_until_asked(w, qtbot, dialogs)
    assert question[0] == "Image too thin"
    assert "300 × 10 image would be 48 × 2 px" in question[1]
    assert "Set the output size to 480 px?" in question[1]
    assert w.model.value("size") == 480 and "Output size set to 480 px" in w.status_label.text()
    assert not w.params_panel.current_estimate.too_thin and "too thin" not in text()
    assert "480 × 16 px" in text() and "#c0392b" not in label.styleSheet()
    w.model.set_value("iterations", 1)
    with qtbot.waitSignal(w.runner.controller.finished, timeout=90_000):
        w.run_action.trigger()
    qtbot.waitUntil(lambda: not w.runner.is_running(), timeout=10_000)
    assert w.result is not None and w.result.image.shape[:2] == (16, 480)


def test_starting_without_a_painting_says_what_is_missing(window, content_file, dialogs):
    window.inputs.open_path(str(content_file), "content")
    assert not window.run_button.isEnabled()
    assert "painting" in window.run_button.toolTip()
    assert not window.runner.start()
    assert "painting" in dialogs.texts()


def test_unlocked_seed_changes_every_run_and_a_locked_one_does_not(loaded_window):
    model = loaded_window.model
    model.set_value("seed_locked", False)
    seeds = {loaded_window.runner.build_job().params.seed for _ in range(4)}
    assert len(seeds) > 1
    model.set_value("seed_locked", True)
    model.set_value("seed", 1234)
    assert {loaded_window.runner.build_job().params.seed for _ in range(3)} == {1234}


def test_a_long_run_finishing_in_the_background_notifies(loaded_window, qtbot):
    w = loaded_window
    assert not w.isActiveWindow()
    params = w.model.params
    image = np.zeros((36, 48, 3), np.float32)
    w.runner.on_finished(Result(image, params, elapsed=42.0, device="cpu", steps=10))
    assert w.runner.notifications == ["Finished in 42 s."]
    w.runner.on_finished(Result(image, params, elapsed=3.0, device="cpu", steps=10))
    assert len(w.runner.notifications) == 1  # a short run needs no notification


def test_compare_looks_on_when_it_is_on(loaded_window, qtbot):
    """Fusion draws a checked tool button barely darker than an unchecked one; Compare takes
    the highlight colour while the before/after split is showing."""
    from PySide6.QtGui import QColor, QPalette

    window = loaded_window
    image = np.random.default_rng(0).random((36, 48, 3), dtype=np.float32)
    window.runner.show_result(Result(image, window.model.params, elapsed=1.0, device="cpu",
                                     steps=3))
    assert window.compare_button.isEnabled()  # there is something to compare
    window.show()
    qtbot.waitExposed(window)
    button = window.compare_button
    highlight = button.palette().color(QPalette.ColorRole.Highlight)

    def distance_from_highlight() -> float:
        image = button.grab().toImage()
        c = QColor(image.pixel(image.width() // 6, image.height() // 2))
        return ((c.red() - highlight.red()) ** 2 + (c.green() - highlight.green()) ** 2
                + (c.blue() - highlight.blue()) ** 2) ** 0.5

    assert distance_from_highlight() > 60
    button.setChecked(True)
    qtbot.waitUntil(lambda: distance_from_highlight() < 30)
    button.setChecked(False)
    qtbot.waitUntil(lambda: distance_from_highlight() > 60)
