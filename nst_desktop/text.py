"""Small helpers for text the person reads, shared by the engine, core and the window."""

from __future__ import annotations

NBSP = "\u00a0"


def unbroken(text: str) -> str:
    """``text`` with non-breaking spaces, so that a wrapped label keeps it on one line: never
    "about 1" at the end of a line and "h 59 min" on the next, or "96 ×" and "72"."""
    return text.replace(" ", NBSP)


def format_bytes(n: float) -> str:
    """'19.8 GB' from a gigabyte (GiB) up, '940 MB' below."""
    if n >= 2**30:
        return f"{n / 2**30:.1f} GB"
    return f"{max(1, round(n / 2**20))} MB"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 style', '3 styles' (never '1 style(s)'); ``plural`` where adding 's' is wrong."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
