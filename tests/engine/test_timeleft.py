"""The time left of a run (nst_desktop.engine.timeleft), on simulated clocks: no test times."""

from __future__ import annotations

import pytest

from nst_desktop.engine.timeleft import BASIS_STEPS, TimeLeft

# A default 512 px run's scales: 128 x 96, 256 x 192, 512 x 384 px; 80, 80 and 40 steps.
PIXELS = [128 * 96, 256 * 192, 512 * 384]
STEPS = [80, 80, 40]


def simulate(fixed: float, per_pixel: float, setup: float, pixels=PIXELS, steps=STEPS):
    """(scale, iteration, end time, true time left) of each step of a simulated run.

    A step costs ``fixed + per_pixel * pixels``; the run starts with ``setup`` seconds (the
    network, the first style targets) and every later scale with one step's worth.
    """
    t = setup
    ends = []
    for scale, (px, n) in enumerate(zip(pixels, steps)):
        step = fixed + per_pixel * px
        if scale:
            t += step
        for it in range(1, n + 1):
            t += step
            ends.append((scale, it, t))
    return [(s, it, end, t - end) for s, it, end in ends]


def ratios(steps, cost=None):
    clock = TimeLeft(PIXELS, STEPS, cost)
    out = []
    for scale, it, end, left in steps:
        eta = clock.step_done(scale, it, end)
        if it <= BASIS_STEPS and scale == 0:
            assert eta is None  # no basis yet: "estimating"
            continue
        assert eta is not None
        out.append(eta / left if left else eta)
    return out


def test_a_cpu_run_is_foretold_within_a_few_percent_once_it_has_a_basis():
    # Figures of 2 CPU cores (AVX2, 2026-12-04): 0.18, 0.65 and 2.5 s a step, a 3 s start.
    # The old estimate, the time so far over the pixel-iterations done, said 9.7x the time
    # left at the second step and 1.5x after a whole coarse scale.
    steps = simulate(fixed=0.02, per_pixel=1.28e-5, setup=3.0)
    r = ratios(steps)
    assert all(0.99 < x < 1.2 for x in r[:-1]), (min(r), max(r))
    # Once two scales are timed, the fixed cost is known: the rest is exact.
    second_scale = [x for (s, it, _, _), x in zip(steps[BASIS_STEPS:], r)
                    if s == 1 and it > BASIS_STEPS]
    assert all(x == pytest.approx(1.0) for x in second_scale)
    assert r[-1] == 0.0  # the last step: nothing left


def test_a_gpu_run_dominated_by_fixed_costs_is_corrected_after_two_scales():
    # 8 ms a step whatever the size, as for small images on a GPU: in proportion to the
    # pixels the first scale foretells 16x too much for the last one, which errs long...
    steps = simulate(fixed=0.008, per_pixel=1e-9, setup=1.0)
    r = ratios(steps)
    first_scale = r[:80 - BASIS_STEPS]
    assert all(x >= 1.0 for x in first_scale)
    # ...but once the second scale has a basis the estimate is right.
    later = [x for (s, it, _, _), x in zip(steps[BASIS_STEPS:], r)
             if s >= 1 and it > BASIS_STEPS and x]
    assert all(x == pytest.approx(1.0, rel=0.01) for x in later)


def test_the_first_step_of_a_scale_uses_the_scales_before_it():
    clock = TimeLeft([100, 400], [3, 2])
    assert clock.step_done(0, 1, 5.0) is None
    assert clock.step_done(0, 2, 6.0) is None  # one step of two timed: no basis yet
    assert clock.step_done(0, 3, 7.0) == pytest.approx(3 * 4.0)  # 1 s a step, 4 s at 4x
    # The second scale's first step includes its set-up: it is not taken as its step time.
    assert clock.step_done(1, 1, 20.0) == pytest.approx(4.0)
    assert clock.step_done(1, 2, 22.0) == pytest.approx(0.0)


def test_scales_without_steps_are_skipped_and_counts_must_match():
    clock = TimeLeft([100, 400, 1600], [2, 0, 1])
    clock.step_done(0, 1, 0.0)
    assert clock.step_done(0, 2, 1.0) == pytest.approx(2 * 16.0)
    with pytest.raises(ValueError):
        TimeLeft([100], [1, 2])


