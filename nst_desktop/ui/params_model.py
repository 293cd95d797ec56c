"""The parameters being edited: a :class:`Params` plus the window's own choices.

Every edit from the panel goes through :meth:`ParamsModel.edit`, which pushes
an undo command; undo and redo call :meth:`ParamsModel.set_value`, which
emits ``changed`` so the panel shows the value. Content and style paths are not
kept here: they belong to the images on screen and are filled in at run time.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from nst_desktop.engine import Params
from nst_desktop.ui.undo import DragTracker, SetValueCommand

PARAM_KEYS = frozenset(f.name for f in dataclasses.fields(Params)) - {"extra", "version"}
# Choices of the window that are not part of a run's parameters.
EXTRA_DEFAULTS: dict[str, Any] = {"seed_locked": False, "continue_from_result": False}

LABELS = {
    "style_weight": "strength",
    "size": "output size",
    "preserve_color": "colour preservation",
    "optimizer": "optimiser",
    "init": "initialisation",
    "tv_weight": "smoothness (TV weight)",
    "seed_locked": "seed lock",
    "continue_from_result": "continue from result",
}


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))


class ParamsModel(QObject):
    """Current parameters, with undo.

    Signals:
        changed(str): the value of this key changed (also on undo/redo).
        reset(): everything may have changed (parameters restored from a file).
    """

    changed = Signal(str)
    reset = Signal()

    def __init__(
        self,
        params: Params,
        extras: dict[str, Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._params = params
        self._extras = {**EXTRA_DEFAULTS, **(extras or {})}
        self.undo_stack = QUndoStack(self)
        self.drag = DragTracker()

    @property
    def params(self) -> Params:
        return self._params

    def extras(self) -> dict[str, Any]:
        return dict(self._extras)

    def value(self, key: str) -> Any:
        if key in PARAM_KEYS:
            return getattr(self._params, key)
        return self._extras[key]

    def set_value(self, key: str, value: Any) -> None:
        """Set without an undo step (undo/redo and automatic changes use this)."""
        if self.value(key) == value:
            return
        if key in PARAM_KEYS:
            self._params = self._params.replace(**{key: value})
        elif key in self._extras:
            self._extras[key] = value
        else:
            raise KeyError(key)
        self.changed.emit(key)

    def edit(self, key: str, value: Any) -> None:
        """A person changed ``key``: one undo step (one per slider drag)."""
        old = self.value(key)
        if old == value:
            return
        text = f"Change {label(key)}"
        self.undo_stack.push(
            SetValueCommand(self.set_value, key, old, value, text, self.drag.current)
        )

    def edit_many(self, values: dict[str, Any], text: str) -> None:
        """Several keys at once (restoring a saved result's parameters): one undo step."""
        changes = {k: v for k, v in values.items() if self.value(k) != v}
        if not changes:
            return
        self.undo_stack.beginMacro(text)
        for key, value in changes.items():
            self.undo_stack.push(SetValueCommand(self.set_value, key, self.value(key), value, text))
        self.undo_stack.endMacro()
