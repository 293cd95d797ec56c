"""Choosing the compute device, precision, and estimating memory needs."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from nst_desktop.engine.params import MAX_SIZE
from nst_desktop.engine.strips import network_mode
from nst_desktop.errors import DeviceError


@dataclass(frozen=True)
class DeviceInfo:
    """A device the engine can run on, as the window lists it."""

    key: str  # "cpu", "cuda:0", "mps"
    name: str  # human-readable
    memory_bytes: int | None = None


def available_devices() -> list[DeviceInfo]:
    """Every device that exists here, fastest first; the CPU is always last."""
    found: list[DeviceInfo] = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            found.append(DeviceInfo(f"cuda:{i}", props.name, int(props.total_memory)))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append(DeviceInfo("mps", "Apple GPU (Metal)", mps_memory()))
    found.append(DeviceInfo("cpu", "CPU"))
    return found


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA, then MPS, then the CPU. Raises DeviceError if unavailable."""
    if name == "auto":
        return torch.device(available_devices()[0].key)
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError("No CUDA GPU is available here; choose 'auto' or 'cpu'.")
        try:
            device = torch.device(name)
        except RuntimeError:
            raise DeviceError(f"Unknown device {name!r}; CUDA GPUs are named cuda:0, cuda:1, …"
                              ) from None
        count = torch.cuda.device_count()
        if device.type != "cuda" or (device.index is not None and device.index >= count):
            names = ", ".join(f"cuda:{i}" for i in range(count))
            raise DeviceError(f"There is no GPU {name} here; this computer has {names}.")
        return device
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise DeviceError("Apple's Metal (MPS) device is not available here; choose 'cpu'.")
        return torch.device("mps")
    if name == "cpu":
        return torch.device("cpu")
    raise DeviceError(f"Unknown device {name!r}.")


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX-512 BF16 or AMX). Elsewhere
    oneDNN emulates bfloat16 with float32 arithmetic and conversions."""
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        try:
            if getattr(torch.cpu, probe)():
                return True
        except Exception:  # noqa: BLE001 - a private probe; missing or failing means no
            continue
    return False


@functools.cache
def _onednn_bf16() -> bool:
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:  # noqa: BLE001 - a private probe; missing or failing means no
        return False


def cpu_bf16_kind() -> str:
    """How this CPU runs a bfloat16 network: 'native' (AVX-512 BF16 or AMX), 'emulated'
    (oneDNN converts to float32 and back: AVX-512 without BF16, slower than float32) or
    'reference' (oneDNN has no bfloat16 here, as on AVX2: PyTorch falls back to its reference
    im2col convolution, tens of times slower than float32)."""
    if cpu_has_native_bf16():
        return "native"
    return "emulated" if _onednn_bf16() else "reference"


def slow_bf16(precision: str, device: torch.device) -> bool:
    """Whether a run in ``precision`` on ``device`` computes bfloat16 on a CPU that has no
    fast way to (:func:`cpu_bf16_kind` 'reference')."""
    return (device.type == "cpu" and resolve_precision(precision, device) == "bf16"
            and cpu_bf16_kind() == "reference")


# Where torch.autocast runs the network in bfloat16 (see :func:`autocast`).
AUTOCAST_DEVICE_TYPES = ("cuda", "cpu")


def resolve_precision(precision: str, device: torch.device) -> str:
    """'auto': TF32 on CUDA; bf16 on a CPU with native bfloat16, where it takes 40 % less
    time for the same scores (README, Performance); fp32 elsewhere."""
    if precision == "auto":
        if device.type == "cuda":
            return "tf32"
        if device.type == "cpu" and cpu_has_native_bf16():
            return "bf16"
        return "fp32"
    if precision == "tf32" and device.type != "cuda":
        return "fp32"
    if precision == "bf16" and device.type not in AUTOCAST_DEVICE_TYPES:
        return "fp32"  # no autocast there: the run computes in float32
    if precision == "bf16" and device.type == "cuda" and not cuda_has_native_bf16(device):
        return "fp32"  # before Ampere bfloat16 is emulated, slower than float32 (nor TF32)
    return precision


def cuda_has_native_bf16(device: torch.device) -> bool:
    """Whether the CUDA GPU multiplies bfloat16 in hardware (Ampere and later); where torch
    is too old to tell emulation apart, what it says."""
    try:
        with torch.cuda.device(device):
            try:
                return bool(torch.cuda.is_bf16_supported(including_emulation=False))
            except TypeError:  # torch before 2.4
                return bool(torch.cuda.is_bf16_supported())
    except Exception:  # noqa: BLE001 - no CUDA here: nothing is native
        return False


@contextlib.contextmanager
def precision_context(precision: str, device: torch.device) -> Iterator[None]:
    if device.type == "cuda":
        old_matmul = torch.backends.cuda.matmul.allow_tf32
        old_cudnn = torch.backends.cudnn.allow_tf32
        old_bench = torch.backends.cudnn.benchmark
        # TF32 for the convolutions, where the time goes; never for the matrix products of
        # the style statistics and the W2 loss, whose trace cancels near the target (with
        # matmul inputs rounded to TF32's 10 mantissa bits the W2 loss was 0.3 % to 503 % off).
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = precision in ("tf32", "bf16")
        torch.backends.cudnn.benchmark = True
        try:
            yield
        finally:
            torch.backends.cuda.matmul.allow_tf32 = old_matmul
            torch.backends.cudnn.allow_tf32 = old_cudnn
            torch.backends.cudnn.benchmark = old_bench
    else:
        yield


# Activation layout by device type. Channels-last (NHWC) made a default full-size step a
# quarter faster on the CPU (oneDNN; 2 cores, 2026-12-03, median of 6 and of 3: 512 px
# 1.35 s against 1.79 s, 1024 px 8.2 s against 10.9 s); on CUDA and MPS it is not measured
# yet (tests/benchmarks/bench.py --layout), so they keep PyTorch's default layout.
CHANNELS_LAST = {"cpu": True}


def memory_format(device: torch.device) -> torch.memory_format:
    """The layout the network's weights (and so its activations) take on ``device``."""
    if CHANNELS_LAST.get(device.type, False):
        return torch.channels_last
    return torch.contiguous_format


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager[None]:
    if precision == "bf16" and device.type in AUTOCAST_DEVICE_TYPES:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def no_autocast(device: torch.device) -> contextlib.AbstractContextManager[None]:
    """Float32 inside an :func:`autocast` region (statistics, losses)."""
    if device.type in AUTOCAST_DEVICE_TYPES:
        return torch.autocast(device.type, enabled=False)
    return contextlib.nullcontext()


