"""The application icon as Qt sees it (window, task bar, dock, dialogs)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from nst_desktop.core.paths import APP_ID, resource_dir

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """Every shipped size of the app icon, so Qt never scales a large one down.

    Built from the PNGs rather than the SVG so that it works without Qt's SVG
    icon-engine plugin. Missing files leave a null icon: the window still opens.
    """
    icon = QIcon()
    hicolor = resource_dir() / "icons" / "hicolor"
    for size in ICON_SIZES:
        path = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon
