"""engine/ and core/ must run where Qt is not installed: importing them loads no PySide6."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_engine_and_core_import_no_qt():
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import nst_desktop.core, nst_desktop.engine
        names = []
        for package in (nst_desktop.core, nst_desktop.engine):
            for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                importlib.import_module(module.name)
                names.append(module.name)
        assert "nst_desktop.core.imageio" in names, names
        qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
        print("QT:" + ",".join(qt))
        print("MODULES:" + str(len(names)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "QT:\n" in result.stdout, result.stdout
    assert int(result.stdout.split("MODULES:")[1]) >= 8