# Peak memory of a run: a fixed part, bytes per output pixel, and in low-memory mode the
# working set of one strip (see engine/strips.py), which grows with the image until a
# block's activations fill a strip and then stays put. The network's parts (activations
# kept for the backward pass of VGG-19 to relu5_1, block inputs, gradients in flight) were
# fitted on measurements (tests/benchmarks/memory.py); the optimiser's part is arithmetic:
# image-sized float32 tensors (12 bytes per pixel each) that the optimiser keeps.
# Fitted on the CPU, 2026-11-28: plain on 256..768 px (within 1 % at 1024 px too), lean on
# 1536 and 2048 px, low memory on 256..2048 px (within 3 % at every size). The GPU's
# figures are still to be measured.
_NETWORK_BYTES_PER_PIXEL = {
    # By how the network runs: strips.network_mode.
    "plain": 2310.0,
    "lean": 663.0,
    "low": 258.0,
}
# One strip's working set: (bytes per pixel while the image fits in a strip, at most).
_STRIP_BYTES = {"plain": (0.0, 0.0), "lean": (935.0, 20.0 * 2**20), "low": (935.0, 244.0 * 2**20)}
# The network's part in bf16, by device type. On the CPU autocast keeps float32 copies of
# much of what it computes: the network's part shrank by only 10 to 23 % (fitted on 512 to
# 2048 px, plain, lean and low memory, 2026-12-03); on CUDA the factor is not measured yet.
# (On other devices bf16 resolves to fp32: resolve_precision.)
_BF16_FACTOR = {"cpu": 0.82, "cuda": 0.6}
_FIXED_BYTES = 320 * 2**20  # weights, targets, the full-size inputs, allocator slack
_IMAGE_BYTES_PER_PIXEL = 12.0  # one 3-channel float32 image
LARGEST_SIZE = MAX_SIZE  # the largest longest side size_that_fits proposes


