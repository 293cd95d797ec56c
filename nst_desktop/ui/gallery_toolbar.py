"""The row above the gallery grid: search, tag filter, favourites filter, order, menu."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.core.gallery_records import SortOrder
from nst_desktop.ui.gallery_model import GalleryFilterModel

ALL_TAGS = "All tags"
_ORDERS = [
    ("By title", SortOrder.TITLE),
    ("By artist", SortOrder.ARTIST),
    ("Recently added", SortOrder.RECENTLY_ADDED),
    ("Recently used", SortOrder.RECENTLY_USED),
]


class GalleryToolbar(QWidget):
    """Drives a :class:`GalleryFilterModel`; ``tags`` gives the (tag, count) list."""

    def __init__(self, proxy: GalleryFilterModel, tags: Callable[[], list[tuple[str, int]]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._proxy = proxy
        self._tags = tags
        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText("Search title, artist, year, tag")
        self.search_edit.setClearButtonEnabled(True)
        self.tag_combo = QComboBox(self)
        self.tag_combo.setToolTip("Show only styles with this tag")
        self.tag_combo.addItem(ALL_TAGS, None)
        self.favourites_button = QToolButton(self)
        self.favourites_button.setText("\u2605")
        self.favourites_button.setCheckable(True)
        self.favourites_button.setToolTip("Show only favourites")
        self.order_combo = QComboBox(self)
        self.order_combo.setToolTip("Order (favourites always come first)")
        for label, order in _ORDERS:
            self.order_combo.addItem(label, order)
        self.menu_button = QToolButton(self)
        self.menu_button.setText("\u22ef")
        self.menu_button.setToolTip("Import, export, undo")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setMenu(QMenu(self.menu_button))
        # Two rows, so that the panel fits a narrow dock: search and menu, then the filters.
        for combo in (self.tag_combo, self.order_combo):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(5)  # a long tag name must not widen the dock
        search_row = QHBoxLayout()
        search_row.addWidget(self.search_edit, 1)
        search_row.addWidget(self.menu_button)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.tag_combo, 1)
        filter_row.addWidget(self.favourites_button)
        filter_row.addWidget(self.order_combo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 2)
        layout.setSpacing(4)
        layout.addLayout(search_row)
        layout.addLayout(filter_row)
        self._tag_timer = QTimer(self)
        self._tag_timer.setSingleShot(True)
        self._tag_timer.setInterval(0)
        self._tag_timer.timeout.connect(self.refresh_tags)

        self.search_edit.textChanged.connect(proxy.set_search_text)
        self.tag_combo.currentIndexChanged.connect(self.on_tag_combo_current_index_changed)
        self.favourites_button.toggled.connect(proxy.set_favourites_only)
        self.order_combo.currentIndexChanged.connect(self.on_order_combo_current_index_changed)

    def set_menu_actions(self, actions: list[QAction | None]) -> None:
        menu = self.menu_button.menu()
        for action in actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)

    def schedule_tag_refresh(self, *args: object) -> None:
        self._tag_timer.start()  # many changes in a row refresh once

    def refresh_tags(self) -> None:
        current = self.tag_combo.currentData()
        self.tag_combo.blockSignals(True)
        self.tag_combo.clear()
        self.tag_combo.addItem(ALL_TAGS, None)
        for tag, count in self._tags():
            self.tag_combo.addItem(f"{tag} ({count})", tag)
        found = self.tag_combo.findData(current) if current is not None else 0
        self.tag_combo.setCurrentIndex(max(found, 0))
        self.tag_combo.blockSignals(False)
        if found < 0:  # the chosen tag is gone: show everything again
            self._proxy.set_tag(None)

    def on_tag_combo_current_index_changed(self, index: int) -> None:
        self._proxy.set_tag(self.tag_combo.itemData(index))

    def on_order_combo_current_index_changed(self, index: int) -> None:
        self._proxy.set_sort_order(self.order_combo.itemData(index))