def test_a_known_fixed_cost_foretells_the_first_scale_exactly():
    # What the window passes once a run has measured the fixed cost (ui/estimate.py
    # fixed_pixels): 0.02 s a step is 1,560 pixels' worth at 1.28e-5 s a pixel.
    fixed, per_pixel = 0.02, 1.28e-5
    steps = simulate(fixed=fixed, per_pixel=per_pixel, setup=3.0)
    r = ratios(steps, cost=lambda px: fixed / per_pixel + px)
    assert all(x == pytest.approx(1.0) for x in r[:-1]), (min(r[:-1]), max(r[:-1]))
    # The same on a GPU-like run, whose steps all take as long: 5-8x too long without it.
    flat = simulate(fixed=0.008, per_pixel=0.0, setup=1.0)
    assert min(ratios(flat)[:80 - BASIS_STEPS]) > 5
    assert all(x == pytest.approx(1.0) for x in ratios(flat, cost=lambda px: 1.0)[:-1])


def test_a_cost_that_is_no_use_falls_back_to_the_pixels():
    clock = TimeLeft([100, 400], [3, 2], cost=lambda px: 0.0)
    clock.step_done(0, 1, 0.0)
    clock.step_done(0, 2, 1.0)
    assert clock.step_done(0, 3, 2.0) == pytest.approx(3 * 4.0)
    assert clock.timed == {100: 1.0}


def test_once_two_scales_are_timed_the_runs_own_times_outweigh_the_cost():
    # Steps growing faster than the pixels (a fit with a negative fixed cost): in proportion
    # to the largest scale timed, not by the caller's cost (on a 1024 px CPU run a cost with
    # the CPU size factors said 1.34x the time left there, in proportion 1.12x).
    clock = TimeLeft([100, 400, 1600], [2, 2, 1], cost=lambda px: float(px * px))
    clock.step_done(0, 1, 0.0)
    clock.step_done(0, 2, 1.0)  # 1 s a step on 100 px
    clock.step_done(1, 1, 10.0)
    assert clock.step_done(1, 2, 15.0) == pytest.approx(2 * 5.0 * 4)  # 5 s on 400: x4 at 1600
    # Steps that took no longer on more pixels: the cost, where no fit holds.
    flat = TimeLeft([100, 400, 1600], [2, 2, 1], cost=lambda px: 1.0)
    flat.step_done(0, 1, 0.0)
    flat.step_done(0, 2, 1.0)
    flat.step_done(1, 1, 2.0)
    assert flat.step_done(1, 2, 2.9) == pytest.approx(2 * 0.9)


def test_slow_first_steps_give_no_figure_and_do_not_sway_the_first_one():
    # A first run on a fresh process: the steps after the first take 10x as long for a
    # while (kernels and the allocator warming up), then 0.1 s. The mean since the first
    # step (the old clock) said 242 s at the second step, 10x the 24 s left, and 4x at the
    # fourth: as a window's first run said 4 min 27 s of a run that took 41 s.
    pixels, steps = [128 * 96, 256 * 192], [80, 40]
    durations = [[2.0, 1.0, 0.1, 0.1] + [0.1] * 76, [0.5, 0.4] + [0.4] * 38]
    ends, t = [], 4.0  # the network loads first
    for scale, row in enumerate(durations):
        for it, d in enumerate(row, start=1):
            t += d
            ends.append((scale, it, t))
    clock = TimeLeft(pixels, steps)
    figures = [(s, it, clock.step_done(s, it, end), t - end) for s, it, end in ends]
    # "estimating" until BASIS_STEPS steps after the first have been timed...
    assert [f for s, it, f, _ in figures if s == 0 and it <= BASIS_STEPS] == [None] * BASIS_STEPS
    # ...and the first figures are then about right (0.1 s a step; 4x on 4x the pixels).
    first = [f / left for s, it, f, left in figures if s == 0 and it > BASIS_STEPS][:10]
    assert all(0.9 < x < 1.1 for x in first), first
