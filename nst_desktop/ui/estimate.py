"""How much memory and time a run will take, for the parameter panel."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from nst_desktop.engine import DeviceInfo, Params, estimate_run_memory, scaled_shape
from nst_desktop.engine import device as engine_device
from nst_desktop.engine.run import smallest_side, thinness
from nst_desktop.engine.strips import LEAN_PIXELS, network_mode
from nst_desktop.errors import NSTError
from nst_desktop.text import format_bytes, unbroken
from nst_desktop.ui.settings import STARTUP_SECONDS

# Time of a step relative to a plain step on the same pixels, by how the network runs
# (strips.network_mode). Measured on the CPU (2 cores, channels-last, per full-size step,
# tests/benchmarks/steps.py, 2026-12-03, the cases taking turns; fp32 and bf16 alike within
# the noise): recomputing blocks on strips costs below a megapixel and pays for itself in
# cache locality above it.
# Low memory (every block): 1.81 s against 1.30 s at 512 x 384 (bf16 1.08 against 0.72),
# 5.35 against 3.17 s at 768 x 576 (2.66 against 1.91), 10.2 against 7.86 s at 1024 x 768
# (7.22 against 4.37); 21.4 against 25.3 s at 1536 x 1152 (13.1 against 14.0). On a 2-core
# Intel Xeon (AVX-512, no BF16; fp32, 2026-12-03): 11.7 against 8.15 s at 1024 x 768, 28.4
# against 24.5 s at 1536 x 1152. The large factor lies between the two CPUs' (EPYC 0.85 fp32,
# 0.94 bf16; Xeon 1.16): 11 % under the Xeon's, 10-21 % over the EPYC's.
LOW_MEMORY_TIME_FACTOR = 1.45
LOW_MEMORY_LARGE_TIME_FACTOR = 1.03
LOW_MEMORY_LARGE_PIXELS = LEAN_PIXELS
# Lean (the first two blocks, from LEAN_PIXELS on): 18.3 against 25.3 s at 1536 x 1152 (bf16
# 11.0 against 14.0 s; an earlier measurement, not taking turns, 18.6 against 21.0 s), on the
# Xeon 23.0 against 24.5 s: EPYC 0.72 fp32, 0.79 bf16, Xeon 0.94, so 0.84 (11 % under the
# Xeon's, 6-17 % over the EPYC's). Below a
# megapixel lean would cost on both: 8.89 against 7.86 s at 1024 x 768 (Xeon 9.27 against
# 8.15 s), so smaller runs stay plain.
LEAN_TIME_FACTOR = 0.84

# Time per pixel of a plain CPU step relative to one at 512 x 384, where the rates of
# settings.CPU_RATES come from: above that the network's activations outgrow the caches and
# a pixel costs more. Measured per full-size fp32 step, channels-last, 2 cores
# (tests/benchmarks/steps.py --modes plain): 1024 x 768 and 1536 x 1152 px cost 1.51x and
# 2.16x per pixel on an EPYC with AVX-512 BF16 (2026-12-03; 7.86 and 25.3 s against 1.30 s;
# bf16 alike, 1.52x and 2.16x), 1.02x and 1.49x on a Xeon with AVX-512 (2026-12-03; 7.46 and
# 24.5 s, the latter from another run that day, against 1.83 s), 1.48x and 1.37x on an EPYC
# with AVX2 (2026-12-04; 13.6 and 28.3 s against 2.30 s); 768 x 576 1.08x and 1.05x (EPYC
# with BF16, AVX2). Kept: about their geometric means, interpolated in the logarithm of the
# pixels, not grown past the largest measured. From the 512 x 384 step a flat rate foretold
# the 1024 x 768 one 34, 2 and 32 % short on those three CPUs and the 1536 x 1152 one 54, 33
# and 27 % short; these factors foretell them 14 % short, 28 % long, 12 % short and 26 %
# short, 8 % and 17 % long.
CPU_SIZE_FACTORS = ((512 * 384, 1.0), (768 * 576, 1.07), (1024 * 768, 1.3), (1536 * 1152, 1.6))


@dataclass(frozen=True)
class Estimate:
    memory_bytes: int
    seconds: float
    device_type: str
    fits: bool  # False when the memory estimate exceeds what the device has
    text: str
    too_thin: bool = False  # the photo at this size is too thin for the deepest layer
    slow_precision: bool = False  # BF16 on a CPU without fast bfloat16 (slow_bf16)

    @property
    def warns(self) -> bool:
        return not self.fits or self.too_thin or self.slow_precision


# Time of a step in a precision relative to one in the device's reference precision (what
# its rate is kept in: fp32 on the CPU and on Apple's GPU, TF32 on CUDA).
# CPU, per full-size plain step (tests/benchmarks/steps.py, 2 cores, 2026-12-03): with
# native bfloat16 (AVX-512 BF16) 0.72 s against 1.30 s at 512 x 384, 1.91 against 3.17 s at
# 768 x 576, 4.37 against 7.86 s at 1024 x 768 (a whole 512 px run 0.59x); without it (the
# same CPU with oneDNN held to AVX-512 without BF16, ONEDNN_MAX_CPU_ISA=AVX512_CORE) bfloat16
# is emulated: 3.08 s against 1.68 s at 512 x 384. Where oneDNN has no bfloat16 at all (an
# AVX2 EPYC, 2026-12-04) PyTorch convolves bfloat16 with its reference im2col kernels:
# 14.0 s against 0.343 s at 192 x 144, 27.3 against 0.626 s at 256 x 192, 101.6 against
# 1.98 s at 512 x 384 (41x, 44x, 51x; the last is where a default run spends its time).
CPU_BF16_TIME_FACTOR = {"native": 0.58, "emulated": 1.8, "reference": 50.0}  # cpu_bf16_kind()
# CUDA: VGG-19 forward and backward at 512 px on an H100 (issue 5): 14.3 ms fp32, 8.1 ms
# TF32, 7.1 ms bf16.
CUDA_TIME_FACTOR = {"fp32": 1.77, "tf32": 1.0, "bf16": 0.88}


def bf16_note() -> str:
    """What BF16 costs on this CPU, for the precision menu's explanation."""
    kind = engine_device.cpu_bf16_kind()
    factor = CPU_BF16_TIME_FACTOR[kind]
    if kind == "native":
        return "on a CPU without native bfloat16, BF16 is emulated and slower."
    if kind == "emulated":
        return f"this CPU emulates bfloat16, though: BF16 takes about {factor:g}x as long as FP32."
    return (f"this CPU has no fast bfloat16 at all, though: BF16 takes about {factor:g}x as long\n"
            "as FP32 here (PyTorch's reference convolution).")


