"""Render the icon's SVG sources to every raster the platforms need.

    python packaging/icons/draw_icon.py      # only after changing the drawing
    QT_QPA_PLATFORM=offscreen python packaging/icons/render_icons.py

Writes, from ``draw_icon.py``'s two SVGs (the bold small variant for 16-32 px):

- ``resources/icons/hicolor/NxN/apps/<APP_ID>.png`` for N in 16..512 (Linux
  icon theme layout; also the window icon, see ``nst_desktop/ui/icons.py``);
- ``packaging/windows/app.ico`` (16-256 px);
- ``packaging/macos/app.icns`` (16-1024 px).

Rendering uses Qt's own SVG renderer, so it needs nothing beyond the project's
dependencies, and it is the renderer KDE uses for the scalable icon too: what
you see in the PNGs is what Plasma shows.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from nst_desktop.core.paths import APP_ID  # noqa: E402

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SMALL_MAX = 32  # at and below this size the simplified drawing reads better
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)

HICOLOR = ROOT / "resources" / "icons" / "hicolor"
SCALABLE = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"
SMALL_SOURCE = ROOT / "packaging" / "icons" / f"{APP_ID}-small.svg"
ICO = ROOT / "packaging" / "windows" / "app.ico"
ICNS = ROOT / "packaging" / "macos" / "app.icns"


def png_path(size: int) -> Path:
    return HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def render(svg: Path, size: int):  # -> PIL.Image.Image
    """Render ``svg`` at ``size`` px square with Qt; returns a Pillow RGBA image."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG for Qt")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    import io

    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def source_for(size: int) -> Path:
    return SMALL_SOURCE if size <= SMALL_MAX else SCALABLE


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - Qt needs one
    images = {}
    for size in sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES}):
        images[size] = render(source_for(size), size)
    for size in PNG_SIZES:
        path = png_path(size)
        path.parent.mkdir(parents=True, exist_ok=True)
        images[size].save(path, optimize=True)
    ICO.parent.mkdir(parents=True, exist_ok=True)
    largest = images[ICO_SIZES[-1]]
    largest.save(
        ICO,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES[:-1]],
    )
    ICNS.parent.mkdir(parents=True, exist_ok=True)
    images[ICNS_SIZES[-1]].save(
        ICNS, format="ICNS", append_images=[images[s] for s in ICNS_SIZES[:-1]]
    )
    print(f"wrote {len(PNG_SIZES)} PNGs under {HICOLOR.relative_to(ROOT)}, {ICO.name}, {ICNS.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
