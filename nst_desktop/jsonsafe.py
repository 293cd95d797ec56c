"""Reading JSON that may be damaged or hostile: bounded in size, depth and numbers.

Every JSON the app reads from a file (settings inside an image, a history entry, a style
archive's manifest) comes through :func:`loads` or :func:`load_file`, which raise one
error type, :class:`JSONReadError`, whose message is one line fit to show a person.
It lives beside :mod:`nst_desktop.errors` so that the engine and the core can both use it.

What plain ``json.loads`` lets through, and this refuses: text of any size; nesting deep
enough to raise RecursionError; ``NaN``/``Infinity``; ``1e400`` (read as inf); integers
thousands of digits long (Python refuses past 4300 digits with a ValueError of its own).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from nst_desktop.errors import NSTError

MAX_DEPTH = 32  # what the app writes is at most 4 deep
MAX_INT_DIGITS = 40  # a seed is at most 19 digits; a time stamp 10

# A JSON string: quote, then anything but a quote or backslash, or an escape, up to the
# closing quote or the end: a match never fails, so an unclosed string is scanned once, not
# again from each quote inside it (which took 5 s for 16 KB of \" before).
_STRING = re.compile(r'"(?:[^"\\]|\\.?)*(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JSONReadError(NSTError, ValueError):
    """JSON that is unreadable, too large, too deep, or holds numbers out of range."""


def nesting_depth(text: str) -> int:
    """The deepest nesting of brackets outside strings (0 for a plain value)."""
    # Own scan, not a custom decoder: json's C scanner recurses and raises RecursionError
    # past ~1000 levels; this measured 0.7 s for a 12.6 MB manifest and never recurses.
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(itertools.accumulate(_STEP[c] for c in brackets))


def loads(text: str | bytes, *, what: str, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``text``, naming it ``what`` in messages ("The settings in x.png")."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > max_bytes:
            raise JSONReadError(f"{what} {_too_large(max_bytes)}.")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise JSONReadError(f"{what} cannot be read: it is not UTF-8 text.") from None
    elif len(text) > max_bytes:  # characters: at least as many bytes
        raise JSONReadError(f"{what} {_too_large(max_bytes)}.")
    if nesting_depth(text) > max_depth:
        raise JSONReadError(f"{what} cannot be read: it is nested more than {max_depth} deep.")
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                          parse_int=_bounded_int)
    except JSONReadError as exc:
        raise JSONReadError(f"{what} cannot be read: {exc}") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise JSONReadError(f"{what} is not valid JSON: {_one_line(exc)}.") from None


def load_file(path: str | os.PathLike[str], *, what: str, max_bytes: int,
              max_depth: int = MAX_DEPTH) -> Any:
    """Read and parse a JSON file, opening only a regular file (a FIFO never blocks it)."""
    raw = read_regular_file(path, what=what, max_bytes=max_bytes)
    return loads(raw, what=what, max_bytes=max_bytes, max_depth=max_depth)


def read_regular_file(path: str | os.PathLike[str], *, what: str, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of a regular file; JSONReadError for a FIFO, a device, a
    folder, a missing or unreadable file, or one larger than ``max_bytes``."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting.
        fd = os.open(Path(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise JSONReadError(f"{what} is missing.") from None
    except OSError as exc:
        raise JSONReadError(f"{what} cannot be opened: {exc.strerror or exc}.") from None
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise JSONReadError(f"{what} is not a regular file.")
            if info.st_size > max_bytes:
                raise JSONReadError(f"{what} {_too_large(max_bytes)}.")
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise JSONReadError(f"{what} cannot be read: {exc.strerror or exc}.") from None
    if len(data) > max_bytes:  # it grew after the stat
        raise JSONReadError(f"{what} {_too_large(max_bytes)}.")
    return data


def _too_large(max_bytes: int) -> str:
    return f"is too large (more than {max_bytes:,} bytes)"


def _refuse_constant(name: str) -> Any:
    raise JSONReadError(f"it holds {name}, which is not a number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONReadError(f"the number {text[:20]} is out of range.")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise JSONReadError(f"it holds a number of {len(text.lstrip('-')):,} digits.")
    return int(text)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]
