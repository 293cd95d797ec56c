"""Run a permission check without root's power to read and write everything.

Root ignores file modes because of two capabilities (CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH). When the tests run as root (as in CI), the check runs in a child
process that first drops every capability: still uid 0 and still the owner of pytest's
files, but now held to their modes like any user. Otherwise it runs here.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

_DROP_CAPABILITIES = """
import ctypes

class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

class _Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]

_libc = ctypes.CDLL(None, use_errno=True)
_header = _Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
_data = (_Data * 2)()
if _libc.capset(ctypes.byref(_header), _data) != 0:
    raise OSError(ctypes.get_errno(), "capset failed")
with open("/proc/self/status") as _status:
    assert "CapEff:\\t0000000000000000" in _status.read(), "capabilities still held"
"""


def run_check(code: str) -> str:
    """Run ``code`` (Python, nst_desktop importable) without root's file-access powers;
    returns what it printed. Raises AssertionError with its output if it failed."""
    code = textwrap.dedent(code)
    if not RUNNING_AS_ROOT:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<check>", "exec"), {"__name__": "__check__"})
        return out.getvalue()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", _DROP_CAPABILITIES + code],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout
