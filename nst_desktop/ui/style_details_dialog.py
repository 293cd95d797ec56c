"""A dialog to edit one style's details: title, artist, year, source, tags, favourite."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.core.gallery_records import (
    MAX_TEXT,
    MAX_TITLE,
    MAX_YEAR,
    StyleRecord,
    clean_details,
)
from nst_desktop.errors import GalleryError
from nst_desktop.ui.theme import warning_colour

FIELD_CHARS = 44  # a field's least width, in average characters
PREVIEW_SIZE = 160  # the painting's longest side beside the form, in pixels


class StyleDetailsDialog(QDialog):
    """Edits a copy of the details; :meth:`changes` gives only what the person changed.

    The OK button stays until the input is valid: an invalid value (an empty
    title, a tag too long) is explained under the form instead of closing.
    """

    def __init__(self, record: StyleRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Details of '{record.title}'")
        self._record = record
        self.title_edit = QLineEdit(record.title)
        self.title_edit.setMaxLength(MAX_TITLE)
        self.artist_edit = QLineEdit(record.artist)
        self.artist_edit.setMaxLength(MAX_TEXT)
        self.year_edit = QLineEdit(record.year)
        self.year_edit.setMaxLength(MAX_YEAR)
        self.year_edit.setPlaceholderText("e.g. 1889 or c. 1830")
        self.source_edit = QLineEdit(record.source)
        self.source_edit.setMaxLength(MAX_TEXT)
        self.source_edit.setPlaceholderText("museum, book or web address")
        self.tags_edit = QLineEdit(", ".join(record.tags))
        self.tags_edit.setPlaceholderText("comma-separated, e.g. impressionism, night")
        self.favourite_check = QCheckBox("Favourite (listed first)")
        self.favourite_check.setChecked(record.favourite)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {warning_colour()}")
        self.error_label.hide()

        form = QFormLayout()
        form.addRow("&Title:", self.title_edit)
        form.addRow("&Artist:", self.artist_edit)
        form.addRow("&Year:", self.year_edit)
        form.addRow("&Source:", self.source_edit)
        form.addRow("Ta&gs:", self.tags_edit)
        form.addRow("", self.favourite_check)
        size = QLabel(f"{record.width} × {record.height} pixels")
        size.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Image:", size)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        # Room for a museum's name and every hint without scrolling them out of view.
        edits = (self.title_edit, self.artist_edit, self.year_edit, self.source_edit,
                 self.tags_edit)
        metrics = self.title_edit.fontMetrics()
        char = metrics.averageCharWidth()
        width = max([char * FIELD_CHARS]
                    + [metrics.horizontalAdvance(e.placeholderText()) + 4 * char for e in edits])
        for edit in edits:
            edit.setMinimumWidth(width)
            edit.setCursorPosition(0)  # a long source reads from its start, not its end
        # The painting itself, beside its details: which one this is, at a glance.
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        thumbnail = QPixmap(str(record.thumbnail_path))  # null if it is missing or broken
        if not thumbnail.isNull():
            self.preview.setPixmap(thumbnail.scaled(
                PREVIEW_SIZE, PREVIEW_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
        else:
            self.preview.hide()
        top = QHBoxLayout()
        top.addWidget(self.preview)
        top.addLayout(form, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def values(self) -> dict[str, object]:
        return {
            "title": self.title_edit.text(),
            "artist": self.artist_edit.text(),
            "year": self.year_edit.text(),
            "source": self.source_edit.text(),
            "tags": self.tags_edit.text(),
            "favourite": self.favourite_check.isChecked(),
        }

    def changes(self) -> dict[str, object]:
        """The validated fields that differ from the record (raises GalleryError)."""
        cleaned = clean_details(self.values())
        return {k: v for k, v in cleaned.items() if getattr(self._record, k) != v}

    def accept(self) -> None:
        try:
            self.changes()
        except GalleryError as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        super().accept()
