"""Small helpers for text the person reads."""

from __future__ import annotations

NBSP = "\u00a0"


def unbroken(text: str) -> str:
    """``text`` with non-breaking spaces, so that a wrapped label keeps it on one line: never
    "about 1" at the end of a line and "h 59 min" on the next, or "96 ×" and "72"."""
    return text.replace(" ", NBSP)
