"""Small reusable widgets: a log-scale slider, a fold-away section, an eliding label, a
wrapping label, a list that says why it is empty, the wait cursor and the Tab order."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QLabel,
    QListView,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QTabBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

LOG_SLIDER_STEPS = 400
REVEAL_MARGIN_PX = 12  # above and below a widget Tab scrolls into sight


def chain_focus(widgets: Sequence[QWidget]) -> None:
    """Tab moves through ``widgets`` in this order (Qt's own is the order they were made in,
    which puts a panel made later, or a row added later, at the end of the window's)."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


def has_keyboard_focus(widget: QWidget) -> bool:
    """Whether ``widget`` has the focus and the keyboard put it there (Tab, a shortcut), not
    a click: when Qt's styles draw a focus ring, and so when ours do."""
    return widget.hasFocus() and widget.window().testAttribute(
        Qt.WidgetAttribute.WA_KeyboardFocusChange
    )


def reveal(widget: QWidget, margin: int = REVEAL_MARGIN_PX) -> None:
    """Scroll every scroll area that holds ``widget`` so that it is in sight (Qt does so only
    when Tab moves within one area, not when the focus comes into it from outside)."""
    parent = widget.parentWidget()
    while parent is not None and not parent.isWindow():
        if isinstance(parent, QScrollArea):
            inner = parent.widget()
            if inner is not None and inner.isAncestorOf(widget):
                parent.ensureWidgetVisible(widget, 0, margin)
        parent = parent.parentWidget()


def shown_to_tab(widget: QWidget) -> bool:
    """Whether Tab should stop at ``widget``, which Qt counts as visible: not when it is in a
    dock behind another dock's tab (Qt keeps that dock "visible", moved out of the window),
    nor an empty tab bar (Qt keeps one made for docks that were once tabbed together)."""
    if isinstance(widget, QTabBar) and widget.count() == 0:
        return False
    parent: QWidget | None = widget
    while parent is not None and not parent.isWindow():
        if isinstance(parent, QDockWidget) and parent.visibleRegion().isEmpty():
            return False
        parent = parent.parentWidget()
    return True


@contextmanager
def busy_cursor() -> Iterator[None]:
    """The wait cursor while the GUI thread opens an image: a 48-megapixel photo takes 1.3 to
    4 s to decode and show on a 2-core machine. Never around a dialog."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


class LogSlider(QSlider):
    """A horizontal slider whose position maps to ``lo..hi`` on a log scale.

    Signals:
        float_changed(float): the value, whenever the position changes.
    """

    float_changed = Signal(float)

    def __init__(self, lo: float, hi: float, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._lo, self._hi = math.log(lo), math.log(hi)
        self.setRange(0, LOG_SLIDER_STEPS)
        self.setPageStep(LOG_SLIDER_STEPS // 20)
        self.valueChanged.connect(self.on_value_changed)

    def to_position(self, value: float) -> int:
        value = min(max(value, math.exp(self._lo)), math.exp(self._hi))
        return round((math.log(value) - self._lo) / (self._hi - self._lo) * LOG_SLIDER_STEPS)

    def to_value(self, position: int) -> float:
        return math.exp(self._lo + (self._hi - self._lo) * position / LOG_SLIDER_STEPS)

    def float_value(self) -> float:
        return self.to_value(self.value())

    def set_float_value(self, value: float) -> None:
        self.setValue(self.to_position(value))

    def on_value_changed(self, position: int) -> None:
        self.float_changed.emit(self.to_value(position))


def round_nicely(value: float) -> float:
    """2-3 significant figures, so a slider gives 20 or 0.35 rather than 19.9526."""
    if value <= 0:
        return 0.0
    digits = 2 if value >= 1 else 3
    return round(value, max(0, digits - int(math.floor(math.log10(value))) - 1))


class CollapsibleSection(QWidget):
    """A header button that folds its content away (closed by default).

    Signals:
        toggled(bool): the section opened (True) or closed.
    """

    toggled = Signal(bool)

    def __init__(self, title: str, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = QToolButton()
        self.button.setText(title)
        self.button.setCheckable(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setArrowType(Qt.ArrowType.RightArrow)
        self.button.setAutoRaise(True)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = self.button.font()
        font.setBold(True)
        self.button.setFont(font)
        self.content = content
        content.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.button)
        layout.addWidget(content)
        self.button.toggled.connect(self.on_button_toggled)

    def is_open(self) -> bool:
        return self.button.isChecked()

    def set_open(self, open_: bool) -> None:
        self.button.setChecked(open_)

    def on_button_toggled(self, checked: bool) -> None:
        self.button.setArrowType(Qt.ArrowType.DownArrow if checked else Qt.ArrowType.RightArrow)
        self.content.setVisible(checked)
        self.toggled.emit(checked)


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with '…' when narrow, instead of making its
    layout wider or clipping. ``text()`` stays the whole text; so does the tooltip."""

    def __init__(
        self,
        text: str = "",
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(text, parent)
        self.elide_mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        width = self.fontMetrics().horizontalAdvance("…") * 3
        return QSize(width, super().minimumSizeHint().height())

    def shown_text(self) -> str:
        """The text as painted at the label's current width."""
        return self.fontMetrics().elidedText(self.text(), self.elide_mode,
                                             self.contentsRect().width())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        rect = self.contentsRect()
        shown = self.shown_text()
        painter = QPainter(self)
        self.style().drawItemText(
            painter, rect, int(self.alignment()), self.palette(), self.isEnabled(), shown,
            self.foregroundRole(),
        )
        painter.end()


class WrappingLabel(QLabel):
    """A label whose text wraps onto as many lines as its width needs, up to ``max_lines``,
    and whose height follows the text: the status line, where a long message (a full disk,
    with the folder) must be read whole. Beyond ``max_lines`` the text ends in "…" and the
    tooltip has all of it. It never makes its layout wider; a plain QLabel's word wrap guesses
    a height from a preferred width and leaves a one-line message in a box three lines high.
    ``text()`` is the whole text."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *,
                 max_lines: int = 3) -> None:
        super().__init__(text, parent)
        self._text = text
        self.max_lines = max_lines
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._fit()

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        self._text = text
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _height_of(self, text: str, width: int) -> int:
        # Measured here: QLabel.heightForWidth() keeps the height of a longer text it had.
        return self.fontMetrics().boundingRect(QRect(0, 0, width, 1 << 20),
                                               int(Qt.TextFlag.TextWordWrap), text).height()

    def _fit(self) -> None:
        margins = self.contentsMargins()
        width = max(1, self.width() - margins.left() - margins.right())
        metrics = self.fontMetrics()
        most = metrics.height() + (self.max_lines - 1) * metrics.lineSpacing()
        shown = self._text
        if self._height_of(shown, width) > most:
            # The most words that fit, then "…": a binary search over the words.
            words = shown.split(" ")
            low, high = 0, len(words)
            while low < high:
                mid = (low + high + 1) // 2
                if self._height_of(" ".join(words[:mid]) + "…", width) <= most:
                    low = mid
                else:
                    high = mid - 1
            shown = " ".join(words[:low]) + "…"
        self.setToolTip(self._text if shown != self._text else "")
        if super().text() != shown:
            super().setText(shown)
        height = min(most, max(metrics.height(), self._height_of(shown, width)))
        self.setFixedHeight(height + margins.top() + margins.bottom())


def paint_empty_hint(view: QAbstractItemView, text: str) -> None:
    """Say on an item view's viewport why it shows nothing (call from its paintEvent)."""
    painter = QPainter(view.viewport())
    painter.setPen(view.palette().color(QPalette.ColorRole.PlaceholderText))
    area = view.viewport().rect().adjusted(12, 24, -12, -12)
    painter.drawText(area, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                               | Qt.TextFlag.TextWordWrap), text)
    painter.end()


class HintedListView(QListView):
    """A list that, with no rows, shows ``empty_hint`` instead of a blank field."""

    def __init__(self, empty_hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_hint = empty_hint

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        super().paintEvent(event)
        model = self.model()
        if self.empty_hint and (model is None or model.rowCount() == 0):
            paint_empty_hint(self, self.empty_hint)
