"""The time a run has left, from the steps it has timed so far.

A step's cost grows with the pixels of its scale, but not in proportion: a step also pays a
fixed cost (dispatch, the optimiser's bookkeeping), which weighs most at the coarse scales and
on a GPU, and each scale starts by building its style targets. Dividing the whole time so far
by the pixel-iterations done, as this engine did, also counted the network's loading and the
first scale's set-up as the cost of a few tiny steps: a default 512 px run on 2 CPU cores said
28 minutes left at its second step and 4 min 17 s after 40 steps, with 2 min 52 s and 2 min
45 s to go.

Instead the rest of the current scale is timed by that scale's own steps after its first (the
first also carries the scale's set-up). A later scale's step is predicted from the scales timed
so far: as a fixed cost plus a cost per pixel once two scales have been timed, and each later
scale gets one step more for its set-up. While only one scale has been timed, a step's cost is
taken in proportion to ``cost(pixels)`` (also while the scales timed took no longer on more
pixels, where no fit holds): the pixels themselves unless the caller knows better.
In proportion to the pixels errs long where a fixed cost weighs: on 2 CPU cores 1.06-1.25x
through a default 512 px run's first scale (4 runs; 1.9x at a slow early step), 5-8x on a
GPU-like run whose steps all take as long. The window passes the fixed cost its earlier runs on
the device measured (ui/estimate.fixed_pixels): each of those 4 runs replayed with the cost the
other run in its precision measured, 0.85-1.20x (1.72x at that slow step); with its own, 1.03-1.13.

A run's first steps also take longer than the rest (the allocator and the convolution
kernels warming up, on a shared CPU other work): on 2 CPU cores a 192 px run's first scale
took 0.39, 0.86, 0.57, 0.11, 0.28 and 1.4 s for its second to seventh steps, then 0.09 s each,
and a window's first run said 4 min 27 s left at its second step of a run that took 41 s. So
a scale's step is timed by the median of its last RECENT_STEPS steps, which a slow one does
not move, and nothing is foretold (None: "estimating") until BASIS_STEPS steps of the first
scale after its first have been timed, or all of them where it has fewer.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

# Steps of a scale, after its first, timed before it is taken as a basis (see above).
BASIS_STEPS = 3
# A scale's step time: the median of its last this many steps (a warm-up outlier is outvoted).
RECENT_STEPS = 9


class TimeLeft:
    """Seconds left of a run whose scales have ``pixels[i]`` pixels and ``iterations[i]`` steps."""

    def __init__(self, pixels: Sequence[int], iterations: Sequence[int],
                 cost: Callable[[int], float] | None = None) -> None:
        if len(pixels) != len(iterations):
            raise ValueError("one iteration count per scale")
        self.pixels = list(pixels)
        self.iterations = list(iterations)
        self.cost = cost  # a step's relative cost by its pixels, where no fit holds
        self._last_done = 0.0  # when the previous step of the current scale ended
        self._steps: dict[int, list[float]] = {}  # scale -> seconds of its steps after its first
        self._timed: dict[int, float] = {}  # pixels -> seconds per step, of each scale timed

    def _scale_seconds(self, scale: int) -> float | None:
        """A step's time on ``scale`` from its own steps, once they are a basis."""
        steps = self._steps.get(scale, [])
        if not steps or len(steps) < min(BASIS_STEPS, self.iterations[scale] - 1):
            return None
        return statistics.median(steps[-RECENT_STEPS:])

    def step_seconds(self, pixels: int) -> float | None:
        """The predicted time of one step on ``pixels``, from the scales timed so far."""
        if not self._timed:
            return None
        sizes = sorted(self._timed)
        largest = sizes[-1]
        if len(sizes) >= 2:
            smaller = sizes[-2]
            per_pixel = (self._timed[largest] - self._timed[smaller]) / (largest - smaller)
            fixed = self._timed[largest] - per_pixel * largest
            if per_pixel > 0 and fixed >= 0:
                return fixed + per_pixel * pixels
            if per_pixel > 0:  # more than in proportion (noise, or caches outgrown)
                return self._timed[largest] * pixels / largest
        # One scale timed, or steps no longer on more pixels (a GPU's small scales): the
        # caller's cost where it has one.
        if self.cost is not None:
            ours, theirs = self.cost(largest), self.cost(pixels)
            if ours > 0 and theirs > 0:
                return self._timed[largest] * theirs / ours
        return self._timed[largest] * pixels / largest

    @property
    def timed(self) -> dict[int, float]:
        """Seconds per step (after each scale's first) by the pixels of each scale timed."""
        return dict(self._timed)

    def step_done(self, scale: int, iteration: int, now: float) -> float | None:
        """Step ``iteration`` (1-based) of ``scale`` ended at ``now`` (seconds, any origin).

        Returns the seconds left, or None while there is no basis for it yet (BASIS_STEPS).
        """
        pixels = self.pixels[scale]
        if iteration > 1:
            self._steps.setdefault(scale, []).append(now - self._last_done)
        self._last_done = now
        step = self._scale_seconds(scale)
        if step is not None:
            self._timed[pixels] = step
        else:
            step = self.step_seconds(pixels)
        if step is None:
            return None
        left = step * (self.iterations[scale] - iteration)
        for px, n in zip(self.pixels[scale + 1:], self.iterations[scale + 1:]):
            if n > 0:
                left += (n + 1) * (self.step_seconds(px) or 0.0)
        return left
