"""A guard against a PySide6 6.12 reference-count bug on CPython < 3.12.

PySide6 6.12 returns the interpreter's singletons without taking a reference
to them: every call that returns ``None`` (any ``void`` method such as
``QWidget.setEnabled``, or a null pointer such as ``QObject.parent()``), and
``Signal.emit`` with its ``True``/``False``. From CPython 3.12 on these
objects are immortal and that does no harm; on 3.11 each such call drops a
reference until the interpreter aborts with "Fatal Python error:
none_dealloc" (or "bool_dealloc") -- after a few thousand calls in a fresh
process, after minutes of painting in a real session (measured: one repaint
of the gallery grid costs about 400 references to ``None``).

The guard gives those singletons reference counts no session can exhaust. It
changes nothing else and is a no-op on 3.12+. Remove it once the project
requires Python >= 3.12 or a PySide6 without the bug.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40  # a trillion leaked references: never reached


def _needed() -> bool:
    return sys.implementation.name == "cpython" and sys.version_info < (3, 12)


def protect_none() -> bool:
    """Apply the guard once; return True if it was needed."""
    if not _needed():
        return False
    if getattr(sys, "_nst_desktop_none_guard", False):
        return True
    for singleton in (None, True, False, NotImplemented, Ellipsis):
        # ob_refcnt is the first field of every PyObject.
        ctypes.c_ssize_t.from_address(id(singleton)).value += _HEADROOM
    sys._nst_desktop_none_guard = True  # type: ignore[attr-defined]
    return True


protect_none()
