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
)
from PySide6.QtWidgets import QAbstractItemView, QListView

from nst_desktop.ui.drops import accept_as_copy
from nst_desktop.ui.gallery_model import STYLES_MIME
from nst_desktop.ui.widgets import paint_empty_hint


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
        self.setIconSize(QSize(icon_size, icon_size))
        self.setGridSize(QSize(icon_size + 28, icon_size + 44))
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
