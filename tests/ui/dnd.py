"""Building real drag-and-drop events across PySide6 versions.

PySide6 6.11 takes a QPoint for QDragEnterEvent and a QPointF for QDropEvent; 6.12 takes
QPointF for both. Tests build them here so they run on either.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QDragEnterEvent, QDropEvent


def drag_enter_event(pos, actions, mime, buttons, modifiers) -> QDragEnterEvent:
    point = QPoint(int(pos.x()), int(pos.y()))
    try:
        return QDragEnterEvent(point, actions, mime, buttons, modifiers)
    except TypeError:
        return QDragEnterEvent(QPointF(point), actions, mime, buttons, modifiers)


def drop_event(pos, actions, mime, buttons, modifiers) -> QDropEvent:
    return QDropEvent(QPointF(pos), actions, mime, buttons, modifiers)
