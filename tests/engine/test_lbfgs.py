"""The engine's L-BFGS: torch's iteration, without reading the device, in fixed buffers."""

from __future__ import annotations

import pytest
import torch

from nst_desktop.engine import Params, Progress, StyleTransfer, build_network
from nst_desktop.engine.lbfgs import LBFGS, pairs_kept
from nst_desktop.engine.run import Objective, to_tensor

from .helpers import tiny


def _count_reads(monkeypatch) -> list[str]:
    """Every read of a tensor's value into Python from now on (on a GPU, a wait for it)."""
    reads: list[str] = []
    for name in ("item", "__float__", "__bool__", "__int__", "__index__", "tolist"):
        real = getattr(torch.Tensor, name)

        def spy(self, *a, _real=real, _name=name, **kw):
            reads.append(_name)
            return _real(self, *a, **kw)

        monkeypatch.setattr(torch.Tensor, name, spy)
    return reads


def _torch_lbfgs(x: torch.Tensor, history: int) -> torch.optim.LBFGS:
    return torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=history,
                             tolerance_grad=-1, tolerance_change=-1)


def _trajectory(make, closure_of, x0: torch.Tensor, steps: int) -> list[torch.Tensor]:
    x = x0.clone().requires_grad_(True)
    opt = make(x)
    closure = closure_of(x, opt)
    out = []
    for _ in range(steps):
        opt.step(closure)
        out.append(x.detach().clone())
    return out


@pytest.mark.parametrize("history", [3, 100])
def test_steps_are_torchs_on_the_style_objective(content_image, style_image, history):
    """Seven steps on the real loss; with 3 pairs the buffer wraps around twice. In float64:
    in float32 both drift from the exact iteration by rounding, differently, and L-BFGS
    amplifies it (1e-7 after the first steps, 1e-3 after seven)."""
    params = Params()
    layers = list(dict.fromkeys([*params.content_layers, *params.style_layers]))
    net = build_network(params.weights, layers, params.pooling, torch.device("cpu")).double()
    content = to_tensor(content_image).double()
    objective = Objective(net, params, content, [to_tensor(style_image).double()], [1.0],
                          "fp32", torch.device("cpu"))

    def closure_of(x, opt):
        return lambda: objective.closure(x, opt)

    ours = _trajectory(lambda x: LBFGS([x], history_size=history, steps=7), closure_of,
                       content, 7)
    theirs = _trajectory(lambda x: _torch_lbfgs(x, history), closure_of, content, 7)
    moved = float((theirs[-1] - content).abs().max())
    assert moved > 1e-3
    for a, b in zip(ours, theirs):
        assert float((a - b).abs().max()) <= 1e-12 * max(1.0, moved)


def test_a_pair_of_negative_curvature_is_dropped_as_torch_skips_it():
    """On a non-convex function some step sees y.s < 0: torch does not store that pair, we
    store it with weight 0; every step after is the same."""
    torch.manual_seed(3)
    x0 = torch.randn(50, dtype=torch.float64) * 0.1  # on the concave cap of a double well

    def closure_of(x, opt):
        def closure():
            opt.zero_grad()
            loss = (x**4 / 4 - x**2 / 2).sum()
            loss.backward()
            return loss
        return closure

    made = []

    def ours_make(x):
        made.append(LBFGS([x], history_size=100, steps=12))
        return made[-1]

    ours = _trajectory(ours_make, closure_of, x0, 12)
    theirs = _trajectory(lambda x: _torch_lbfgs(x, 100), closure_of, x0, 12)
    rho = made[0]._rho
    assert rho is not None and bool((rho[: made[0]._stored] == 0).any()), "no pair was dropped"
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_a_step_never_reads_a_value_back(monkeypatch):
    """No .item(), float(), bool() or int() of a tensor inside a step (on a GPU each is a
    wait for the device): the closure's own reads are the only ones."""
    x = torch.linspace(-1, 1, 64).requires_grad_(True)
    opt = LBFGS([x], history_size=4, steps=10)

    def closure():
        opt.zero_grad()
        loss = ((x - 0.3) ** 4 + x**2).sum()
        loss.backward()
        return loss

    reads = _count_reads(monkeypatch)
    before = float(closure().detach())
    for _ in range(10):
        opt.step(closure)
    monkeypatch.undo()
    assert reads == ["__float__"]  # the `before` above
    assert float(closure().detach()) < before


def test_buffers_hold_one_pair_per_step_after_the_first_up_to_the_history():
    assert pairs_kept(100, 40) == 39
    assert pairs_kept(10, 40) == 10
    assert pairs_kept(100, 1) == 0
    x = torch.zeros(10, requires_grad=True)
    opt = LBFGS([x], history_size=100, steps=5)

    def closure():
        opt.zero_grad()
        loss = ((x - torch.arange(10.0)) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
    assert opt._s is not None and tuple(opt._s.shape) == (4, 10)
    assert opt._stored == 4
    torch.testing.assert_close(x.detach(), torch.arange(10.0))


@pytest.mark.parametrize("low_memory", [False, True])
def test_a_run_reads_the_device_once_a_step(content_image, style_image, monkeypatch,
                                             low_memory):
    """Besides each scale's set-up (target statistics), the loop's only read from the device
    is the step's losses, in one copy."""

    reads = _count_reads(monkeypatch)
    p = tiny(preview_every=0, iterations=9, coarse_iterations=7, low_memory=low_memory)
    counts = []
    steps = 0
    for event in StyleTransfer(p, content_image, [style_image]).events():
        counts.append(len(reads))
        steps += isinstance(event, Progress)
    monkeypatch.undo()
    per_step = [b - a for a, b in zip(counts, counts[1:])]
    assert steps == 16
    # within a scale every step reads once (the first step of a scale also sets up targets)
    assert per_step.count(1) >= steps - 3, per_step
    assert reads.count("tolist") == steps
