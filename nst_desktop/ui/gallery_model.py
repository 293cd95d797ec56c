"""The gallery as Qt sees it: a thin list model over the store, and a filter/sort proxy.

:class:`GalleryModel` mirrors :class:`~nst_desktop.core.gallery_store.GalleryStore`
(one row per listed style, in the order they arrived) and follows it through
the store's change notifications, whoever made the change. Thumbnails come
from a :class:`ThumbnailLoader` and are kept in a bounded in-memory cache;
until one is ready the row shows a placeholder. :class:`GalleryFilterModel`
does search, tag and favourite filtering and the ordering (favourites first).
"""

from __future__ import annotations

import enum
import json
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from nst_desktop.core.gallery_records import SortOrder, StyleRecord, matches, sort_key
from nst_desktop.core.gallery_store import GalleryStore, StoreChange
from nst_desktop.errors import GalleryError
from nst_desktop.ui.thumbnail_loader import ThumbnailLoader

STYLES_MIME = "application/x-nst-desktop-styles"
URI_LIST_MIME = "text/uri-list"
_USER = int(Qt.ItemDataRole.UserRole)

AnyIndex = QModelIndex | QPersistentModelIndex
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_EDIT = int(Qt.ItemDataRole.EditRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)


class GalleryRole(enum.IntEnum):
    """Data roles of :class:`GalleryModel` beyond Qt's own."""

    Id = _USER + 1
    Path = _USER + 2  # str: the image file
    Title = _USER + 3
    Artist = _USER + 4
    Year = _USER + 5
    Source = _USER + 6
    Tags = _USER + 7  # list[str]
    Favourite = _USER + 8  # bool
    Added = _USER + 9  # float, seconds since the epoch
    LastUsed = _USER + 10  # float, 0.0 if never
    Record = _USER + 11  # the StyleRecord itself
    ThumbnailReady = _USER + 12  # bool: the decoration is the real thumbnail


EditHandler = Callable[[str, dict[str, object]], None]