def precision_cost(params: Params, device_type: str) -> float:
    """Time of a step in the precision ``params`` resolves to on ``device_type``, relative to
    one in the device's reference precision."""
    precision = engine_device.resolve_precision(params.precision, torch.device(device_type))
    if device_type == "cuda":
        return CUDA_TIME_FACTOR.get(precision, 1.0)
    if device_type == "cpu" and precision == "bf16":
        return CPU_BF16_TIME_FACTOR[engine_device.cpu_bf16_kind()]
    return 1.0


def cpu_size_factor(pixels: int) -> float:
    """A plain CPU step's time per pixel on ``pixels`` relative to one at 512 x 384."""
    return float(np.interp(math.log(max(pixels, 1)),
                           [math.log(px) for px, _ in CPU_SIZE_FACTORS],
                           [factor for _, factor in CPU_SIZE_FACTORS]))


def step_cost(params: Params, pixels: int, device_type: str = "cpu") -> float:
    """Time of one step on ``pixels`` relative to a plain step in the device's reference
    precision on as many pixels at the size its rate is kept for."""
    mode = network_mode(pixels, params.low_memory)
    cost = precision_cost(params, device_type)
    if device_type == "cpu":
        cost *= cpu_size_factor(pixels)
    if mode == "lean":
        return cost * LEAN_TIME_FACTOR
    if mode == "low":
        if pixels >= LOW_MEMORY_LARGE_PIXELS:
            return cost * LOW_MEMORY_LARGE_TIME_FACTOR
        return cost * LOW_MEMORY_TIME_FACTOR
    return cost


# The largest fixed cost of a step kept, in pixels' worth: steps that take as long at every
# size (a GPU on small images) give an unbounded one, and past this the guess is flat anyway.
MAX_FIXED_PIXELS = 1e8


def fixed_pixels(step_times: dict[int, float], params: Params,
                 device_type: str = "cpu") -> float | None:
    """A step's fixed cost, in the pixels whose cost would take as long, from the step times
    of a run's scales (Result.step_times: seconds per step by pixels), net of the factors
    :func:`step_cost` knows. From the smallest and the largest scale timed, the ones the time
    left of the next run is foretold between while only its first scale has been timed.

    Measured on 2 cores of an EPYC with AVX-512 BF16 (default 512 px runs, 2026-12-04): 570
    and 1,710 pixels' worth in fp32, 1,390 and 3,660 in bf16 (of 12,288 at the first scale),
    as much from one run to the next as between them. None without two scales timed.
    """
    if len(step_times) < 2:
        return None
    small, large = min(step_times), max(step_times)
    if small <= 0:
        return None
    t_small = step_times[small] / step_cost(params, small, device_type)
    t_large = step_times[large] / step_cost(params, large, device_type)
    if not (t_small > 0 and t_large > 0 and math.isfinite(t_small + t_large)):
        return None
    ratio = t_large / t_small  # = (fixed + large) / (fixed + small)
    if ratio >= large / small:
        return 0.0
    if ratio <= 1.0:
        return MAX_FIXED_PIXELS
    return min((large - ratio * small) / (ratio - 1.0), MAX_FIXED_PIXELS)


