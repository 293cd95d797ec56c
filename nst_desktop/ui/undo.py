"""Undoable edits: one :class:`SetValueCommand` per change, one per slider drag.

A slider drag pushes a command on every move, all carrying the same
``drag_id``; :meth:`SetValueCommand.mergeWith` folds them into the first, so
Ctrl+Z undoes the whole drag at once while the value still updates live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

MERGE_ID = 0x4E5354  # any constant: merging is decided by key and drag_id


class SetValueCommand(QUndoCommand):
    """Set one value through ``apply``; undo sets the old one back."""

    def __init__(
        self,
        apply: Callable[[str, Any], None],
        key: str,
        old: Any,
        new: Any,
        text: str,
        drag_id: int | None = None,
    ) -> None:
        super().__init__(text)
        self._apply = apply
        self.key = key
        self.old = old
        self.new = new
        self.drag_id = drag_id

    def redo(self) -> None:
        self._apply(self.key, self.new)

    def undo(self) -> None:
        self._apply(self.key, self.old)

    def id(self) -> int:  # noqa: A003 (Qt API)
        return MERGE_ID if self.drag_id is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt API)
        if (
            isinstance(other, SetValueCommand)
            and other.key == self.key
            and other.drag_id is not None
            and other.drag_id == self.drag_id
        ):
            self.new = other.new
            if self.new == self.old:
                self.setObsolete(True)
            return True
        return False


class DragTracker:
    """Hands out one drag id per slider press, and None when no drag is going on."""

    def __init__(self) -> None:
        self._next = 1
        self.current: int | None = None

    def begin(self) -> None:
        self.current = self._next
        self._next += 1

    def end(self) -> None:
        self.current = None
