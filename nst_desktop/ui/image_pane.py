"""A titled pane around an :class:`ImageCanvas` that accepts dropped and pasted images.

Like Picard's cover-art box, the pane only reads the mime data and emits one
typed signal; the window decides what a new image means.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nst_desktop.ui.drops import accept_as_copy, may_hold_image, read_images
from nst_desktop.ui.image_canvas import ImageCanvas
from nst_desktop.ui.widgets import ElidedLabel, busy_cursor

REFUSAL_SHOWN_MS = 5000


class ImagePane(QFrame):
    """A title bar, an image canvas and a drop target.

    Signals:
        image_dropped(object): a LoadedImage from a drop or paste (once per image).
        drop_refused(str): a drop or paste held no usable image; the text says why.
        remote_url_dropped(str): a web address was dropped with no image bytes;
            the window asks the person before fetching it.
    """

    image_dropped = Signal(object)
    drop_refused = Signal(str)
    remote_url_dropped = Signal(str)

    def __init__(
        self,
        title: str,
        placeholder: str,
        *,
        accepts_multiple: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"pane_{title.lower()}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAcceptDrops(True)
        self.accepts_multiple = accepts_multiple

        self.title_label = QLabel(title)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        # Elided, so that a long file name never sets the pane's (and the column's) width.
        self.info_label = ElidedLabel()
        self.header = QHBoxLayout()
        self.header.setContentsMargins(8, 4, 4, 2)
        self.header.setSpacing(6)
        self.header.addWidget(self.title_label)
        self.header.addWidget(self.info_label, 1)

        self.canvas = ImageCanvas(self)
        self.canvas.placeholder = placeholder

        self.message_label = QLabel(self)
        self.message_label.setObjectName("drop_message")
        self.message_label.setWordWrap(True)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setStyleSheet(
            "QLabel#drop_message { background: rgba(176, 32, 32, 225); color: white;"
            " border-radius: 5px; padding: 6px 10px; }"
        )
        self.message_label.hide()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.setInterval(REFUSAL_SHOWN_MS)
        self._message_timer.timeout.connect(self.message_label.hide)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addLayout(self.header)
        layout.addWidget(self.canvas, 1)
        self._set_drop_highlight(False)

    # -- what the pane shows -----------------------------------------------------
    def set_info(self, text: str) -> None:
        self.info_label.setText(text)
        self.info_label.setToolTip(text)

    def show_refusal(self, message: str) -> None:
        """Show why a drop was refused over the canvas for a few seconds."""
        self.message_label.setText(message)
        width = max(160, min(self.width() - 24, 420))
        self.message_label.setFixedWidth(width)
        self.message_label.adjustSize()
        self.message_label.move(
            (self.width() - width) // 2, self.height() - self.message_label.height() - 12
        )
        self.message_label.raise_()
        self.message_label.show()
        self._message_timer.start()

    def refusal_text(self) -> str:
        return "" if self.message_label.isHidden() else self.message_label.text()

    # -- drops and pastes ------------------------------------------------------------
    def handle_mime(self, mime: QMimeData | None) -> bool:
        """Read a drop or paste; emit what it held. Returns True if any image loaded."""
        with busy_cursor():
            outcome = read_images(mime, max_images=16 if self.accepts_multiple else 1)
            if outcome.images:
                self.message_label.hide()
                for image in outcome.images:
                    self.image_dropped.emit(image)
                if outcome.skipped:  # the rest of a drop of several, which did not open
                    self.show_refusal(outcome.skipped)
                    self.drop_refused.emit(outcome.skipped)
                return True
        if outcome.remote_urls:
            self.remote_url_dropped.emit(outcome.remote_urls[0])
            return False
        self.show_refusal(outcome.refusal)
        self.drop_refused.emit(outcome.refusal)
        return False

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if may_hold_image(event.mimeData()) and accept_as_copy(event):
            self._set_drop_highlight(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if may_hold_image(event.mimeData()):
            accept_as_copy(event)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802
        self._set_drop_highlight(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self._set_drop_highlight(False)
        if accept_as_copy(event):
            self.handle_mime(event.mimeData())

    def _set_drop_highlight(self, on: bool) -> None:
        name = self.objectName()
        self.setStyleSheet(
            f"QFrame#{name} {{ border: 2px dashed palette(highlight); border-radius: 4px; }}"
            if on
            else ""
        )
