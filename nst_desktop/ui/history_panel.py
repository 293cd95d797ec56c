"""The history panel: every run that made an image, to reopen, to redo with its parameters,
or to delete.

The window calls :meth:`HistoryPanel.record_result` when a run finishes or is stopped
after a step (marked "stopped at step N"); the result is written into the history on a
worker thread (saving a large PNG takes a moment) and appears on top of the list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.core.history import RECORD_FAILED, HistoryEntry, HistoryStore
from nst_desktop.engine.params import Params
from nst_desktop.errors import NSTError
from nst_desktop.text import counted
from nst_desktop.ui.history_model import HistoryModel, HistoryRole
from nst_desktop.ui.widgets import HintedListView, WrappingLabel


class _RecordRelay(QObject):
    recorded = Signal(object, object)  # HistoryEntry, the caller's token
    failed = Signal(str)


class _RecordJob(QRunnable):
    def __init__(self, store: HistoryStore, result: Path | np.ndarray, params: Params,
                 elapsed: float, device: str, titles: list[str], relay: _RecordRelay,
                 closing: threading.Event, precision: str = "", token: object = None,
                 alpha: np.ndarray | None = None, stopped_at: int = 0) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._args = (store, result, params, elapsed, device, titles, precision)
        self._alpha = alpha
        self._stopped_at = stopped_at
        self._token = token
        self._relay = relay
        self._closing = closing

    def run(self) -> None:
        store, result, params, elapsed, device, titles, precision = self._args
        try:
            entry = store.record(result, params, elapsed, device, style_titles=titles,
                                 precision=precision, alpha=self._alpha,
                                 stopped_at=self._stopped_at)
        except Exception as exc:  # NSTError says what; anything else must not kill the pool
            if not self._closing.is_set():
                self._relay.failed.emit(self._failure(str(exc), result))
            return
        if not self._closing.is_set():
            self._relay.recorded.emit(entry, self._token)

    @staticmethod
    def _failure(reason: str, result: Path | np.ndarray) -> str:
        """One "could not be added" (a write error says it already), and where an image was
        to be kept, that it is not lost yet."""
        text = reason if reason.startswith(RECORD_FAILED) else f"{RECORD_FAILED}: {reason}"
        if isinstance(result, np.ndarray):
            text += " The result is still in the window: save it (Ctrl+S) to keep it."
        return text


class HistoryPanel(QWidget):
    """The list of past runs.

    Signals:
        open_requested(str): the person wants to see this result file.
        params_restore_requested(object): a :class:`Params` to put back in the
            parameter panel (inputs included).
        entry_recorded(object): a :class:`HistoryEntry` was added by :meth:`record_result`.
        result_kept(object): the ``token`` given to :meth:`record_result`, once that run is
            in the history (the window knows then that closing loses nothing).
        message(str): something to tell the person (errors, a missing file).
    """

    open_requested = Signal(str)
    params_restore_requested = Signal(object)
    entry_recorded = Signal(object)
    result_kept = Signal(object)
    message = Signal(str)

    def __init__(self, store: HistoryStore | None = None, parent: QWidget | None = None, *,
                 icon_size: int = 96) -> None:
        super().__init__(parent)
        self.store = store if store is not None else HistoryStore()
        # Names for style paths (the window sets it to GalleryStore.title_for_path), so
        # that the history says "The Starry Night" rather than a file name.
        self.style_namer: Callable[[str], str | None] | None = None
        self.model = HistoryModel(self.store, icon_size=icon_size, parent=self)
        self.view = HintedListView(
            "No runs yet.\nEach finished run is kept here, with its photo, styles and "
            "settings, to open or restore.", self)
        self.view.setModel(self.model)
        self.view.setIconSize(QSize(icon_size, icon_size))
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(True)
        self.view.setSpacing(2)
        self.open_button = QPushButton("Open", self)
        self.open_button.setToolTip("Show this result")
        self.restore_button = QPushButton("Restore", self)
        self.restore_button.setToolTip(
            "Put this run's photo, styles and settings back, to redo or vary it")
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setToolTip("Move the selected runs to the trash")
        self.status = WrappingLabel(parent=self, max_lines=4)
        self.status.hide()
        buttons = QHBoxLayout()
        buttons.setContentsMargins(4, 4, 4, 4)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

        self.delete_action = QAction("Delete", self)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.delete_action)

        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # runs are recorded in the order they finished
        self._closing = threading.Event()
        self._relay = _RecordRelay(self)
        self._relay.recorded.connect(self.on_relay_recorded)
        self._relay.failed.connect(self.show_message)

        self.view.activated.connect(self.on_view_activated)
        self.open_button.clicked.connect(self.open_selected)
        self.restore_button.clicked.connect(self.restore_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.delete_action.triggered.connect(self.delete_selected)
        self.view.selectionModel().selectionChanged.connect(self.on_selection_changed)
        self.on_selection_changed()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- recording -------------------------------------------------------------------------
    def focus_order(self) -> list[QWidget]:
        """The panel's Tab order: the runs, then their buttons."""
        return [self.view, self.open_button, self.restore_button, self.delete_button]

    def record_result(self, result: str | Path | np.ndarray, params: Params, elapsed: float,
                      device: str, precision: str = "", token: object = None, *,
                      alpha: np.ndarray | None = None, stopped_at: int = 0) -> None:
        """Add a run (the saved file, or the RGB image with the photo's ``alpha``) in the
        background; ``stopped_at``: the step a stopped run ended at, 0 for a finished one."""
        # A copy of an array: the caller may reuse its buffer while this is written.
        kept = np.array(result, copy=True) if isinstance(result, np.ndarray) else Path(result)
        alpha = None if alpha is None else np.array(alpha, copy=True)
        titles = [(self.style_namer(s.path) if self.style_namer else None) or ""
                  for s in params.styles]
        self._pool.start(_RecordJob(self.store, kept, params, elapsed, device, titles,
                                    self._relay, self._closing, precision, token, alpha,
                                    stopped_at))

    def on_relay_recorded(self, entry: HistoryEntry, token: object = None) -> None:
        if self._closing.is_set():  # recorded while the window closed: listed next time
            return
        self.model.add_entry(entry)
        self.entry_recorded.emit(entry)
        if token is not None:
            self.result_kept.emit(token)

    # -- acting on the selection -------------------------------------------------------------
    def selected_entries(self) -> list[HistoryEntry]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        return [self.model.entry_at(r) for r in rows]

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.view.setCurrentIndex(index)

    def on_view_activated(self, index) -> None:
        self.open_selected()

    def open_selected(self) -> None:
        entries = self.selected_entries()
        if not entries:
            return
        path = entries[0].result_path
        if not path.is_file():
            self.show_message(f"The result of this run is gone ({path.name} was deleted).")
            return
        self.open_requested.emit(str(path))

    def restore_selected(self) -> None:
        entries = self.selected_entries()
        if not entries:
            return
        try:
            params = entries[0].params
        except NSTError as exc:
            self.show_message(f"These parameters cannot be restored: {exc}")
            return
        self.params_restore_requested.emit(params)

    def delete_selected(self) -> None:
        entries = self.selected_entries()
        if not entries:
            return
        first = min(i.row() for i in self.view.selectionModel().selectedRows())
        ids = [e.id for e in entries]
        try:
            self.store.delete(ids)
        except NSTError as exc:
            self.show_message(str(exc))
            self.refresh()
            return
        self.model.remove_ids(ids)
        if self.model.rowCount():
            self.select_row(min(first, self.model.rowCount() - 1))
        self.show_message(f"Moved {counted(len(ids), 'run')} to the trash.")

    def on_selection_changed(self, *args: object) -> None:
        has_selection = self.view.selectionModel().hasSelection()
        for widget in (self.open_button, self.restore_button, self.delete_button):
            widget.setEnabled(has_selection)
        self.delete_action.setEnabled(has_selection)

    # -- misc --------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.model.refresh()

    def entry_ids(self) -> list[str]:
        return [str(self.model.index(r, 0).data(HistoryRole.Id))
                for r in range(self.model.rowCount())]

    def show_message(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        if text:
            self.message.emit(text)

    def shutdown(self) -> None:
        """Finish the runs being recorded and stop loading thumbnails."""
        if self._closing.is_set():
            return
        self._pool.waitForDone()
        self._closing.set()
        self.model.shutdown()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)
