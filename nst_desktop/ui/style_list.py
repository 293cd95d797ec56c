"""The style pane: one or more style images, each with a blend weight.

The large canvas shows the selected style; the strip below lists every style
with a thumbnail, its weight slider (shown when there is more than one) and a
remove button. Weight changes go through the window's undo stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPalette, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.core.imageio import LoadedImage
from nst_desktop.ui.image_pane import ImagePane
from nst_desktop.ui.qt_images import rgb_to_qimage
from nst_desktop.ui.undo import DragTracker, SetValueCommand

THUMB = 44
WEIGHT_MAX = 100


@dataclass
class StyleEntry:
    image: LoadedImage
    qimage: QImage
    weight: float = 1.0

    @property
    def name(self) -> str:
        return Path(self.image.path).name if self.image.path else "Pasted image"


class StyleRow(QFrame):
    """One style in the strip.

    Signals:
        selected(): the row was clicked.
        weight_edited(float): the slider moved (0..1).
        remove_requested(): the × button was pressed.
    """

    selected = Signal()
    weight_edited = Signal(float)
    remove_requested = Signal()

    def __init__(self, entry: StyleEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("style_row")
        self.thumb = QLabel()
        self.thumb.setFixedSize(THUMB, THUMB)
        self.thumb.setPixmap(_thumbnail(entry.qimage, self.devicePixelRatioF()))
        self.name_label = QLabel(entry.name)
        self.name_label.setToolTip(entry.image.path or entry.name)
        self.name_label.setMinimumWidth(40)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, WEIGHT_MAX)
        self.slider.setToolTip("This style's share of the blend")
        self.share_label = QLabel()
        self.share_label.setMinimumWidth(36)
        self.share_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip("Remove this style")
        texts = QVBoxLayout()
        texts.setSpacing(0)
        texts.addWidget(self.name_label)
        weight_row = QHBoxLayout()
        weight_row.addWidget(self.slider, 1)
        weight_row.addWidget(self.share_label)
        texts.addLayout(weight_row)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 2, 2)
        layout.addWidget(self.thumb)
        layout.addLayout(texts, 1)
        layout.addWidget(self.remove_button)
        self.slider.valueChanged.connect(lambda v: self.weight_edited.emit(v / WEIGHT_MAX))
        self.remove_button.clicked.connect(self.remove_requested)

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001 (Qt API)
        self.selected.emit()
        super().mousePressEvent(event)

    def set_selected(self, on: bool) -> None:
        self.setStyleSheet(
            "QFrame#style_row { background: palette(highlight); border-radius: 4px; }"
            "QFrame#style_row QLabel { color: palette(highlighted-text); }"
            if on
            else ""
        )


def _thumbnail(image: QImage, dpr: float) -> QPixmap:
    side = round(THUMB * dpr)
    scaled = image.scaled(
        QSize(side, side),
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    x, y = (scaled.width() - side) // 2, (scaled.height() - side) // 2
    pixmap = QPixmap.fromImage(scaled.copy(x, y, side, side))
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


class StylePane(ImagePane):
    """Style images and their blend weights.

    Signals (besides ImagePane's):
        styles_changed(): a style was added or removed, or a weight changed.
    """

    styles_changed = Signal()

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(
            "Style",
            "Drop one or more paintings here\nor paste (Ctrl+V) · File ▸ Add Style…",
            accepts_multiple=True,
            parent=parent,
        )
        self.undo_stack = undo_stack
        self.drag = DragTracker()
        self.entries: list[StyleEntry] = []
        self.rows: list[StyleRow] = []
        self.selected_index = -1

        self.strip = QWidget()
        self.strip_layout = QVBoxLayout(self.strip)
        self.strip_layout.setContentsMargins(2, 2, 2, 2)
        self.strip_layout.setSpacing(2)
        self.hint = QLabel("Drop more paintings to blend styles.")
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.hint.setContentsMargins(6, 0, 0, 2)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.strip)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.addWidget(self.scroll)
        layout.addWidget(self.hint)
        self._refresh()

    # -- the list ----------------------------------------------------------------------
    def add_style(self, image: LoadedImage, weight: float = 1.0) -> None:
        self.entries.append(StyleEntry(image, rgb_to_qimage(image.to_uint8()), weight))
        self.selected_index = len(self.entries) - 1
        self._refresh()
        self.styles_changed.emit()

    def remove_style(self, index: int) -> None:
        if 0 <= index < len(self.entries):
            del self.entries[index]
            self.selected_index = min(self.selected_index, len(self.entries) - 1)
            self._refresh()
            self.styles_changed.emit()

    def clear(self) -> None:
        self.entries.clear()
        self.selected_index = -1
        self._refresh()
        self.styles_changed.emit()

    def select(self, index: int) -> None:
        if 0 <= index < len(self.entries):
            self.selected_index = index
            self._show_selected()

    def weights(self) -> list[float]:
        return [e.weight for e in self.entries]

    def set_weight(self, index: int, weight: float) -> None:
        """Set without an undo step (undo/redo use this)."""
        if 0 <= index < len(self.entries) and self.entries[index].weight != weight:
            self.entries[index].weight = weight
            self._update_weights()
            self.styles_changed.emit()

    def edit_weight(self, index: int, weight: float) -> None:
        """A person moved a weight slider: one undo step per drag."""
        old = self.entries[index].weight
        if old == weight:
            return
        self.undo_stack.push(
            SetValueCommand(
                lambda key, value: self.set_weight(int(key), value),
                str(index),
                old,
                weight,
                f"Change weight of {self.entries[index].name}",
                self.drag.current,
            )
        )

    # -- display ---------------------------------------------------------------------------
    def _refresh(self) -> None:
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        for index, entry in enumerate(self.entries):
            row = StyleRow(entry, self.strip)
            row.selected.connect(lambda i=index: self.select(i))
            row.remove_requested.connect(lambda i=index: self.remove_style(i))
            row.weight_edited.connect(lambda w, i=index: self.edit_weight(i, w))
            row.slider.sliderPressed.connect(self.drag.begin)
            row.slider.sliderReleased.connect(self.drag.end)
            self.strip_layout.addWidget(row)
            self.rows.append(row)
        count = len(self.entries)
        self.scroll.setVisible(count > 0)
        self.hint.setVisible(count == 1)
        row_h = THUMB + 8
        self.scroll.setFixedHeight(min(count, 3) * (row_h + 2) + 4 if count else 0)
        self._update_weights()
        self._show_selected()

    def _update_weights(self) -> None:
        total = sum(e.weight for e in self.entries)
        many = len(self.entries) > 1
        for row, entry in zip(self.rows, self.entries, strict=True):
            row.slider.blockSignals(True)
            row.slider.setValue(round(entry.weight * WEIGHT_MAX))
            row.slider.blockSignals(False)
            row.slider.setVisible(many)
            share = entry.weight / total if total > 0 else 1 / len(self.entries)
            row.share_label.setText(f"{share:.0%}")
            row.share_label.setVisible(many)

    def _show_selected(self) -> None:
        for i, row in enumerate(self.rows):
            row.set_selected(i == self.selected_index and len(self.rows) > 1)
        if 0 <= self.selected_index < len(self.entries):
            entry = self.entries[self.selected_index]
            self.canvas.set_image(entry.qimage)
            w, h = entry.image.size
            self.set_info(f"{entry.name} · {w} × {h}")
        else:
            self.canvas.set_image(None)
            self.set_info("")
