"""Failures become typed errors with messages for people; the device stays usable."""

from __future__ import annotations

import pytest
import torch

from nst_desktop.engine import StyleTransfer, estimate_run_memory
from nst_desktop.engine import run as run_mod
from nst_desktop.engine import vgg as vgg_mod
from nst_desktop.errors import DeviceError, OutOfMemoryError, ParameterError

from .helpers import run_to_end, tiny

GIB = 2**30


def test_out_of_memory_becomes_a_typed_error_with_a_size_that_fits(
    content_image, style_image, monkeypatch
):
    real_forward = vgg_mod.VGGFeatures.forward
    calls = {"n": 0}

    def exploding(self, x):
        calls["n"] += 1
        if x.requires_grad and calls["n"] > 3:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_forward(self, x)

    monkeypatch.setattr(vgg_mod.VGGFeatures, "forward", exploding)
    p = tiny(coarse_to_fine=False, iterations=5, size=64)
    with pytest.raises(OutOfMemoryError) as info:
        run_to_end(p, content_image, [style_image])
    assert "ran out of memory at 64 px" in str(info.value)
    assert "Low memory" in str(info.value)
    assert info.value.suggested_size is not None and info.value.suggested_size < 64
    # The device is still usable afterwards.
    monkeypatch.setattr(vgg_mod.VGGFeatures, "forward", real_forward)
    _, result = run_to_end(p, content_image, [style_image])
    assert result.steps == 5


def test_mps_style_out_of_memory_runtime_error_is_recognised(
    content_image, style_image, monkeypatch
):
    def exploding(self, x):
        raise RuntimeError("MPS backend out of memory (MPS allocated: 3 GB)")

    monkeypatch.setattr(vgg_mod.VGGFeatures, "forward", exploding)
    with pytest.raises(OutOfMemoryError):
        run_to_end(tiny(), content_image, [style_image])


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't "
                     "allocate memory: you tried to allocate 42949672960 bytes. Error code 12 "
                     "(Cannot allocate memory)"),
        MemoryError(),
    ],
    ids=["torch", "python"],
)
def test_the_cpu_running_out_of_memory_gets_the_same_care(
    content_image, style_image, monkeypatch, error
):
    """Run out of RAM on the CPU: a message with a size that fits this machine's free
    memory, Low memory suggested, and not "use the CPU"."""
    def exploding(self, x):
        raise error

    monkeypatch.setattr(vgg_mod.VGGFeatures, "forward", exploding)
    # Enough free memory for the check before the run, whatever this machine has free.
    monkeypatch.setattr(run_mod, "available_memory", lambda device: 64 * GIB)
    p = tiny(size=4096, device="cpu")
    with pytest.raises(OutOfMemoryError) as info:
        run_to_end(p, content_image, [style_image])
    message = str(info.value)
    assert "The CPU ran out of memory at 4096 px" in message
    assert "Low memory (Advanced)" in message and "use the CPU" not in message
    assert info.value.suggested_size is not None and 16 <= info.value.suggested_size < 4096


def counting_forward(monkeypatch) -> dict[str, int]:
    real_forward = vgg_mod.VGGFeatures.forward
    calls = {"n": 0}

    def counted(self, x):
        calls["n"] += 1
        return real_forward(self, x)

    monkeypatch.setattr(vgg_mod.VGGFeatures, "forward", counted)
    return calls


@pytest.mark.parametrize(
    ("size", "free_gib", "low_memory_fits"),
    [(1024, 1.0, False), (2048, 3.0, True)],
)
def test_a_cpu_run_larger_than_the_free_memory_is_refused_before_it_starts(
    content_image, style_image, monkeypatch, size, free_gib, low_memory_fits
):
    """Past what the computer has free, a CPU run would swap for hours or have the system
    end the app: it is refused before any allocation, with a size that fits and, where it
    does, Low memory at the size asked for. FP32 pinned: "auto" is BF16 on a CPU with native
    bfloat16, whose runs need about half the memory (Low memory at 1024 px then fits 1 GB)."""
    calls = counting_forward(monkeypatch)
    free = int(free_gib * GIB)
    monkeypatch.setattr(run_mod, "available_memory", lambda device: free)
    p = tiny(size=size, device="cpu", precision="fp32")
    needed = estimate_run_memory(p, content_image.shape[:2])
    assert needed > free
    events = StyleTransfer(p, content_image, [style_image]).events()
    with pytest.raises(OutOfMemoryError) as info:
        next(events)
    assert calls["n"] == 0  # refused before the network ran once
    message = str(info.value)
    assert f"A {size} px run needs about" in message and f"{free_gib:.1f} GB free" in message
    size_that_fits = info.value.suggested_size
    assert size_that_fits is not None and 16 <= size_that_fits < size
    assert estimate_run_memory(p.replace(size=size_that_fits), content_image.shape[:2]) <= free
    assert info.value.low_memory_fits is low_memory_fits
    assert (f"which fits {size} px" in message) is low_memory_fits
    if low_memory_fits:  # and so it does: the same size with Low memory passes the check
        low = p.replace(low_memory=True)
        assert estimate_run_memory(low, content_image.shape[:2]) <= free
        low_events = StyleTransfer(low.replace(iterations=1), content_image,
                                   [style_image]).events()
        assert isinstance(next(low_events), run_mod.Progress)
        low_events.close()


def test_a_cpu_run_that_fits_the_free_memory_runs(content_image, style_image, monkeypatch):
    p = tiny(device="cpu")
    needed = estimate_run_memory(p, content_image.shape[:2])
    monkeypatch.setattr(run_mod, "available_memory", lambda device: needed)
    _, result = run_to_end(p, content_image, [style_image])
    assert result.steps == p.total_iterations()


def test_other_errors_are_not_disguised_as_out_of_memory(content_image, style_image, monkeypatch):
    def broken(self, x):
        raise RuntimeError("something else")

    monkeypatch.setattr(vgg_mod.VGGFeatures, "forward", broken)
    with pytest.raises(RuntimeError, match="something else"):
        run_to_end(tiny(), content_image, [style_image])


def test_unavailable_device_is_a_device_error(content_image, style_image):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device exists here")
    with pytest.raises(DeviceError, match="No CUDA GPU"):
        run_to_end(tiny(device="cuda"), content_image, [style_image])


def test_bad_inputs_to_the_engine(content_image, style_image):
    with pytest.raises(ParameterError, match="style image"):
        StyleTransfer(tiny(), content_image, [])
    with pytest.raises(ParameterError, match="RGB image array"):
        StyleTransfer(tiny(), content_image[..., 0], [style_image])
    from nst_desktop.engine import StyleInput

    with pytest.raises(ParameterError, match="2 style weights were given for 1"):
        StyleTransfer(tiny(styles=(StyleInput("a"), StyleInput("b"))), content_image, [style_image])
