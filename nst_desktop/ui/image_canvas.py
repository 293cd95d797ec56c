"""A zoomable, pannable view of one image, with an optional before/after split.

Coordinates: the image lives in *logical image pixels* (``logical_size``, the
size of the final image); a preview frame of a different pixel size is
stretched over the same rectangle, so zoom and pan stay put while coarse frames
sharpen. ``scale`` is widget (logical) pixels per image pixel; 100 % means one
image pixel per *device* pixel, so it is ``1 / devicePixelRatio``.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from nst_desktop.ui.widgets import has_keyboard_focus

MIN_SCALE = 0.02
MAX_SCALE = 32.0
ZOOM_STEP = 1.25
SPLIT_GRAB_PX = 8
FOCUS_RING_PX = 2


class ImageCanvas(QWidget):
    """Shows an image, zooms around the cursor, pans by dragging.

    Signals:
        zoom_changed(float): the zoom in percent (100 = one image pixel per device pixel).
        has_image_changed(bool): an image appeared in the empty view, or the view emptied
            (what acts on the view is enabled only while there is something to act on).
    """

    zoom_changed = Signal(float)
    has_image_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 90)
        self._image: QImage | None = None
        self._compare: QImage | None = None
        self._logical = QSizeF()
        self._scale = 1.0
        self._offset = QPointF()
        self._fit = True
        self._split_enabled = False
        self._split = 0.5
        self._show_compare = False
        self._drag: str | None = None  # "pan" or "split"
        self._drag_last = QPointF()
        self._cache: tuple[int, QSize, QImage] | None = None  # (cacheKey, device size, scaled)
        self.placeholder = ""

    # -- content --------------------------------------------------------------
    def image(self) -> QImage | None:
        return self._image

    def has_image(self) -> bool:
        return self._image is not None and not self._image.isNull()

    def set_image(self, image: QImage | None, logical_size: QSize | None = None) -> None:
        """Show ``image`` over ``logical_size`` (default: its own size).

        The view is kept when the logical size is unchanged (a new preview
        frame), and fitted to the window when it changes (a new picture).
        """
        had_image = self.has_image()
        self._image = image if image is not None and not image.isNull() else None
        self._cache = None
        new_logical = QSizeF(logical_size or (self._image.size() if self._image else QSize()))
        if new_logical != self._logical:
            self._logical = new_logical
            self._fit = True
        self._relayout()
        self.update()
        if self.has_image() != had_image:
            self.has_image_changed.emit(self.has_image())

    def has_compare_image(self) -> bool:
        return self._compare is not None

    def set_compare_image(self, image: QImage | None) -> None:
        """The 'before' image (the content photo) for the split and the held key."""
        self._compare = image if image is not None and not image.isNull() else None
        self.update()

    def set_split_enabled(self, enabled: bool) -> None:
        self._split_enabled = enabled
        self.update()

    def split_enabled(self) -> bool:
        return self._split_enabled

    def set_split_position(self, fraction: float) -> None:
        self._split = min(1.0, max(0.0, fraction))
        self.update()

    def split_position(self) -> float:
        return self._split

    def set_show_compare(self, show: bool) -> None:
        """Show the 'before' image in place of the result (while a key is held)."""
        if show != self._show_compare:
            self._show_compare = show
            self.update()

    def showing_compare(self) -> bool:
        return self._show_compare and self._compare is not None

    # -- view -----------------------------------------------------------------
    def scale(self) -> float:
        return self._scale

    def zoom_percent(self) -> float:
        return self._scale * self.devicePixelRatioF() * 100.0

    def is_fitted(self) -> bool:
        return self._fit

    def image_rect(self) -> QRectF:
        """Where the image is drawn, in widget coordinates."""
        return QRectF(self._offset, self._logical * self._scale)

    def fit(self) -> None:
        """The whole image in view, at 100 % at most."""
        self._fit = True
        self._relayout()
        self.update()

    def actual_size(self) -> None:
        """100 %: one image pixel per device pixel, centred on the view centre."""
        self._set_scale(1.0 / self.devicePixelRatioF(), self._view_centre())

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the image point under ``anchor`` (widget coords) in place."""
        self._set_scale(self._scale * factor, anchor if anchor is not None else self._view_centre())

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP, self._cursor_anchor())

    def zoom_out(self) -> None:
        self.zoom_by(1.0 / ZOOM_STEP, self._cursor_anchor())

    def _cursor_anchor(self) -> QPointF:
        pos = self.mapFromGlobal(self.cursor().pos())
        return QPointF(pos) if self.rect().contains(pos) else self._view_centre()

    def _view_centre(self) -> QPointF:
        return QPointF(self.width() / 2, self.height() / 2)

    def _set_scale(self, scale: float, anchor: QPointF) -> None:
        if self._logical.isEmpty():
            return
        scale = min(MAX_SCALE, max(MIN_SCALE, scale))
        image_point = (anchor - self._offset) / self._scale
        self._scale = scale
        self._offset = anchor - image_point * scale
        self._fit = False
        self._clamp_offset()
        self.zoom_changed.emit(self.zoom_percent())
        self.update()

    def _relayout(self) -> None:
        if self._logical.isEmpty():
            return
        if self._fit:
            margin = 8
            avail_w = max(1.0, self.width() - 2 * margin)
            avail_h = max(1.0, self.height() - 2 * margin)
            # Never past 100 % unless asked (zoom in, Actual Pixels), as image viewers do: a
            # small result stretched smooth to fill the pane looked blurred.
            self._scale = min(avail_w / self._logical.width(), avail_h / self._logical.height(),
                              1.0 / self.devicePixelRatioF())
            size = self._logical * self._scale
            self._offset = QPointF(
                (self.width() - size.width()) / 2, (self.height() - size.height()) / 2
            )
            self.zoom_changed.emit(self.zoom_percent())
        self._clamp_offset()

    def _clamp_offset(self) -> None:
        """Keep at least part of the image in view; centre it along a short axis."""
        size = self._logical * self._scale
        x, y = self._offset.x(), self._offset.y()
        if size.width() <= self.width():
            x = (self.width() - size.width()) / 2
        else:
            x = min(0.0, max(self.width() - size.width(), x))
        if size.height() <= self.height():
            y = (self.height() - size.height()) / 2
        else:
            y = min(0.0, max(self.height() - size.height(), y))
        self._offset = QPointF(x, y)

    # -- painting -------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base).darker(104))
        self._paint_contents(painter)
        if self.shows_focus():
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), FOCUS_RING_PX))
            inset = FOCUS_RING_PX // 2
            painter.drawRect(self.rect().adjusted(inset, inset, -inset - 1, -inset - 1))

    def shows_focus(self) -> bool:
        """Whether the focus ring is drawn (Qt repaints a widget as it gains and loses the
        focus): so that a person moving through the window by keyboard sees which pane
        Ctrl+V, +/- and \\ act on."""
        return has_keyboard_focus(self)

    def _paint_contents(self, painter: QPainter) -> None:
        shown = self._compare if self.showing_compare() else self._image
        if shown is None or self._logical.isEmpty():
            self._paint_placeholder(painter)
            return
        target = self.image_rect()
        self._draw(painter, shown, target)
        if self._split_enabled and self._compare is not None and not self.showing_compare():
            split_x = target.left() + target.width() * self._split
            painter.save()
            painter.setClipRect(
                QRectF(target.left(), target.top(), split_x - target.left(), target.height())
            )
            self._draw(painter, self._compare, target)
            painter.restore()
            self._paint_split_handle(painter, split_x)
        if self.showing_compare():
            self._paint_badge(painter, "Original")

    def _draw(self, painter: QPainter, image: QImage, target: QRectF) -> None:
        dpr = self.devicePixelRatioF()
        device_w = target.width() * dpr
        if device_w < image.width() and target.width() * target.height() < 4e6:
            # Downscaling: Qt's area-averaging scale is crisp where drawImage would alias.
            size = QSize(max(1, round(device_w)), max(1, round(target.height() * dpr)))
            key = image.cacheKey()
            if self._cache is None or self._cache[0] != key or self._cache[1] != size:
                scaled = image.scaled(
                    size,
                    Qt.AspectRatioMode.IgnoreAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
                self._cache = (key, size, scaled)
            painter.drawImage(target, self._cache[2])
            return
        # Enlarging: smooth when fitted or a preview is stretched; when a person zooms
        # far in, show the pixels as they are (as image viewers do).
        sharp = (
            not self._fit
            and device_w >= 4 * image.width()
            and image.size() == self._logical.toSize()
        )
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not sharp)
        painter.drawImage(target, image, QRectF(image.rect()))

    def _paint_split_handle(self, painter: QPainter, x: float) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = self.image_rect()
        painter.setPen(QPen(QColor(255, 255, 255, 230), 2))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        centre = QPointF(x, rect.center().y())
        painter.setBrush(QColor(30, 30, 30, 200))
        painter.drawEllipse(centre, 11, 11)
        painter.setPen(QPen(QColor(255, 255, 255), 2))
        for sign in (-1, 1):
            tip = centre + QPointF(7 * sign, 0)
            painter.drawLine(tip, tip + QPointF(-4 * sign, -4))
            painter.drawLine(tip, tip + QPointF(-4 * sign, 4))
        self._paint_badge(painter, "Before", rect.left() + 8, align_right=False)
        self._paint_badge(painter, "After", rect.right() - 8, align_right=True)

    def _paint_badge(
        self, painter: QPainter, text: str, x: float | None = None, align_right: bool = False
    ) -> None:
        metrics = painter.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 14, metrics.height() + 6
        rect = self.image_rect()
        left = (x - w if align_right else x) if x is not None else rect.left() + 8
        box = QRectF(max(4.0, left), max(4.0, rect.top() + 8), w, h)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_placeholder(self, painter: QPainter) -> None:
        if not self.placeholder:
            return
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            self.rect().adjusted(16, 16, -16, -16),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self.placeholder,
        )

    # -- input ----------------------------------------------------------------
    def _near_split(self, pos: QPointF) -> bool:
        if not (self._split_enabled and self._compare is not None and self.has_image()):
            return False
        rect = self.image_rect()
        split_x = rect.left() + rect.width() * self._split
        return abs(pos.x() - split_x) <= SPLIT_GRAB_PX and rect.top() <= pos.y() <= rect.bottom()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or not self.has_image():
            super().mousePressEvent(event)
            return
        self._drag = "split" if self._near_split(event.position()) else "pan"
        self._drag_last = event.position()
        if self._drag == "pan":
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self._drag == "split":
            rect = self.image_rect()
            if rect.width() > 0:
                self.set_split_position((pos.x() - rect.left()) / rect.width())
        elif self._drag == "pan":
            self._offset += pos - self._drag_last
            self._drag_last = pos
            self._fit = False
            self._clamp_offset()
            self.update()
        elif self._near_split(pos):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        else:
            self.setCursor(
                Qt.CursorShape.OpenHandCursor if self.has_image() else Qt.CursorShape.ArrowCursor
            )
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._drag = None
        self.setCursor(
            Qt.CursorShape.OpenHandCursor if self.has_image() else Qt.CursorShape.ArrowCursor
        )
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._fit:
            self._set_scale(1.0 / self.devicePixelRatioF(), event.position())
        else:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if not self.has_image():
            event.ignore()
            return
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = delta.y() / 120.0
            if steps:
                self.zoom_by(ZOOM_STEP**steps, event.position())
        else:
            pixel = event.pixelDelta()
            move = QPointF(pixel) if not pixel.isNull() else QPointF(delta) / 120.0 * 48
            self._offset += move
            self._fit = False
            self._clamp_offset()
            self.update()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key == Qt.Key.Key_Minus:
            self.zoom_out()
        elif key == Qt.Key.Key_Backslash and not event.isAutoRepeat():
            self.set_show_compare(True)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Backslash and not event.isAutoRepeat():
            self.set_show_compare(False)
        else:
            super().keyReleaseEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        old = event.oldSize()
        if not self._fit and old.isValid():
            self._offset += QPointF(
                (self.width() - old.width()) / 2, (self.height() - old.height()) / 2
            )
        self._relayout()
        super().resizeEvent(event)
