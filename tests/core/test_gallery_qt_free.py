"""The gallery and history services never import Qt (they run headless too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = [
    "nst_desktop.core.atomic_files",
    "nst_desktop.core.gallery_archive",
    "nst_desktop.core.gallery_db",
    "nst_desktop.core.gallery_folder",
    "nst_desktop.core.gallery_records",
    "nst_desktop.core.gallery_store",
    "nst_desktop.core.history",
    "nst_desktop.core.thumbnails",
    "nst_desktop.core.trash",
]


def test_gallery_and_history_modules_do_not_import_qt():
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(qt)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
