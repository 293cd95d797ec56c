"""The application icon: every raster exists at its size, is a real picture with
transparent rounded corners, matches its generator, and loads as the window icon."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.core.paths import APP_ID

ROOT = Path(__file__).resolve().parents[2]
HICOLOR = ROOT / "resources" / "icons" / "hicolor"
SCALABLE = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"
SMALL_SVG = ROOT / "packaging" / "icons" / f"{APP_ID}-small.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def load_draw_icon():
    spec = importlib.util.spec_from_file_location(
        "draw_icon", ROOT / "packaging" / "icons" / "draw_icon.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("size", SIZES)
def test_png_is_a_square_rgba_picture_with_transparent_corners(size):
    path = HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)
        pixels = np.asarray(image.convert("RGBA"))
    alpha = pixels[..., 3]
    assert alpha[0, 0] == alpha[0, -1] == alpha[-1, 0] == alpha[-1, -1] == 0  # rounded frame
    assert alpha[size // 2, size // 2] == 255
    opaque = pixels[alpha == 255][:, :3]
    # A picture, not a flat placeholder: many colours, a real spread of brightness.
    assert len(np.unique(opaque, axis=0)) > min(40, size * 2)
    assert opaque.mean(axis=1).std() > 25


def test_svgs_are_what_the_generator_draws():
    """The SVGs are generated; a hand edit would be lost on the next run."""
    draw_icon = load_draw_icon()
    assert SCALABLE.read_text(encoding="utf-8") == draw_icon.icon_svg(small=False)
    assert SMALL_SVG.read_text(encoding="utf-8") == draw_icon.icon_svg(small=True)


@pytest.mark.parametrize("svg", [SCALABLE, SMALL_SVG], ids=["scalable", "small"])
def test_svg_uses_only_what_qt_renders(svg):
    """Qt's SVG renderer (KDE's icon loader) ignores clip-path, mask and filter."""
    root = ET.parse(svg).getroot()
    assert root.get("viewBox") == "0 0 512 512"
    text = svg.read_text(encoding="utf-8")
    for unsupported in ("clip-path", "clipPath", "<mask", "<filter", "<image"):
        assert unsupported not in text


def test_qt_renders_the_svg_like_the_committed_png(qapp):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SCALABLE))
    assert renderer.isValid()
    image = QImage(128, 128, QImage.Format.Format_RGBA8888)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    rendered = np.frombuffer(image.constBits(), np.uint8).reshape(128, 128, 4).astype(int)
    committed = np.asarray(Image.open(HICOLOR / "128x128" / "apps" / f"{APP_ID}.png")).astype(int)
    assert np.abs(rendered - committed).mean() < 3


def test_windows_ico_holds_every_size_up_to_256():
    with Image.open(ROOT / "packaging" / "windows" / "app.ico") as ico:
        assert ico.format == "ICO"
        assert {(s, s) for s in (16, 24, 32, 48, 64, 128, 256)} <= set(ico.info["sizes"])


def test_macos_icns_holds_retina_sizes():
    with Image.open(ROOT / "packaging" / "macos" / "app.icns") as icns:
        assert icns.format == "ICNS"
        sizes = set(icns.info["sizes"])
        assert {(512, 512, 2), (512, 512, 1), (256, 256, 1), (128, 128, 1)} <= sizes
        icns.load()  # the largest: 512 px @2x
        assert icns.size == (1024, 1024)
        assert np.asarray(icns)[512, 512, 3] == 255


def test_app_icon_offers_every_size(qapp):
    from PySide6.QtCore import QSize

    from nst_desktop.ui.icons import ICON_SIZES, app_icon

    icon = app_icon()
    assert not icon.isNull()
    assert sorted(s.width() for s in icon.availableSizes()) == sorted(ICON_SIZES)
    pixmap = icon.pixmap(QSize(48, 48))
    assert pixmap.width() == 48 and not pixmap.toImage().isNull()


def test_app_icon_without_resources_is_null_not_an_error(qapp, monkeypatch, tmp_path):
    import nst_desktop.ui.icons as icons

    monkeypatch.setattr(icons, "resource_dir", lambda: tmp_path / "missing")
    assert icons.app_icon().isNull()
