"""The thumbnail grid: a ``QListView`` in icon mode that accepts dropped images.

Dropping only reads the mime data and emits one typed signal (the panel
decides what to do): local files and folders as ``files_dropped``, raw image
data (dragged out of a browser) as ``image_dropped``. A drag that started in
the gallery itself carries :data:`STYLES_MIME` and is not accepted back.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle

from nst_desktop.ui.drops import accept_as_copy
from nst_desktop.ui.gallery_model import STYLES_MIME
from nst_desktop.ui.widgets import paint_empty_hint

CELL_EXTRA_WIDTH = 28  # a grid cell's width beyond its thumbnail
CELL_EXTRA_HEIGHT = 44  # and its height: the two lines of the title
MIN_CELL_SHARE = 0.7  # the smallest cell, of the full-size one, made to add a column


def dropped_paths(mime) -> list[str]:
    """The local files in a drop (remote URLs are not ours to fetch)."""
    if mime is None or not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


def _acceptable(mime) -> bool:
    if mime is None or mime.hasFormat(STYLES_MIME):
        return False
    return bool(dropped_paths(mime)) or mime.hasImage()


class GalleryView(QListView):
    """Signals:
    files_dropped(list[str]): local files/folders were dropped on the grid.
    image_dropped(QImage): image data (no file) was dropped on the grid.
    """

    files_dropped = Signal(list)
    image_dropped = Signal(QImage)

    def __init__(self, icon_size: int = 128, parent=None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)  # a sorted grid, not a desktop
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        # Large galleries: lay items out in batches and never ask every item its size.
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(200)
        self.max_icon_size = icon_size
        self.setIconSize(QSize(icon_size, icon_size))
        self.setGridSize(QSize(icon_size + CELL_EXTRA_WIDTH, icon_size + CELL_EXTRA_HEIGHT))
        self.setSpacing(0)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionRectVisible(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        # Drops arrive at the viewport; a static icon-mode list turns that off.
        self.viewport().setAcceptDrops(True)
        self.setMouseTracking(True)  # hover shows the favourite star
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self.fit_columns()
        super().resizeEvent(event)

    def fit_columns(self) -> None:
        """Columns that fill the view's width: as many as fit at the full thumbnail size,
        plus one made by shrinking the thumbnails (to MIN_CELL_SHARE of the full cell at
        least) where that fills the width better. A fixed cell left a 320 px dock one
        column wide and half blank. The width is measured as if the scroll bar were shown,
        so that its coming and going never changes the columns back and forth."""
        full = self.max_icon_size + CELL_EXTRA_WIDTH
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        width = max(1, self.width() - 2 * self.frameWidth() - scroll_bar - 2)
        columns = max(1, -(-width // full))  # the fewest columns no wider than full size
        if columns > 1 and width // columns < full * MIN_CELL_SHARE:
            columns -= 1  # thumbnails that small read worse than a little blank
        cell = min(full, width // columns) if columns > 1 else max(full, width)
        icon = min(self.max_icon_size, cell - CELL_EXTRA_WIDTH)
        grid = QSize(cell, icon + CELL_EXTRA_HEIGHT)
        if grid != self.gridSize():
            self.setIconSize(QSize(icon, icon))
            delegate = self.itemDelegate()
            if hasattr(delegate, "set_icon_side"):
                delegate.set_icon_side(icon)
            self.setGridSize(grid)

    def columns(self) -> int:
        """How many thumbnails a row shows."""
        return max(1, (self.viewport().width()) // max(1, self.gridSize().width()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        model = self.model()
        if model is None or model.rowCount() > 0:
            return
        # Nothing to show: say why (an empty gallery, or a search that matches nothing).
        text = model.empty_text() if hasattr(model, "empty_text") else ""
        if text:
            paint_empty_hint(self, text)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        editing = self.state() == QAbstractItemView.State.EditingState
        if editing and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # Enter that finishes a rename must not also 'use' the style.
            event.accept()
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if not (_acceptable(event.mimeData()) and accept_as_copy(event)):
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if not (_acceptable(event.mimeData()) and accept_as_copy(event)):
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        if not (_acceptable(mime) and accept_as_copy(event)):
            event.ignore()
            return
        paths = dropped_paths(mime)
        if paths:
            self.files_dropped.emit(paths)
        else:
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.image_dropped.emit(image.copy())
