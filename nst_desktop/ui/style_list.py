"""The style pane: one or more style images, each with a blend weight.

The large canvas shows the selected style; the strip below lists every style
with a thumbnail, its weight slider (shown when there is more than one) and a
remove button. Weight changes go through the window's undo stack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDropEvent, QImage, QPalette, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.core.imageio import LoadedImage
from nst_desktop.ui.drops import accept_as_copy
from nst_desktop.ui.image_pane import ImagePane
from nst_desktop.ui.qt_images import rgb_to_qimage
from nst_desktop.ui.undo import DragTracker, SetValueCommand
from nst_desktop.ui.widgets import ElidedLabel, chain_focus

THUMB = 44
WEIGHT_MAX = 100


@dataclass
class StyleEntry:
    image: LoadedImage
    qimage: QImage
    weight: float = 1.0
    title: str | None = None  # the gallery's name for it, when it is a gallery style

    @property
    def name(self) -> str:
        if self.title:
            return self.title
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
        # Elided at the end: in a narrow pane "starr…" says more than "s…g".
        self.name_label = ElidedLabel(entry.name, Qt.TextElideMode.ElideRight)
        self.name_label.setMinimumWidth(30)
        self.name_label.setToolTip(entry.image.path or entry.name)
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
        self.grid = grid = QGridLayout(self)
        grid.setContentsMargins(4, 2, 2, 2)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(0)
        grid.addWidget(self.thumb, 0, 0, 2, 1)
        grid.addWidget(self.name_label, 0, 1, 1, 2)
        grid.addWidget(self.slider, 1, 1)
        grid.addWidget(self.share_label, 1, 2)
        grid.addWidget(self.remove_button, 0, 3, 2, 1)
        grid.setColumnStretch(1, 1)
        self.blend_shown = True
        self.slider.valueChanged.connect(lambda v: self.weight_edited.emit(v / WEIGHT_MAX))
        self.remove_button.clicked.connect(self.remove_requested)

    def show_blend(self, shown: bool) -> None:
        """The weight slider only means something when there are several styles."""
        if shown == self.blend_shown:
            return
        self.blend_shown = shown
        self.slider.setVisible(shown)
        self.share_label.setVisible(shown)
        self.grid.removeWidget(self.name_label)
        self.grid.addWidget(self.name_label, 0, 1, 1 if shown else 2, 2)

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001 (Qt API)
        self.selected.emit()
        super().mousePressEvent(event)

    def set_selected(self, on: bool) -> None:
        self.setStyleSheet(
            "QFrame#style_row { background: palette(alternate-base);"
            " border: 1px solid palette(highlight); border-radius: 4px; }"
            if on
            else "QFrame#style_row { border: 1px solid transparent; }"
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
            "Drop a painting here\nor paste (Ctrl+V) · File ▸ Open Style…\n\n"
            "Drop several at once to blend them.",
            accepts_multiple=True,
            parent=parent,
        )
        # True while a drop or paste should replace the styles rather than add to them.
        self.replace_pending = False
        self.undo_stack = undo_stack
        self.drag = DragTracker()
        self.entries: list[StyleEntry] = []
        self.rows: list[StyleRow] = []
        self.selected_index = -1
        # Names styles by path (the window's gallery titles); None: file names.
        self.namer: Callable[[str], str | None] | None = None

        self.strip = QWidget()
        self.strip_layout = QVBoxLayout(self.strip)
        self.strip_layout.setContentsMargins(2, 2, 2, 2)
        self.strip_layout.setSpacing(2)
        self.add_zone = QLabel("+  Drop another painting here to blend it in")
        self.add_zone.setObjectName("add_zone")
        self.add_zone.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_zone.setWordWrap(True)  # else its text sets the column's minimum width
        self.add_zone.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.add_zone.setToolTip(
            "Dropping on the large view replaces the style; dropping here (or holding Ctrl) "
            "adds it to the blend."
        )
        self.add_zone.setStyleSheet(
            "QLabel#add_zone { border: 1px dashed palette(dark); border-radius: 4px;"
            " padding: 5px; margin: 2px 4px 4px 4px; }"
        )
        self.strip_scroll = QScrollArea()
        self.strip_scroll.setWidget(self.strip)
        self.strip_scroll.setWidgetResizable(True)
        self.strip_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.strip_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Not a Tab stop of its own (an invisible one): Tab goes to its rows' controls and
        # scrolls them into view.
        self.strip_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.addWidget(self.strip_scroll)
        layout.addWidget(self.add_zone)
        self._refresh()

    # -- drops: replace, or add to the blend ------------------------------------------------
    def handle_mime(self, mime: QMimeData | None, add: bool = False) -> bool:
        """Replace the styles with what ``mime`` holds, or add to them (``add``)."""
        self.replace_pending = not add
        try:
            return super().handle_mime(mime)
        finally:
            self.replace_pending = False

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        child = self.childAt(event.position().toPoint())
        in_strip = child is not None and (
            child is self.add_zone
            or self.strip_scroll.isAncestorOf(child)
            or child is self.strip_scroll
        )
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        self._set_drop_highlight(False)
        if accept_as_copy(event):
            self.handle_mime(event.mimeData(), add=in_strip or ctrl)

    def take_replace_pending(self) -> bool:
        """Whether the image being received should replace the styles (asked once per drop)."""
        pending, self.replace_pending = self.replace_pending, False
        return pending

    # -- the list ----------------------------------------------------------------------
    def entry_for(self, image: LoadedImage, weight: float = 1.0) -> StyleEntry:
        title = self.namer(image.path) if self.namer is not None and image.path else None
        return StyleEntry(image, rgb_to_qimage(image.to_uint8()), weight, title)

    def add_style(self, image: LoadedImage, weight: float = 1.0) -> None:
        self.entries.append(self.entry_for(image, weight))
        self.selected_index = len(self.entries) - 1
        self._refresh()
        self.styles_changed.emit()

    def replace_styles(self, images: list[LoadedImage]) -> None:
        """Use ``images`` in place of the styles shown, as one undo step (a painting chosen
        in the gallery: Ctrl+Z brings back the one it replaced)."""
        new = [self.entry_for(image) for image in images]
        what = new[0].name if len(new) == 1 else f"a blend of {len(new)} styles"
        self.undo_stack.push(SetValueCommand(lambda _key, entries: self.set_entries(entries),
                                             "styles", list(self.entries), new, f"Use {what}"))

    def set_entries(self, entries: list[StyleEntry]) -> None:
        """Show exactly these styles, the last one large (undo and redo use this)."""
        self.entries = list(entries)
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

    def selected_entry(self) -> StyleEntry | None:
        """The style shown on the large view (None when there is none)."""
        if 0 <= self.selected_index < len(self.entries):
            return self.entries[self.selected_index]
        return None

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
        focused = QApplication.focusWidget()
        # The row whose control has the focus (its ✕ pressed with Space, say): the focus
        # stays at that place in the list rather than vanishing with the rebuilt rows.
        held = None if focused is None else next(
            (i for i, row in enumerate(self.rows) if row.isAncestorOf(focused)), None)
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
        self.strip_scroll.setVisible(count > 0)
        self.add_zone.setVisible(count > 0)
        row_h = THUMB + 8
        self.strip_scroll.setFixedHeight(min(count, 3) * (row_h + 2) + 4 if count else 0)
        self._update_weights()
        self._show_selected()
        # A row is made after the window's other widgets; Tab reaches it after the painting.
        controls = [w for row in self.rows for w in (row.slider, row.remove_button)]
        chain_focus([self.canvas, *controls])
        if held is not None:
            target = self.rows[min(held, len(self.rows) - 1)].remove_button if self.rows \
                else self.canvas
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _update_weights(self) -> None:
        total = sum(e.weight for e in self.entries)
        many = len(self.entries) > 1
        for row, entry in zip(self.rows, self.entries, strict=True):
            row.slider.blockSignals(True)
            row.slider.setValue(round(entry.weight * WEIGHT_MAX))
            row.slider.blockSignals(False)
            row.show_blend(many)
            share = entry.weight / total if total > 0 else 1 / len(self.entries)
            row.share_label.setText(f"{share:.0%}")

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
