"""PySide6 6.12.0 leaks a reference to None/True/False on every void call or emit, which
aborts Python 3.11 after a few thousand calls; pyproject excludes it. This proves the
installed PySide6 is not affected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CODE = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QObject, QRect, Signal

class Relay(QObject):
    ping = Signal()

rect, relay = QRect(), Relay()
for _ in range(200_000):  # far more than the singletons' natural reference counts
    rect.setWidth(3)  # a void method: returns None
    relay.ping.emit()  # returns a bool
print("survived")
"""


def test_many_void_calls_do_not_exhaust_none():
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", CODE], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("survived")