def optimizer_tensors(optimizer: str = "lbfgs", history: int = 100) -> int:
    """Image-sized tensors the optimisation keeps alive: the image, its gradient and the
    content image, plus L-BFGS's direction, previous gradient and curvature pairs (two
    tensors per pair; ``history`` is the pairs the run will hold, see
    :func:`nst_desktop.engine.lbfgs.pairs_kept`) or Adam's two moments."""
    return 3 + (2 + 2 * history if optimizer == "lbfgs" else 2)


def _parts(
    pixels: int, precision: str, low_memory: bool, optimizer: str, history: int,
    device_type: str,
) -> tuple[float, float, float]:
    """(bytes per pixel, strip bytes per pixel, strip bytes at most)."""
    mode = network_mode(pixels, low_memory)
    network = _NETWORK_BYTES_PER_PIXEL[mode]
    strip, strip_max = _STRIP_BYTES[mode]
    if precision == "bf16":
        factor = _BF16_FACTOR.get(device_type, 1.0)
        network, strip, strip_max = (v * factor for v in (network, strip, strip_max))
    return network + _IMAGE_BYTES_PER_PIXEL * optimizer_tensors(optimizer, history), strip, \
        float(strip_max)


def estimate_memory(
    height: int, width: int, precision: str = "fp32", *, low_memory: bool = False,
    optimizer: str = "lbfgs", history: int = 100, device_type: str = "cpu",
) -> int:
    """Peak memory, in bytes, of a run producing an image of this shape on a device of
    ``device_type`` ("cpu", "cuda", "mps"; it matters only for bf16)."""
    pixels = height * width
    per_px, strip, strip_max = _parts(pixels, precision, low_memory, optimizer, history,
                                      device_type)
    return int(_FIXED_BYTES + per_px * pixels + min(strip * pixels, strip_max))


def size_that_fits(
    budget_bytes: int, aspect: float = 1.0, precision: str = "fp32", *, low_memory: bool = False,
    optimizer: str = "lbfgs", history: int = 100, device_type: str = "cpu",
) -> int:
    """The largest longest-side (multiple of 16) whose estimate fits in ``budget_bytes``."""
    aspect = max(aspect, 1.0 / aspect)  # longest / shortest
    # Not a bisection: the estimate drops where a run turns lean (strips.LEAN_PIXELS).
    for longest in range(LARGEST_SIZE, 16, -16):
        shortest = max(1, round(longest / aspect))
        if estimate_memory(shortest, longest, precision, low_memory=low_memory,
                           optimizer=optimizer, history=history,
                           device_type=device_type) <= budget_bytes:
            return longest
    return 16


def is_out_of_memory(exc: BaseException) -> bool:
    """A GPU's, Apple's or the CPU allocator's out-of-memory error."""
    if isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(
        sign in text
        for sign in (
            "out of memory",  # CUDA, MPS
            "invalid buffer size",  # MPS: a buffer larger than the GPU can hold
            "cublas_status_alloc_failed",  # cuBLAS could not allocate its workspace
            "cusolver_status_alloc_failed",
            "can't allocate memory",  # torch's CPU allocator
            "cannot allocate memory",  # errno 12
        )
    )


def mps_memory() -> int | None:
    """What Apple's GPU may use: Metal's recommended working set, within the Mac's RAM (the
    GPU shares it; past it the Mac swaps)."""
    ram = _system_ram()
    try:
        recommended = int(torch.mps.recommended_max_memory())
    except Exception:  # noqa: BLE001 - torch before 2.5 has no figure: the RAM is the bound
        return ram
    return min(recommended, ram) if ram else recommended


def _system_ram() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def available_memory(device: torch.device) -> int | None:
    """Bytes a run could still allocate on ``device``, where that can be known."""
    if device.type == "cuda":
        # What the card has free plus what PyTorch holds in its cache, which a run reuses.
        free, _total = torch.cuda.mem_get_info(device)
        return int(free) + int(torch.cuda.memory_reserved(device))
    if device.type == "mps":
        limit = mps_memory()
        if limit is None:
            return None
        with contextlib.suppress(Exception):
            limit -= int(torch.mps.driver_allocated_memory()) - int(
                torch.mps.current_allocated_memory())
        cpu = available_memory(torch.device("cpu"))
        return max(0, min(limit, cpu) if cpu is not None else limit)
    if device.type == "cpu":
        try:
            with open("/proc/meminfo") as f:
                for line in f:
                    if line.startswith("MemAvailable:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        try:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return None
    return None


def free_memory(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        with contextlib.suppress(Exception):
            torch.mps.empty_cache()
