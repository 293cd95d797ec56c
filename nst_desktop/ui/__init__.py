"""The window: the only package that imports PySide6."""

# Must run before any PySide6 call: see pyside_compat for the bug it guards against.
from nst_desktop.ui import pyside_compat as _pyside_compat  # noqa: F401