class GalleryModel(QAbstractListModel):
    """One row per style in the store.

    Signals:
        error(str): an edit made through the model was refused (readable message).
    """

    error = Signal(str)

    def __init__(self, store: GalleryStore, *, icon_size: int = 128, cache_size: int = 600,
                 loader: ThumbnailLoader | None = None, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.icon_size = icon_size
        self.edit_handler: EditHandler | None = None  # the panel routes edits through undo
        self._records: list[StyleRecord] = store.styles(SortOrder.RECENTLY_ADDED)[::-1]
        self._rows = {record.id: row for row, record in enumerate(self._records)}
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._cache_size = cache_size
        self._broken: dict[str, str] = {}
        self._getters = self._make_getters()
        self._loader = loader if loader is not None else ThumbnailLoader(self)
        self._loader.loaded.connect(self.on_thumbnail_loaded)
        self._loader.failed.connect(self.on_thumbnail_failed)
        self._placeholder = _placeholder(icon_size, QColor(128, 128, 128, 60))
        self._broken_icon = _placeholder(icon_size, QColor(200, 60, 60, 90))
        store.add_listener(self.on_store_changed)

    @property
    def loader(self) -> ThumbnailLoader:
        return self._loader

    def detach(self) -> None:
        """Stop following the store and stop loading (before the store closes)."""
        self.store.remove_listener(self.on_store_changed)
        self._loader.shutdown()

    # -- access -------------------------------------------------------------------------
    def record_at(self, row: int) -> StyleRecord:
        return self._records[row]

    def row_of(self, style_id: str) -> int:
        return self._rows.get(style_id, -1)

    def index_of(self, style_id: str) -> QModelIndex:
        row = self.row_of(style_id)
        return self.index(row, 0) if row >= 0 else QModelIndex()

    def cached_thumbnails(self) -> int:
        return len(self._pixmaps)

    # -- QAbstractListModel ---------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._records)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        # Called thousands of times per second while scrolling: one dict lookup.
        getter = self._getters.get(int(role))
        if getter is None or not index.isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._records):
            return None
        return getter(self._records[row])

    def _make_getters(self) -> dict[int, Callable[[StyleRecord], object]]:
        title: Callable[[StyleRecord], object] = lambda r: r.title  # noqa: E731
        return {
            _DISPLAY: title,
            _EDIT: title,
            int(GalleryRole.Title): title,
            _DECORATION: self._thumbnail,
            _TOOLTIP: self._tooltip,
            _ACCESSIBLE: lambda r: r.caption,
            int(GalleryRole.Id): lambda r: r.id,
            int(GalleryRole.Path): lambda r: str(r.image_path),
            int(GalleryRole.Artist): lambda r: r.artist,
            int(GalleryRole.Year): lambda r: r.year,
            int(GalleryRole.Source): lambda r: r.source,
            int(GalleryRole.Tags): lambda r: list(r.tags),
            int(GalleryRole.Favourite): lambda r: r.favourite,
            int(GalleryRole.Added): lambda r: r.added,
            int(GalleryRole.LastUsed): lambda r: r.last_used or 0.0,
            int(GalleryRole.Record): lambda r: r,
            int(GalleryRole.ThumbnailReady): lambda r: r.id in self._pixmaps,
        }

    def _tooltip(self, record: StyleRecord) -> str:
        lines = [record.caption]
        if record.tags:
            lines.append("Tags: " + ", ".join(record.tags))
        lines.append(f"{record.width} × {record.height} pixels")
        if record.id in self._broken:
            lines.append(self._broken[record.id])
        return "\n".join(lines)

    def setData(self, index: AnyIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or role not in (Qt.ItemDataRole.EditRole, GalleryRole.Title,
                                               GalleryRole.Favourite, GalleryRole.Tags):
            return False
        record = self._records[index.row()]
        field = {int(GalleryRole.Favourite): "favourite",
                 int(GalleryRole.Tags): "tags"}.get(int(role), "title")
        try:
            if self.edit_handler is not None:
                self.edit_handler(record.id, {field: value})
            else:
                self.store.update(record.id, **{field: value})
        except GalleryError as exc:
            self.error.emit(str(exc))
            return False
        return True

    def roleNames(self) -> dict[int, QByteArray]:  # noqa: N802
        names = super().roleNames()
        for role in GalleryRole:
            names[int(role)] = QByteArray(role.name[:1].lower().encode() + role.name[1:].encode())
        return names

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled
                | Qt.ItemFlag.ItemNeverHasChildren)

    # -- drag out ---------------------------------------------------------------------------
    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [STYLES_MIME, URI_LIST_MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        rows = sorted({i.row() for i in indexes if i.isValid()})
        records = [self._records[row] for row in rows]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(r.image_path)) for r in records])
        mime.setData(STYLES_MIME, QByteArray(json.dumps([r.id for r in records]).encode()))
        mime.setText("\n".join(str(r.image_path) for r in records))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction

    # -- following the store ------------------------------------------------------------------
    def on_store_changed(self, change: StoreChange) -> None:
        for style_id in change.removed:
            row = self._rows.get(style_id)
            if row is None:
                continue
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._records[row]
            del self._rows[style_id]
            self._reindex(row)
            self.endRemoveRows()
            self._pixmaps.pop(style_id, None)
        new = [r for r in change.added if r.id not in self._rows]
        if new:
            first = len(self._records)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._records.extend(new)
            self._reindex(first)
            self.endInsertRows()
        for record in change.updated:
            row = self._rows.get(record.id)
            if row is not None:
                self._records[row] = record
                index = self.index(row, 0)
                self.dataChanged.emit(index, index)

    def _reindex(self, start: int) -> None:
        for row in range(start, len(self._records)):
            self._rows[self._records[row].id] = row

    # -- thumbnails -----------------------------------------------------------------------------
    def _thumbnail(self, record: StyleRecord) -> QPixmap:
        pixmap = self._pixmaps.get(record.id)
        if pixmap is not None:
            self._pixmaps.move_to_end(record.id)
            return pixmap
        if record.id in self._broken:
            return self._broken_icon
        self._loader.request(record.id, record.image_path, record.thumbnail_path, self.icon_size)
        return self._placeholder

    def on_thumbnail_loaded(self, style_id: str, image: QImage) -> None:
        if style_id not in self._rows:
            return
        self._pixmaps[style_id] = QPixmap.fromImage(image)  # QPixmap only on the GUI thread
        while len(self._pixmaps) > self._cache_size:
            self._pixmaps.popitem(last=False)
        index = self.index(self._rows[style_id], 0)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole,
                                             GalleryRole.ThumbnailReady])

    def on_thumbnail_failed(self, style_id: str, message: str) -> None:
        if style_id not in self._rows:
            return
        self._broken[style_id] = message
        index = self.index(self._rows[style_id], 0)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class GalleryFilterModel(QSortFilterProxyModel):
    """Search (every word in title, artist, year or tags), tag and favourite filters;
    ordered with favourites first, then by the chosen :class:`SortOrder`.

    Signals:
        filter_changed(): the search, tag or favourites filter changed (a grid that shows
            nothing before and after repaints what it says: :meth:`empty_text`).
    """

    filter_changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._text = ""
        self._tag: str | None = None
        self._favourites_only = False
        self._order = SortOrder.TITLE
        self.setDynamicSortFilter(True)
        self.sort(0)

    def set_search_text(self, text: str) -> None:
        self._change_filter("_text", text)

    def set_tag(self, tag: str | None) -> None:
        self._change_filter("_tag", tag or None)

    def set_favourites_only(self, on: bool) -> None:
        self._change_filter("_favourites_only", bool(on))

    def set_sort_order(self, order: SortOrder) -> None:
        self._order = order
        self.invalidate()

    def sort_order(self) -> SortOrder:
        return self._order

    def empty_text(self) -> str:
        """What the grid says when it shows nothing: why, and what to do."""
        source = self.sourceModel()
        if source is None or source.rowCount() == 0:
            return ("No paintings yet.\nDrop paintings here, or use\n"
                    "Gallery ▸ Import Images…")
        if self._favourites_only and not self._text.strip() and not self._tag:
            return "No favourites yet: click a painting's ☆ to make it one."
        wanted = []
        if self._text.strip():
            wanted.append(f"“{self._text.strip()}”")
        if self._tag:
            wanted.append(f"tagged “{self._tag}”")
        if self._favourites_only:
            wanted.append("among the favourites")
        if not wanted:
            return ""
        return "No painting " + (" ".join(wanted) if not self._text.strip() else
                                 "matches " + " ".join(wanted)) + "."

    def _change_filter(self, name: str, value: object) -> None:
        if getattr(self, name) == value:
            return
        begin = getattr(self, "beginFilterChange", None)
        if begin is not None:  # Qt >= 6.9
            begin()
            setattr(self, name, value)
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            setattr(self, name, value)
            self.invalidateFilter()
        self.filter_changed.emit()

    def _record(self, row: int) -> StyleRecord:
        source = self.sourceModel()
        assert isinstance(source, GalleryModel)
        return source.record_at(row)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:  # noqa: N802
        return matches(self._record(source_row), self._text, self._tag, self._favourites_only)

    def lessThan(self, left: AnyIndex, right: AnyIndex) -> bool:  # noqa: N802
        return (sort_key(self._record(left.row()), self._order)
                < sort_key(self._record(right.row()), self._order))


def _placeholder(size: int, colour: QColor) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    margin = size // 10
    painter.drawRoundedRect(margin, margin, size - 2 * margin, size - 2 * margin, 8, 8)
    painter.end()
    return pixmap
