"""What the machine itself does to a measurement: on a virtual machine the hypervisor can
give the CPUs to other machines ("steal" time), which stretches wall-clock figures with
no fault of the code measured. Used by the benchmarks and the gallery's smoothness test."""

from __future__ import annotations


def cpu_times() -> list[int] | None:
    """The machine's CPU time by kind since boot (Linux's /proc/stat), or None elsewhere."""
    try:
        with open("/proc/stat") as f:
            return [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None


def steal_share(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of the CPUs' time the hypervisor gave to other machines between two
    :func:`cpu_times` (the 8th column), or None where it cannot be known."""
    if before is None or after is None or len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after, strict=False)]
    return spent[7] / max(1, sum(spent))
