"""How much memory and time a run will take, for the parameter panel."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from nst_desktop.engine import DeviceInfo, Params, estimate_run_memory, scaled_shape
from nst_desktop.engine.strips import network_mode
from nst_desktop.errors import NSTError
from nst_desktop.ui.settings import STARTUP_SECONDS

# A low-memory step recomputes the network's forward pass: measured 4.15 s against 3.3 s per
# step at 512 px on the CPU (tests/benchmarks/bench.py --param low_memory=true).
LOW_MEMORY_TIME_FACTOR = 1.25
# A lean step (strips.network_mode) recomputes the first two blocks: measured
# 13.8-16.1 s against 12.9-14.7 s per step at 1024 x 768 on the CPU, two runs each.
LEAN_TIME_FACTOR = 1.08


@dataclass(frozen=True)
class Estimate:
    memory_bytes: int
    seconds: float
    device_type: str
    fits: bool  # False when the memory estimate exceeds what the device has
    text: str


def step_cost(params: Params) -> float:
    """Time of one step relative to a plain step on the same pixels."""
    return LOW_MEMORY_TIME_FACTOR if params.low_memory else 1.0


def pixel_iterations(params: Params, content_shape: tuple[int, int]) -> float:
    """The optimisation's work: sum over the schedule of iterations x pixels (a lean
    scale's pixels costing LEAN_TIME_FACTOR times a plain one's)."""
    h, w = content_shape

    def cost(pixels: int) -> float:
        lean = network_mode(pixels, params.low_memory) == "lean"
        return LEAN_TIME_FACTOR if lean else 1.0

    return float(
        sum(
            n * a * b * cost(a * b)
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
    work = pixel_iterations(params, content_shape) * step_cost(params)
    seconds = STARTUP_SECONDS.get(device_type, 3.0) + rate(device_type) * work
    available = device.memory_bytes if device_type != "cpu" else system_memory()
    fits = available is None or memory <= available * 0.9
    h, w = scaled_shape(content_shape[0], content_shape[1], params.size)
    where = "the CPU" if device_type == "cpu" else device.name
    text = f"{w} × {h} px · ≈ {format_bytes(memory)} · about {format_duration(seconds)} on {where}"
    if not fits:
        text += f" — more memory than {where} has"
    return Estimate(memory, seconds, device_type, fits, text)
