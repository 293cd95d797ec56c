"""How one style looks in the grid: its thumbnail, its title, and a favourite star.

The star in the thumbnail's corner is drawn filled for favourites (and as an
outline while the pointer is over the item); clicking it toggles the
favourite. The title is edited in place with a line edit (F2).
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from nst_desktop.ui.gallery_model import GalleryRole

AnyIndex = QModelIndex | QPersistentModelIndex
STAR_FILLED = "\u2605"
STAR_OUTLINE = "\u2606"
_TEXT_FLAGS = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                  | Qt.TextFlag.TextWordWrap)


class StyleDelegate(QStyledItemDelegate):
    """Signals:
    favourite_clicked(str style_id): the star of an item was clicked.
    """

    favourite_clicked = Signal(str)

    def __init__(self, icon_side: int, parent=None) -> None:
        super().__init__(parent)
        self.icon_side = icon_side
        self.cell = QSize(icon_side + 24, icon_side + 44)
        self._captions: dict[tuple[str, str, int], str] = {}

    def set_icon_side(self, icon_side: int) -> None:
        """Draw thumbnails ``icon_side`` wide (the grid's columns follow the view's width)."""
        if icon_side != self.icon_side:
            self.icon_side = icon_side
            self.cell = QSize(icon_side + 24, icon_side + 44)
            self.sizeHintChanged.emit(QModelIndex())

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:  # noqa: N802
        return self.cell

    def setEditorData(self, editor, index: AnyIndex) -> None:  # noqa: N802
        # Qt refreshes an open editor on *any* change of its row, a thumbnail
        # arriving included: that must not wipe out what the person is typing.
        if editor.property("nst_filled"):
            return
        super().setEditorData(editor, index)
        editor.setProperty("nst_filled", True)

    def star_rect(self, item_rect: QRect) -> QRect:
        side = 22
        return QRect(item_rect.right() - side - 4, item_rect.top() + 4, side, side)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: AnyIndex) -> None:
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        painter.save()
        # Background (selection, hover) as the platform draws it; no initStyleOption:
        # it asks the model for a dozen roles this delegate does not use.
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        icon_side = self.icon_side
        rect = option.rect
        # The thumbnail, centred in a square at the top so that every title lines up.
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        square = QRect(rect.left() + (rect.width() - icon_side) // 2, rect.top() + 4,
                       icon_side, icon_side)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            size = pixmap.deviceIndependentSize().toSize().scaled(
                square.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(square.center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(target, pixmap)
        # The title: two lines at most, elided.
        text_rect = QRect(rect.left() + 4, square.bottom() + 4, rect.width() - 8,
                          rect.bottom() - square.bottom() - 6)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(role))
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        painter.drawText(text_rect, _TEXT_FLAGS, self._caption(title, option.font,
                                                               text_rect.width()))
        painter.restore()
        self._paint_star(painter, option, index)

    def _caption(self, title: str, font: QFont, width: int) -> str:
        """The wrapped, elided title (cached: text layout is the costly part of a paint)."""
        key = (title, font.key(), width)
        text = self._captions.get(key)
        if text is None:
            if len(self._captions) > 4096:
                self._captions.clear()
            text = self._captions[key] = _elide_two_lines(title, QFontMetrics(font), width)
        return text

    def _paint_star(self, painter: QPainter, option: QStyleOptionViewItem,
                    index: AnyIndex) -> None:
        favourite = bool(index.data(GalleryRole.Favourite))
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if not (favourite or hovered):
            return
        painter.save()
        font = QFont(option.font)
        font.setPixelSize(18)
        painter.setFont(font)
        rect = self.star_rect(option.rect)
        glyph = STAR_FILLED if favourite else STAR_OUTLINE
        painter.setPen(QColor(0, 0, 0, 120))
        painter.drawText(rect.translated(1, 1), Qt.AlignmentFlag.AlignCenter, glyph)
        painter.setPen(QColor(255, 196, 0) if favourite else QColor(235, 235, 235))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, glyph)
        painter.restore()

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem,  # noqa: N802
                    index: AnyIndex) -> bool:
        if (event.type() == QEvent.Type.MouseButtonRelease
                and isinstance(event, QMouseEvent)
                and event.button() == Qt.MouseButton.LeftButton
                and self.star_rect(option.rect).contains(_point(event.position()))):
            self.favourite_clicked.emit(str(index.data(GalleryRole.Id)))
            return True
        return super().editorEvent(event, model, option, index)


def _point(position: QPointF):
    return position.toPoint()


def _elide_two_lines(text: str, metrics: QFontMetrics, width: int) -> str:
    """Word-wrapped onto at most two lines, the second elided."""
    words = text.split()
    first = ""
    while words and metrics.horizontalAdvance((first + " " + words[0]).strip()) <= width:
        first = (first + " " + words.pop(0)).strip()
    if not first and words:  # one very long word
        return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
    rest = " ".join(words)
    if not rest:
        return first
    return first + "\n" + metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)