def step_cost_guess(params: Params, device_type: str,
                    fixed: float | None) -> Callable[[int], float] | None:
    """A step's relative cost by its pixels (TimeLeft's cost), with ``fixed`` pixels' worth of
    fixed cost as :func:`fixed_pixels` measured; None where nothing has been measured."""
    if fixed is None:
        return None
    return lambda pixels: step_cost(params, pixels, device_type) * (fixed + pixels)


def pixel_iterations(params: Params, content_shape: tuple[int, int],
                     device_type: str = "cpu") -> float:
    """The optimisation's work in plain steps' pixels: sum over the schedule of iterations x
    pixels x :func:`step_cost`."""
    h, w = content_shape
    return float(
        sum(
            n * a * b * step_cost(params, a * b, device_type)
            for (size, n) in params.schedule()
            for a, b in [scaled_shape(h, w, size)]
        )
    )


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s" if minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def system_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def device_memory(device: DeviceInfo, device_type: str) -> int | None:
    """What a run on ``device`` can have: a CUDA card's free memory (the desktop and the
    CUDA context take 0.3 to 1.5 GB of its total), Apple's GPU's working set within the RAM
    it shares (never unbounded: past it the Mac swaps), the CPU's RAM."""
    if device_type == "cuda":
        try:
            return engine_device.available_memory(torch.device(device.key))
        except Exception:  # noqa: BLE001 - a card that cannot be asked: its total
            return device.memory_bytes
    if device_type == "mps":
        return device.memory_bytes or system_memory()
    return system_memory()


def device_for(params: Params, devices: list[DeviceInfo]) -> DeviceInfo:
    """The device a run with these params would use ('auto' = the first listed)."""
    wanted = params.device
    if wanted == "auto":
        return devices[0]
    for d in devices:
        if d.key == wanted or d.key.split(":")[0] == wanted:
            return d
    return devices[-1]


def estimate(
    params: Params,
    content_shape: tuple[int, int] | None,
    devices: list[DeviceInfo],
    rate: Callable[[str], float],
) -> Estimate | None:
    """Memory and time for a run on ``content_shape`` (None without a content image)."""
    if content_shape is None or not devices:
        return None
    device = device_for(params, devices)
    device_type = device.key.split(":")[0]
    try:
        memory = estimate_run_memory(params, content_shape)
    except NSTError:
        return None
    work = pixel_iterations(params, content_shape, device_type)
    seconds = STARTUP_SECONDS.get(device_type, 3.0) + rate(device_type) * work
    available = device_memory(device, device_type)
    fits = available is None or memory <= available * 0.9
    h, w = scaled_shape(content_shape[0], content_shape[1], params.size)
    where = "the CPU" if device_type == "cpu" else device.name
    text = (f"{unbroken(f'{w} × {h} px')} · {unbroken(f'≈ {format_bytes(memory)}')}"
            f" · about {unbroken(format_duration(seconds))} on {where}")
    thin = thinness(params, *content_shape)
    if thin is not None:
        layer, smallest = smallest_side(params)
        advice = (f"choose {unbroken(f'{thin.suggested_size} px')} or more"
                  if thin.suggested_size else "crop it, or leave out the deepest style layers")
        text = (f"{unbroken(f'{w} × {h} px')}: too thin for layer {layer}, which needs "
                f"{smallest} px on the shorter side; {advice}")
        return Estimate(memory, seconds, device_type, fits, text, too_thin=True)
    slow = device_type == "cpu" and engine_device.slow_bf16(params.precision, torch.device("cpu"))
    if slow:
        fp32 = STARTUP_SECONDS.get(device_type, 3.0) + rate(device_type) * pixel_iterations(
            params.replace(precision="fp32"), content_shape, device_type)
        text += (f" — this CPU has no fast bfloat16: about "
                 f"{unbroken(format_duration(fp32))} in FP32")
    if not fits:
        text += f" — more memory than {where} has"
        if not params.low_memory and available is not None:
            low = estimate_run_memory(params.replace(low_memory=True), content_shape)
            if low <= available * 0.9:
                text += f"; with Low memory (Advanced) {unbroken(f'≈ {format_bytes(low)}')}"
    return Estimate(memory, seconds, device_type, fits, text, slow_precision=slow)
