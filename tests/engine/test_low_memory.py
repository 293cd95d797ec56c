"""Low-memory mode: the same loss and gradient block by block and strip by strip, less memory,
an honest estimate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from nst_desktop.engine import Params, build_network, estimate_memory
from nst_desktop.engine.device import LARGEST_SIZE, cpu_bf16_kind, size_that_fits
from nst_desktop.engine.lbfgs import LBFGS, pairs_kept
from nst_desktop.engine.params import LBFGS_HISTORY, LOW_MEMORY_LBFGS_HISTORY
from nst_desktop.engine.run import Objective, estimate_run_memory, resize, to_numpy, to_tensor
from nst_desktop.engine.strips import LEAN_BLOCKS, output_shape, plan, run, width_of

from .helpers import run_to_end, tiny

ROOT = Path(__file__).resolve().parents[2]


def _objective_and_grad(params: Params, content, styles, blend, image, strip_elements=None,
                        lean_pixels=None, recomputed=None):
    layers = list(dict.fromkeys([*params.content_layers, *params.style_layers]))
    net = build_network(params.weights, layers, params.pooling, torch.device("cpu"))
    obj = Objective.__new__(Objective)
    if strip_elements is not None:
        obj.strip_elements = strip_elements
    if lean_pixels is not None:
        obj.lean_pixels = lean_pixels
    obj.__init__(net, params, content, styles, blend, "fp32", torch.device("cpu"))
    if recomputed is not None:
        assert obj.recomputed == recomputed
    x = image.clone().requires_grad_(True)
    total = obj(x)
    assert x.grad is not None
    return float(total.detach()), [float(v) for v in obj.parts], x.grad.clone()


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"tv_weight": 0.3, "style_layer_weights": (1.0, 2.0, 0.5, 1.0, 3.0)},
        {"style_loss": "w2", "content_layers": ("relu2_2", "relu4_2"), "pooling": "avg"},
        {"style_layers": ("relu1_1", "relu3_1"), "content_layers": ("relu2_1",)},
    ],
)
@pytest.mark.parametrize("strip_elements", [None, 64 * 64 * 3], ids=["whole", "strips"])
def test_block_by_block_backward_gives_the_same_loss_and_gradient(
    content_image, style_image, style_image_2, changes, strip_elements, layout
):
    """Low memory, with the image in one piece per block and in strips of a few rows (an
    odd number of rows and columns, so the last strip is odd and pooling drops a row)."""
    content = to_tensor(content_image)
    if strip_elements:
        content = torch.nn.functional.interpolate(content, size=(45, 61), mode="bilinear")
    styles = [to_tensor(style_image), to_tensor(style_image_2)]
    torch.manual_seed(0)
    image = (content * 0.6 + 0.4 * torch.rand_like(content)).clamp(0, 1)
    plain = _objective_and_grad(Params(**changes), content, styles, [0.7, 0.3], image)
    low_params = Params(low_memory=True, **changes)
    low = _objective_and_grad(low_params, content, styles, [0.7, 0.3], image, strip_elements)
    assert plain[0] > 0
    # A relative Gram error amplifies the convolutions' rounding, which differs between a
    # strip and the whole image in either layout: at worst 1.7e-5 (contiguous) and 1.05e-5
    # (channels-last) measured on a 2-core Xeon, with the W2 loss.
    np.testing.assert_allclose(low[0], plain[0], rtol=1e-4)
    np.testing.assert_allclose(low[1], plain[1], rtol=1e-4, atol=1e-9)
    scale = float(plain[2].abs().max())
    assert scale > 0
    assert float((low[2] - plain[2]).abs().max()) <= 1e-4 * scale


@pytest.mark.parametrize("pooling", ["max", "avg"])
def test_a_block_on_strips_gives_what_it_gives_on_the_whole_image(pooling, layout):
    net = build_network("original", ["relu5_1"], pooling, torch.device("cpu"))
    assert net.memory_format == (
        torch.channels_last if layout == "channels_last" else torch.contiguous_format
    )
    torch.manual_seed(1)
    x = torch.randn(1, 3, 150, 37)  # heights 150, 75, 37, 18, 9
    for block in net.segments():
        whole_layers = {}
        with torch.no_grad():
            y = x
            for name, module in block:
                y = module(y)
                whole_layers[name] = y
        for elements in (width_of(block) * x.shape[-1] * 2, width_of(block) * x.shape[-1] * 7):
            plan_ = plan(block, x.shape, elements)
            assert len(plan_) > 1
            assert plan_[0].start == 0 and plan_[-1].stop == x.shape[-2]
            assert all(a.stop == b.start for a, b in zip(plan_, plan_[1:]))
            out = torch.full(output_shape(block, x.shape), float("nan"))
            assert out.shape == y.shape
            layers = {name: torch.full_like(v, float("nan")) for name, v in whole_layers.items()}

            def visit(name, feat, row, layers=layers):
                layers[name][..., row : row + feat.shape[-2], :] = feat

            with torch.no_grad():
                for strip in plan_:
                    piece, row = run(block, x[..., strip.rows, :], strip, visit)
                    out[..., row : row + piece.shape[-2], :] = piece
            for name, value in [("output", y), *whole_layers.items()]:
                got = out if name == "output" else layers[name]
                # channels-last kernels round differently per shape (conftest.LAYOUTS)
                atol = 1e-4 if layout == "contiguous" else 1e-5 * float(value.abs().max())
                torch.testing.assert_close(got, value, rtol=1e-5, atol=atol, msg=name)
        x = y


@pytest.mark.parametrize(
    "changes",
    [{}, {"style_loss": "w2", "content_layers": ("relu2_2", "relu4_2"), "pooling": "avg"}],
)
def test_a_large_plain_run_recomputes_the_first_blocks_with_the_same_gradient(
    content_image, style_image, changes, layout
):
    """Above LEAN_PIXELS (lowered here to the test image's size) a plain run computes the
    first two blocks on strips and the rest in one piece: the same loss and gradient."""
    content = torch.nn.functional.interpolate(to_tensor(content_image), size=(45, 61),
                                              mode="bilinear")
    styles = [to_tensor(style_image)]
    torch.manual_seed(0)
    image = (content * 0.6 + 0.4 * torch.rand_like(content)).clamp(0, 1)
    plain = _objective_and_grad(Params(**changes), content, styles, [1.0], image,
                                recomputed=0)
    lean = _objective_and_grad(Params(**changes), content, styles, [1.0], image,
                               strip_elements=64 * 64 * 3, lean_pixels=45 * 61,
                               recomputed=LEAN_BLOCKS)
    # A relative Gram error amplifies the convolutions' rounding, which channels-last
    # kernels make per shape (conftest.LAYOUTS).
    rtol = 1e-5 if layout == "contiguous" else 1e-4
    np.testing.assert_allclose(lean[0], plain[0], rtol=rtol)
    np.testing.assert_allclose(lean[1], plain[1], rtol=rtol, atol=1e-9)
    scale = float(plain[2].abs().max())
    assert float((lean[2] - plain[2]).abs().max()) <= 1e-4 * scale


def test_with_adam_a_low_memory_run_is_the_plain_run(content_image, style_image, layout,
                                                     monkeypatch):
    """Adam keeps no history, so only the recomputation differs: the same image, to within
    rounding, over the first steps. Not over many: Adam amplifies rounding, since a
    component whose gradient is near zero moves by about the learning rate whichever sign
    the last bits give it (measured on a 2-core Xeon: 3 steps a scale differ by at most
    1e-6 in both layouts; from 4 to 16 steps, as the inputs change, anywhere from 1e-6 to
    11 grey levels, in either layout, with the same loss and gradient at every step).
    A low-memory network that computed something else would be 1e-3 or more off at once.
    FP32 pinned: "auto" is BF16 on a CPU with native bfloat16, whose rounding differs by
    0.2 here between the two ways of computing (AVX-512 BF16 EPYC, 2026-12-04)."""
    p = tiny(optimizer="adam", learning_rate=0.05, iterations=3, coarse_iterations=3,
             precision="fp32")
    _, plain = run_to_end(p, content_image, [style_image])
    monkeypatch.setattr(Objective, "strip_elements", 64 * 64 * 3)  # strips of a few rows
    _, low = run_to_end(p.replace(low_memory=True), content_image, [style_image])
    diff = np.abs(low.image - plain.image)
    assert diff.max() <= 1e-4
    start = to_numpy(resize(to_tensor(content_image), plain.image.shape[:2]))
    assert np.abs(plain.image - start).max() > 0.05  # the steps moved it, well beyond that
    assert low.params.low_memory and not plain.params.low_memory


def test_low_memory_lbfgs_keeps_a_short_history(content_image, style_image, monkeypatch):
    made = []
    real = LBFGS.__init__

    def spy(self, params, **kw):
        real(self, params, **kw)
        made.append((kw["history_size"], self.slots))

    monkeypatch.setattr(LBFGS, "__init__", spy)
    p = tiny(coarse_to_fine=False, iterations=15)
    run_to_end(p, content_image, [style_image])
    run_to_end(p.replace(low_memory=True), content_image, [style_image])
    # a run of 15 steps needs room for 14 pairs at most
    assert made == [(LBFGS_HISTORY, 14), (LOW_MEMORY_LBFGS_HISTORY, LOW_MEMORY_LBFGS_HISTORY)]


def test_a_low_memory_run_converges_like_a_plain_one(content_image, style_image):
    from .helpers import gram_distance

    p = tiny(size=64, min_size=32, iterations=20, coarse_iterations=20)
    _, plain = run_to_end(p, content_image, [style_image])
    _, low = run_to_end(p.replace(low_memory=True), content_image, [style_image])
    before = gram_distance(content_image, style_image)
    assert gram_distance(low.image, style_image) < 0.5 * before
    assert gram_distance(low.image, style_image) < 1.5 * gram_distance(plain.image, style_image)


def test_estimate_counts_the_mode_the_optimizer_the_pairs_and_the_precision():
    pairs = pairs_kept(LBFGS_HISTORY, Params().iterations)
    assert pairs == Params().iterations - 1 < LBFGS_HISTORY
    plain = estimate_memory(1536, 2048, history=pairs)
    low = estimate_memory(1536, 2048, low_memory=True, history=LOW_MEMORY_LBFGS_HISTORY)
    adam = estimate_memory(1536, 2048, optimizer="adam")
    bf16 = estimate_memory(1536, 2048, "bf16", history=pairs)
    assert low < 0.5 * plain
    assert adam < plain and bf16 < plain
    assert estimate_memory(1536, 2048, history=LBFGS_HISTORY) > plain
    p = Params(size=2048, device="cpu", precision="fp32")
    assert estimate_run_memory(p, (768, 1024)) == plain
    assert estimate_run_memory(p.replace(low_memory=True), (768, 1024)) == low
    # A longer run keeps more pairs, up to the history.
    assert estimate_run_memory(p.replace(iterations=500), (768, 1024)) == estimate_memory(
        1536, 2048, history=LBFGS_HISTORY)
    # Low memory fits 2048 px (4:3 and square) in 4 GiB; the size that fits a 4 GiB card is
    # larger in low-memory mode.
    assert estimate_memory(2048, 2048, low_memory=True, history=LOW_MEMORY_LBFGS_HISTORY) \
        <= 4 * 2**30
    small = size_that_fits(4 * 2**30, 4 / 3, history=pairs)
    large = size_that_fits(4 * 2**30, 4 / 3, low_memory=True, history=LOW_MEMORY_LBFGS_HISTORY)
    assert large > small and large >= 2048


@pytest.mark.parametrize("low_memory", [False, True])
@pytest.mark.parametrize("budget_gib", [0.5, 1, 4, 24])
def test_the_size_that_fits_is_the_largest_that_fits(low_memory, budget_gib):
    options = {"low_memory": low_memory, "history": 10 if low_memory else 39}
    budget = int(budget_gib * 2**30)
    size = size_that_fits(budget, 4 / 3, **options)
    assert estimate_memory(size * 3 // 4, size, **options) <= budget
    # none larger fits (the estimate is not monotonic: it drops where a run turns lean)
    for bigger in range(size + 16, LARGEST_SIZE + 1, 16):
        assert estimate_memory(bigger * 3 // 4, bigger, **options) > budget, bigger


def _measure(tmp_path, *args: str) -> list[dict]:
    script = ROOT / "tests" / "benchmarks" / "memory.py"
    out = tmp_path / "memory.json"
    env = dict(os.environ, OMP_NUM_THREADS="2")
    subprocess.run(
        [sys.executable, str(script), "--device", "cpu", "--synthetic", "--json", str(out),
         *args],
        check=True, capture_output=True, text=True, env=env, timeout=300,
    )
    return json.loads(out.read_text())["rows"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and uses glibc")
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_estimate_is_within_a_quarter_of_the_measured_peak(tmp_path, precision):
    """tests/benchmarks/memory.py in fresh processes, on the CPU: the measured peak of a run
    at 384 px (a size the model was not fitted on), plain and low-memory, in each precision
    'auto' can choose on a CPU, against the estimate the size control shows. Where bfloat16
    runs on PyTorch's reference kernels (40-50x slower: a step at 384 px takes over a
    minute) the bf16 run is at 192 px, also a size the bf16 model was not fitted on."""
    size = 192 if precision == "bf16" and cpu_bf16_kind() == "reference" else 384
    rows = {r["low_memory"]: r
            for r in _measure(tmp_path, "--sizes", str(size), "--precision", precision)}
    assert set(rows) == {False, True}
    for row in rows.values():
        assert row["precision"] == precision
        assert 0.75 <= row["ratio"] <= 1.25, row
    assert rows[True]["measured_mib"] < rows[False]["measured_mib"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and uses glibc")
def test_on_strips_the_network_memory_stops_growing_with_the_image(tmp_path):
    """With strips of 2**18 values (full at about 4,000 pixels) a low-memory run grows from
    256 to 512 px only by what is image-sized (optimiser, block inputs, gradients): under a
    third of what a plain run grows by per pixel."""
    rows = _measure(tmp_path, "--sizes", "256", "512", "--modes", "low",
                    "--strip-elements", str(2**18))
    small, large = sorted(rows, key=lambda r: r["size"])
    pixels = lambda r: r["shape"][0] * r["shape"][1]  # noqa: E731
    growth = (large["measured_mib"] - small["measured_mib"]) * 2**20 / (pixels(large)
                                                                       - pixels(small))
    plain = (estimate_memory(384, 512, history=39) - estimate_memory(192, 256, history=39)) / (
        384 * 512 - 192 * 256)
    assert 0 < growth < plain / 3, (growth, plain)

