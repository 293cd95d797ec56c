"""The run history as a Qt list model (newest first), with thumbnails loaded off-thread."""

from __future__ import annotations

import enum
import time

from PySide6.QtCore import QAbstractListModel, QByteArray, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from nst_desktop.core.history import HistoryEntry, HistoryStore
from nst_desktop.ui.thumbnail_loader import ThumbnailLoader

_USER = int(Qt.ItemDataRole.UserRole)
AnyIndex = QModelIndex | QPersistentModelIndex


class HistoryRole(enum.IntEnum):
    """Data roles of :class:`HistoryModel` beyond Qt's own."""

    Id = _USER + 1
    ResultPath = _USER + 2  # str
    Entry = _USER + 3  # the HistoryEntry itself
    Created = _USER + 4  # float, seconds since the epoch
    Elapsed = _USER + 5  # float, seconds
    Device = _USER + 6  # str
    ThumbnailReady = _USER + 7  # bool


class HistoryModel(QAbstractListModel):
    """One row per recorded run, newest first."""

    def __init__(self, store: HistoryStore, *, icon_size: int = 96, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.icon_size = icon_size
        self._entries: list[HistoryEntry] = store.entries()
        self._pixmaps: dict[str, QPixmap] = {}
        self._broken: dict[str, str] = {}
        self._loader = ThumbnailLoader(self)
        self._loader.loaded.connect(self.on_thumbnail_loaded)
        self._loader.failed.connect(self.on_thumbnail_failed)
        self._placeholder = QPixmap(icon_size, icon_size)
        self._placeholder.fill(QColor(128, 128, 128, 60))
        self._broken_icon = QPixmap(icon_size, icon_size)
        self._broken_icon.fill(QColor(200, 60, 60, 90))
        painter = QPainter(self._broken_icon)
        painter.drawText(self._broken_icon.rect(), Qt.AlignmentFlag.AlignCenter, "?")
        painter.end()

    @property
    def loader(self) -> ThumbnailLoader:
        return self._loader

    def shutdown(self) -> None:
        self._loader.shutdown()

    # -- content ---------------------------------------------------------------------------
    def entry_at(self, row: int) -> HistoryEntry:
        return self._entries[row]

    def row_of(self, entry_id: str) -> int:
        return next((r for r, e in enumerate(self._entries) if e.id == entry_id), -1)

    def refresh(self) -> None:
        """Read the history from disk again."""
        self.beginResetModel()
        self._entries = self.store.entries()
        known = {e.id for e in self._entries}
        self._pixmaps = {k: v for k, v in self._pixmaps.items() if k in known}
        self.endResetModel()

    def add_entry(self, entry: HistoryEntry) -> None:
        """A run was just recorded: it goes on top."""
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._entries.insert(0, entry)
        self.endInsertRows()

    def remove_ids(self, entry_ids: list[str]) -> None:
        for entry_id in entry_ids:
            row = self.row_of(entry_id)
            if row >= 0:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._entries[row]
                self.endRemoveRows()
                self._pixmaps.pop(entry_id, None)

    # -- QAbstractListModel ---------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        role = int(role)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{entry.title}\n{entry.summary}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(entry) + (f"\n{self._broken[entry.id]}"
                                      if entry.id in self._broken else "")
        values = {
            HistoryRole.Id: lambda: entry.id,
            HistoryRole.ResultPath: lambda: str(entry.result_path),
            HistoryRole.Entry: lambda: entry,
            HistoryRole.Created: lambda: entry.created,
            HistoryRole.Elapsed: lambda: entry.elapsed,
            HistoryRole.Device: lambda: entry.device,
            HistoryRole.ThumbnailReady: lambda: entry.id in self._pixmaps,
        }
        getter = values.get(role)  # type: ignore[call-overload]
        return getter() if getter is not None else None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemNeverHasChildren)

    def roleNames(self) -> dict[int, QByteArray]:  # noqa: N802
        names = super().roleNames()
        for role in HistoryRole:
            names[int(role)] = QByteArray(role.name[:1].lower().encode() + role.name[1:].encode())
        return names

    # -- thumbnails ----------------------------------------------------------------------
    def _thumbnail(self, entry: HistoryEntry) -> QPixmap:
        pixmap = self._pixmaps.get(entry.id)
        if pixmap is not None:
            return pixmap
        if entry.id in self._broken:
            return self._broken_icon
        self._loader.request(entry.id, entry.result_path, entry.thumbnail_path, self.icon_size)
        return self._placeholder

    def on_thumbnail_loaded(self, entry_id: str, image: QImage) -> None:
        row = self.row_of(entry_id)
        if row < 0:
            return
        self._pixmaps[entry_id] = QPixmap.fromImage(image)
        index = self.index(row, 0)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def on_thumbnail_failed(self, entry_id: str, message: str) -> None:
        row = self.row_of(entry_id)
        if row < 0:
            return
        self._broken[entry_id] = message
        index = self.index(row, 0)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


def _tooltip(entry: HistoryEntry) -> str:
    lines = [time.strftime("%A %d %B %Y, %H:%M", time.localtime(entry.created))]
    if entry.content:
        lines.append(f"Content: {entry.content}")
    for path, weight in entry.styles:
        lines.append(f"Style: {path}" + (f" (weight {weight:g})" if len(entry.styles) > 1
                                         else ""))
    params = entry.params_data
    if params:
        lines.append(f"Size {params.get('size')} px, style weight {params.get('style_weight')}, "
                     f"{params.get('optimizer')}, seed {params.get('seed')}")
    lines.append(f"Result: {entry.result_path}")
    return "\n".join(lines)
