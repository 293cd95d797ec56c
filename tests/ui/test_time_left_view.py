"""The time left as the status bar shows it, from a run timed on a simulated clock."""

from __future__ import annotations

from nst_desktop.engine import Progress
from nst_desktop.engine.timeleft import BASIS_STEPS, TimeLeft
from nst_desktop.ui.estimate import format_duration


def test_the_first_figure_waits_for_a_basis_and_is_near_the_truth(loaded_window):
    """A first run whose steps after the first take 10x as long for a while (warming up):
    "estimating…" until a few have been timed, then figures near the time really left,
    not the minutes the slow steps foretold."""
    w = loaded_window
    pixels, steps = [128 * 96, 256 * 192], [80, 40]
    durations = [[2.0, 1.0, 0.1, 0.1] + [0.1] * 76, [0.5] + [0.4] * 39]
    ends, t = [], 4.0
    for scale, row in enumerate(durations):
        for it, d in enumerate(row, start=1):
            t += d
            ends.append((scale, it, t))
    clock = TimeLeft(pixels, steps)
    total = sum(steps)
    shown = []
    w.runner.on_running_changed(True)  # as the worker says when a run starts
    assert w.eta_label.text() == "estimating…"  # from the start, not a blank
    for step, (scale, it, end) in enumerate(ends[:12], start=1):
        size = (96, 128) if scale == 0 else (192, 256)
        w.runner.on_progress(Progress(
            scale_index=scale, scale_count=2, size=size, iteration=it,
            scale_iterations=steps[scale], step=step, total_steps=total, losses={},
            elapsed=end, eta=clock.step_done(scale, it, end), work_done=float(step),
            work_total=float(total)))
        shown.append((w.eta_label.text(), t - end))
    assert [text for text, _ in shown[:BASIS_STEPS]] == ["estimating…"] * BASIS_STEPS
    for text, left in shown[BASIS_STEPS:]:
        # 24 s left or so: "about 14 s" before the run, never "4 min" as the first figure
        assert text.endswith(" s left") and "min" not in text, text
        assert abs(float(text.split()[0]) - left) <= 2, (text, format_duration(left))
    w.runner.on_running_changed(False)
    assert w.eta_label.text() == ""
