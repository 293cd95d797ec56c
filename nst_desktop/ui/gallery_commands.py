"""Undoable gallery edits (``QUndoCommand`` subclasses for the panel's ``QUndoStack``).

Deleting is undoable because the store deletes in two phases: the command
only *trashes* styles (they vanish from the list, their files stay); the
panel purges them for good once no command on the stack can bring them back
(the stack dropped it past its undo limit, or the panel closed).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.errors import GalleryError

Reporter = Callable[[str], None]
Selector = Callable[[list[str]], None]


def _quoted_titles(store: GalleryStore, ids: list[str]) -> str:
    if len(ids) == 1 and ids[0] in store:
        return f"'{store.get(ids[0]).title}'"
    return f"{len(ids)} styles"


class TrashStylesCommand(QUndoCommand):
    """Delete styles (undo brings them back, selected)."""

    def __init__(self, store: GalleryStore, style_ids: list[str], *, report: Reporter,
                 select: Selector) -> None:
        super().__init__(f"Delete {_quoted_titles(store, style_ids)}")
        self.store = store
        self.style_ids = list(style_ids)
        self._report = report
        self._select = select
        self.applied = False

    def redo(self) -> None:
        try:
            self.store.trash(self.style_ids)
            self.applied = True
        except GalleryError as exc:
            self._report(str(exc))
            self.setObsolete(True)

    def undo(self) -> None:
        try:
            restored = self.store.restore(self.style_ids)
            self.applied = False
        except GalleryError as exc:
            self._report(str(exc))
            return
        self._select([r.id for r in restored])


class EditStyleCommand(QUndoCommand):
    """Change a style's details (title, artist, year, source, tags, favourite)."""

    def __init__(self, store: GalleryStore, style_id: str, changes: dict[str, object], *,
                 report: Reporter) -> None:
        record = store.get(style_id)
        self.before = {name: getattr(record, name) for name in changes}
        self.after = dict(changes)
        if set(changes) == {"favourite"}:
            verb = "Mark" if changes["favourite"] else "Unmark"
            text = f"{verb} '{record.title}' as favourite"
        elif set(changes) == {"title"}:
            text = f"Rename '{record.title}'"
        else:
            text = f"Edit details of '{record.title}'"
        super().__init__(text)
        self.store = store
        self.style_id = style_id
        self._report = report

    def redo(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)

    def _apply(self, values: dict[str, object]) -> None:
        if self.style_id not in self.store:
            return  # removed behind our back since; nothing to change
        try:
            self.store.update(self.style_id, **values)
        except GalleryError as exc:
            self._report(str(exc))
