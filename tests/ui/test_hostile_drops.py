"""A saved result whose settings are hostile, dropped on the window: one clear message, and
the panel's settings stay as they were."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, PngImagePlugin
from PySide6.QtCore import QMimeData, QUrl

from nst_desktop.core.imagemeta import PARAMS_KEY

from .test_image_drops import drop


def _png_with_settings(path, text: str):
    info = PngImagePlugin.PngInfo()
    info.add_itxt(PARAMS_KEY, text)
    Image.fromarray(np.full((16, 16, 3), 80, np.uint8)).save(path, pnginfo=info)
    return path


def _mime(path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


HOSTILE = {
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "size Infinity": '{"size": Infinity}',
    "5000 digits": '{"seed": ' + "3" * 5000 + "}",
    "string layer weights": '{"style_layer_weights": ["a", "b", "c", "d", "e"]}',
    "300 styles": '{"styles": [' + ", ".join(['{"path": "/x.png"}'] * 300) + "]}",
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_result_with_hostile_settings_dropped_on_the_result_pane_changes_nothing(
        window, tmp_path, case):
    dropped = _png_with_settings(tmp_path / "hostile.png", HOSTILE[case])
    before = window.model.params
    drop(window.result_pane, _mime(dropped))
    assert window.model.params == before
    assert window.content is None
    text = window.status_label.text()
    assert "settings stored in “hostile.png” were ignored" in text
    assert "Nothing was changed" in text and "\n" not in text


def test_a_photo_with_hostile_settings_is_used_and_the_settings_said_ignored(
        window, tmp_path):
    dropped = _png_with_settings(tmp_path / "photo.png", HOSTILE["deep nesting"])
    before = window.model.params
    drop(window.content_pane, _mime(dropped))
    assert window.content is not None and window.content.path == str(dropped)
    assert window.model.params == before
    assert "nested more than" in window.status_label.text()
