"""Precision: what 'auto' chooses where, and that a bf16 run on the CPU is a good run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nst_desktop.engine import device as device_mod
from nst_desktop.engine.device import cpu_has_native_bf16, estimate_memory, resolve_precision

from .helpers import gram_distance, run_to_end, tiny

CPU, CUDA, MPS = torch.device("cpu"), torch.device("cuda"), torch.device("mps")


@pytest.fixture
def native_bf16(monkeypatch):
    """Set whether the CPU has native bfloat16: ``native_bf16(True)``."""

    def set_native(value: bool) -> None:
        monkeypatch.setattr(device_mod, "cpu_has_native_bf16", lambda: value)

    return set_native


@pytest.fixture
def fresh_probe():
    cpu_has_native_bf16.cache_clear()
    yield
    cpu_has_native_bf16.cache_clear()


def test_automatic_precision_is_bf16_only_on_a_cpu_with_native_bfloat16(native_bf16,
                                                                        monkeypatch):
    monkeypatch.setattr(device_mod, "cuda_has_native_bf16", lambda _device: True)
    native_bf16(True)
    assert resolve_precision("auto", CPU) == "bf16"
    assert resolve_precision("auto", CUDA) == "tf32"
    assert resolve_precision("auto", MPS) == "fp32"
    native_bf16(False)
    assert resolve_precision("auto", CPU) == "fp32"
    assert resolve_precision("auto", CUDA) == "tf32"
    # A choice is kept where the device has it; TF32 is CUDA's alone.
    for native in (True, False):
        native_bf16(native)
        assert resolve_precision("fp32", CPU) == "fp32"
        assert resolve_precision("bf16", CPU) == "bf16"
        assert resolve_precision("tf32", CPU) == "fp32"
        assert resolve_precision("fp32", CUDA) == "fp32"
        # Apple's GPU has no bfloat16 autocast: a bf16 run there computes in float32.
        assert resolve_precision("bf16", MPS) == "fp32"
        assert resolve_precision("bf16", CUDA) == "bf16"


@pytest.mark.parametrize(
    ("avx512_bf16", "amx", "expected"),
    [(True, False, True), (False, True, True), (False, False, False)],
)
def test_native_bfloat16_is_avx512_bf16_or_amx(monkeypatch, fresh_probe, avx512_bf16, amx,
                                               expected):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16,
                        raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    assert cpu_has_native_bf16() is expected


def test_a_failing_or_missing_probe_means_no_native_bfloat16(monkeypatch, fresh_probe):
    def broken() -> bool:
        raise RuntimeError("cpuinfo failed")

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", broken, raising=False)
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)
    assert cpu_has_native_bf16() is False


@pytest.mark.parametrize(
    ("native", "onednn", "expected"),
    [(True, True, "native"), (False, True, "emulated"), (False, False, "reference"),
     (False, None, "reference")],
)
def test_how_a_cpu_runs_bfloat16_is_native_emulated_or_the_reference_kernels(
    monkeypatch, native_bf16, native, onednn, expected
):
    """None: the oneDNN probe fails, which means no oneDNN bfloat16."""
    def probe() -> bool:
        if onednn is None:
            raise RuntimeError("no mkldnn op")
        return onednn

    native_bf16(native)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", probe)
    device_mod._onednn_bf16.cache_clear()
    try:
        assert device_mod.cpu_bf16_kind() == expected
        # only the reference kernels make a bf16 run on the CPU slow
        assert device_mod.slow_bf16("bf16", CPU) is (expected == "reference")
        assert device_mod.slow_bf16("fp32", CPU) is False
        assert device_mod.slow_bf16("auto", CPU) is False  # auto is bf16 only where native
        assert device_mod.slow_bf16("bf16", CUDA) is False
    finally:
        device_mod._onednn_bf16.cache_clear()


def test_the_bfloat16_kind_is_the_convolution_pytorch_runs_here():
    """On this machine, for real: 'reference' exactly where a bfloat16 convolution under
    autocast runs PyTorch's slow im2col kernel instead of oneDNN's."""
    x = torch.randn(1, 8, 16, 16, requires_grad=True)
    conv = torch.nn.Conv2d(8, 8, 3, padding=1)
    with torch.profiler.profile() as prof, torch.autocast("cpu", dtype=torch.bfloat16):
        y = conv(x)
        assert y.dtype == torch.bfloat16
        y.float().sum().backward()
    ops = {e.key for e in prof.key_averages()}
    assert ("aten::_slow_conv2d_forward" in ops) is (device_mod.cpu_bf16_kind() == "reference"), ops


def test_an_automatic_run_on_a_native_bf16_cpu_is_the_bf16_run(
    native_bf16, content_image, style_image
):
    p = tiny(coarse_to_fine=False, iterations=8, device="cpu")
    native_bf16(True)
    _, auto = run_to_end(p, content_image, [style_image])
    _, bf16 = run_to_end(p.replace(precision="bf16"), content_image, [style_image])
    _, fp32 = run_to_end(p.replace(precision="fp32"), content_image, [style_image])
    np.testing.assert_array_equal(auto.image, bf16.image)
    assert np.abs(bf16.image - fp32.image).max() > 1e-4  # it did run in bfloat16
    native_bf16(False)
    _, auto = run_to_end(p, content_image, [style_image])
    np.testing.assert_array_equal(auto.image, fp32.image)


def test_a_bf16_run_on_the_cpu_styles_as_well_as_a_fp32_one(content_image, style_image):
    p = tiny(iterations=20, coarse_iterations=20, style_weight=200, device="cpu")
    events, bf16 = run_to_end(p.replace(precision="bf16"), content_image, [style_image])
    _, fp32 = run_to_end(p.replace(precision="fp32"), content_image, [style_image])
    assert events[-1].losses["total"] < 0.5 * events[0].losses["total"]
    assert np.isfinite(bf16.image).all()
    after_bf16 = gram_distance(bf16.image, style_image)
    after_fp32 = gram_distance(fp32.image, style_image)
    assert after_bf16 < 1.25 * after_fp32, (after_bf16, after_fp32)


def test_the_bf16_memory_estimate_is_the_device_types():
    """bf16 saves less on the CPU (autocast keeps float32 copies) than the GPU's estimate
    assumes; fp32 is the same everywhere."""
    cpu = estimate_memory(1536, 2048, "bf16", history=39, device_type="cpu")
    cuda = estimate_memory(1536, 2048, "bf16", history=39, device_type="cuda")
    fp32 = estimate_memory(1536, 2048, "fp32", history=39, device_type="cpu")
    assert cuda < cpu < fp32
    assert fp32 == estimate_memory(1536, 2048, "fp32", history=39, device_type="cuda")
    assert estimate_memory(768, 1024, "bf16", history=39) == estimate_memory(
        768, 1024, "bf16", history=39, device_type="cpu")
