"""How much memory and time a run will take, for the parameter panel."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from nst_desktop.engine import DeviceInfo, Params, estimate_run_memory, scaled_shape
from nst_desktop.engine.strips import network_mode
from nst_desktop.errors import NSTError
from nst_desktop.ui.settings import STARTUP_SECONDS

# Time of a step relative to a plain step on the same pixels, by how the network runs
# (strips.network_mode). Measured on the CPU (2 cores, channels-last, 2026-12-03, per
# full-size step): recomputing blocks on strips costs at small sizes and pays for itself
# in cache locality from about a megapixel on.
# Low memory (every block): 1.95 s against 1.35 s at 512 x 384, 7.9 s against 8.2 s at
# 1024 x 768, 21.4 s against 21.0 s at 1536 x 1152.
LOW_MEMORY_TIME_FACTOR = 1.45
LOW_MEMORY_LARGE_TIME_FACTOR = 1.0
LOW_MEMORY_LARGE_PIXELS = 1024 * 768
# Lean (the first two blocks, from LEAN_PIXELS on): 18.6 s against 21.0 s at 1536 x 1152.
LEAN_TIME_FACTOR = 0.88


@dataclass(frozen=True)
class Estimate:
    memory_bytes: int
    seconds: float
    device_type: str
    fits: bool  # False when the memory estimate exceeds what the device has
    text: str


def step_cost(params: Params, pixels: int) -> float:
    """Time of one step on ``pixels`` relative to a plain step on as many pixels."""
    mode = network_mode(pixels, params.low_memory)
    if mode == "lean":
        return LEAN_TIME_FACTOR
    if mode == "low":
        if pixels >= LOW_MEMORY_LARGE_PIXELS:
            return LOW_MEMORY_LARGE_TIME_FACTOR
        return LOW_MEMORY_TIME_FACTOR
    return 1.0


def pixel_iterations(params: Params, content_shape: tuple[int, int]) -> float:
    """The optimisation's work in plain steps' pixels: sum over the schedule of iterations x
    pixels x :func:`step_cost`."""
    h, w = content_shape
    return float(
        sum(
            n * a * b * step_cost(params, a * b)
            for (size, n) in params.schedule()
            for a, b in [scaled_shape(h, w, size)]
        )
    )


def format_bytes(n: float) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.1f} GB"
    return f"{max(1, round(n / 2**20))} MB"


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
    work = pixel_iterations(params, content_shape)
    seconds = STARTUP_SECONDS.get(device_type, 3.0) + rate(device_type) * work
    available = device.memory_bytes if device_type != "cpu" else system_memory()
    fits = available is None or memory <= available * 0.9
    h, w = scaled_shape(content_shape[0], content_shape[1], params.size)
    where = "the CPU" if device_type == "cpu" else device.name
    text = f"{w} × {h} px · ≈ {format_bytes(memory)} · about {format_duration(seconds)} on {where}"
    if not fits:
        text += f" — more memory than {where} has"
    return Estimate(memory, seconds, device_type, fits, text)
