"""L-BFGS for one image-sized parameter, one step per call, that never waits for the GPU.

The iteration is torch.optim.LBFGS's with ``lr=1, max_iter=1`` and no line search (what
Gatys-style transfer uses): the first step is the gradient scaled to unit L1 norm (capped
at 1), every later one the two-loop recursion over the curvature pairs kept. Two
differences, both for speed and memory rather than results:

- Nothing is read back to the host. torch's version converts each pair's coefficient to a
  Python number (two host-device round trips per pair, 200 a step with 100 pairs) and tests
  the new pair's curvature with ``if``; here coefficients stay on the device and a pair
  whose curvature is not positive is kept with a zero weight, so it drops out of the
  recursion exactly as if it had been skipped (it only takes its slot a little early).
- The pairs live in two buffers allocated once, with room for ``min(history, steps - 1)``
  pairs: a run of 40 steps keeps 39 pairs, never more, so a run's peak memory is known when
  it starts (see :func:`pairs_kept`) and reached at once instead of creeping up.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

CURVATURE_EPS = 1e-10  # torch.optim.LBFGS's threshold for keeping a pair


def pairs_kept(history: int, steps: int) -> int:
    """Curvature pairs a run of ``steps`` steps holds: one per step after the first."""
    return max(0, min(history, steps - 1))


class LBFGS(torch.optim.Optimizer):
    """``LBFGS([image], history_size=100, steps=40)``; ``step(closure)`` as usual."""

    def __init__(self, params, history_size: int = 100, steps: int | None = None,
                 lr: float = 1.0) -> None:
        super().__init__(params, {"lr": lr})
        found = [p for group in self.param_groups for p in group["params"]]
        if len(found) != 1:
            raise ValueError("this L-BFGS optimises exactly one tensor")
        self._param: torch.Tensor = found[0]
        self.slots = history_size if steps is None else pairs_kept(history_size, steps)
        self._s: torch.Tensor | None = None  # (slots, n) steps
        self._y: torch.Tensor | None = None  # (slots, n) gradient differences
        self._rho: torch.Tensor | None = None  # (slots,) 1 / (y.s), 0 for a dropped pair
        self._stored = 0
        self._d: torch.Tensor | None = None  # the last direction
        self._t: torch.Tensor | float = 0.0  # the last step length
        self._prev_g: torch.Tensor | None = None
        self._h_diag: torch.Tensor | None = None
        self._rows: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:  # type: ignore[override]
        with torch.enable_grad():
            loss = closure()
        p = self._param
        if p.grad is None:
            return loss
        lr = float(self.param_groups[0]["lr"])
        g = p.grad.reshape(-1)
        if self._d is None:
            self._d = g.neg()
            self._t = torch.clamp(1.0 / g.abs().sum(), max=1.0) * lr
            self._prev_g = g.clone()
        else:
            assert self._prev_g is not None
            d = self._d
            if self.slots > 0:
                self._remember(g, d)
            # The new direction, in d's buffer: -H g by the two-loop recursion.
            torch.neg(g, out=d)
            order = self._order()
            alphas = []
            rows = self._rows
            for i in order:  # newest first
                s, y, rho = rows[i]
                a = torch.dot(s, d) * rho
                d.addcmul_(y, a, value=-1)
                alphas.append(a)
            if self._h_diag is not None:
                d.mul_(self._h_diag)
            for i, a in zip(reversed(order), reversed(alphas)):
                s, y, rho = rows[i]
                b = torch.dot(y, d) * rho
                d.addcmul_(s, a - b)
            self._prev_g.copy_(g)
            self._t = lr
        if isinstance(self._t, torch.Tensor):
            p.add_(self._d.view_as(p) * self._t)
        else:
            p.add_(self._d.view_as(p), alpha=self._t)
        return loss

    def _remember(self, g: torch.Tensor, d: torch.Tensor) -> None:
        """Store the pair of the step just taken (s = t d, y = g - g_prev) in the next slot."""
        assert self._prev_g is not None
        if self._s is None:
            self._s = g.new_zeros((self.slots, g.numel()))
            self._y = g.new_zeros((self.slots, g.numel()))
            self._rho = g.new_zeros((self.slots,))
            # Each slot's (s, y, rho) as views made once: indexing the buffers anew in
            # every step is three more dispatched operations per pair and loop, which
            # is what a small image's step on a GPU waits for.
            self._rows = list(zip(self._s.unbind(0), self._y.unbind(0),
                                  self._rho.unbind(0), strict=True))
        assert self._y is not None and self._rho is not None
        slot = self._stored % self.slots
        s, y, _ = self._rows[slot]
        torch.mul(d, self._t, out=s)
        torch.sub(g, self._prev_g, out=y)
        ys = torch.dot(y, s)
        keep = ys > CURVATURE_EPS
        self._rho[slot] = torch.where(keep, 1.0 / ys, torch.zeros_like(ys))
        before = torch.ones_like(ys) if self._h_diag is None else self._h_diag
        self._h_diag = torch.where(keep, ys / torch.dot(y, y), before)
        self._stored += 1

    def _order(self) -> list[int]:
        """Slots holding pairs, newest first."""
        n = min(self._stored, self.slots)
        return [(self._stored - 1 - k) % self.slots for k in range(n)]
