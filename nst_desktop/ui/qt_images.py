"""Conversions between numpy images and Qt images.

Every QImage made here owns its memory (``.copy()``), so it may cross threads
and outlive the numpy array it came from. QPixmaps are never made here: they
belong to the GUI thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage


def rgb_to_qimage(image: np.ndarray) -> QImage:
    """(H, W, 3) uint8, or float in 0..1, -> an RGB888 QImage that owns its pixels."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = (np.clip(arr, 0, 1) * 255 + 0.5).astype(np.uint8)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr)
    h, w, _ = arr.shape
    view = QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return view.copy()  # detach from the numpy buffer


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """A QImage -> (H, W, 3) uint8 numpy array (a copy)."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=stride * h)
    return buf.reshape(h, stride)[:, : 3 * w].reshape(h, w, 3).copy()


def qimage_to_png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs want bytes; Qt wants str
    buffer.close()
    return bytes(data.data())
