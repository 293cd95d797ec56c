"""Building real drag-and-drop events across PySide6 versions.

PySide6 6.11 takes a QPoint for QDragEnterEvent and a QPointF for QDropEvent; 6.12 takes
QPointF for both. Tests build them here so they run on either.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent


def drag_enter_event(pos, actions, mime, buttons, modifiers) -> QDragEnterEvent:
    point = QPoint(int(pos.x()), int(pos.y()))
    try:
        return QDragEnterEvent(point, actions, mime, buttons, modifiers)
    except TypeError:
        return QDragEnterEvent(QPointF(point), actions, mime, buttons, modifiers)


def drag_move_event(pos, actions, mime, buttons, modifiers) -> QDragMoveEvent:
    point = QPoint(int(pos.x()), int(pos.y()))
    try:
        return QDragMoveEvent(point, actions, mime, buttons, modifiers)
    except TypeError:
        return QDragMoveEvent(QPointF(point), actions, mime, buttons, modifiers)


def drop_event(pos, actions, mime, buttons, modifiers) -> QDropEvent:
    return QDropEvent(QPointF(pos), actions, mime, buttons, modifiers)


def drag_and_drop(widget, mime, pos=None, modifiers=None) -> QDropEvent:
    """Send a drag-enter then a drop of ``mime`` to ``widget``, as Qt does for a real drag
    (a drop only reaches the widget that accepted the drag); fails if the drag is refused."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    if pos is None:
        pos = QPoint(widget.width() // 2, widget.height() // 2)
    if modifiers is None:
        modifiers = Qt.KeyboardModifier.NoModifier
    buttons, action = Qt.MouseButton.LeftButton, Qt.DropAction.CopyAction
    enter = drag_enter_event(pos, action, mime, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), f"{widget.objectName() or widget} refused the drag"
    event = drop_event(pos, action, mime, buttons, modifiers)
    QApplication.sendEvent(widget, event)
    return event
