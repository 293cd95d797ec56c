"""The style gallery and the run history, wired into the main window.

:func:`attach_library` builds both panels in the window's docks (the real app
does this in :func:`nst_desktop.ui.app.open_window`; tests that only need the
window build :class:`MainWindow` alone). Each panel may fail to open on its
own (a gallery written by a newer version, an unwritable home): the window
then says why, in the status bar and in the dock, and works without it.

What the wiring does:

- gallery: double-click / Enter / Gallery ▸ Use Selected Styles replaces the
  styles (several make a blend); dragging styles onto the style pane drops
  their files; "Add Style to Gallery" (style pane context menu, Gallery menu)
  imports the style shown; the gallery's titles name gallery styles in the
  window, the history and the default save name.
- history: every finished run is recorded (off the GUI thread); Open shows a
  past result, Restore puts its settings back as one undo step and
  reloads its photo and styles where they still exist.
- undo: the gallery's edits go on the window's undo stack: one history, which
  Ctrl+Z goes back through whatever has focus (a text field being edited keeps
  its own Ctrl+Z).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QStyle

from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.core.history import HistoryStore
from nst_desktop.engine import Params, Result
from nst_desktop.errors import NSTError
from nst_desktop.ui.gallery_panel import GalleryPanel
from nst_desktop.ui.history_panel import HistoryPanel

if TYPE_CHECKING:
    from nst_desktop.ui.main_window import MainWindow

GALLERY_COLUMNS = 2  # the gallery dock's first width shows up to this many thumbnails a row
GALLERY_SHARE = 0.25  # of the window's width, the most those columns may take at first


def unavailable_label(what: str, reason: str) -> QLabel:
    """What a dock shows instead of a panel that could not be opened."""
    label = QLabel(f"<b>{what} is not available.</b><br><br>{reason}")
    label.setObjectName("library_unavailable")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setMargin(12)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def gallery_width(gallery: GalleryPanel, columns: int) -> int:
    """The panel width that shows ``columns`` thumbnails a row beside the scroll bar."""
    view = gallery.view
    scroll_bar = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, view)
    return columns * view.gridSize().width() + scroll_bar + 2 * view.frameWidth() + 2


def first_gallery_width(gallery: GalleryPanel, window_width: int) -> int:
    """The gallery dock's first width: the most whole columns of thumbnails, up to
    GALLERY_COLUMNS, that fit in GALLERY_SHARE of the window, and one column at least; on
    a small screen the result keeps the room a second column would take."""
    for columns in range(GALLERY_COLUMNS, 1, -1):
        width = gallery_width(gallery, columns)
        if width <= GALLERY_SHARE * window_width:
            return width
    return gallery_width(gallery, 1)


class Library(QObject):
    """The window's gallery and history panels and their wiring. No signals.

    ``gallery`` and ``history`` are None when that part could not be opened.
    """

    def __init__(
        self,
        window: MainWindow,
        gallery_store: GalleryStore | None = None,
        history_store: HistoryStore | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.gallery: GalleryPanel | None = None
        self.history: HistoryPanel | None = None
        self.problems: list[str] = []
        self._closed = False
        try:
            self.gallery = GalleryPanel(gallery_store, undo_stack=window.undo_stack)
        except NSTError as exc:
            self.problems.append(f"The style gallery cannot be opened: {exc}")
            window.set_gallery_widget(unavailable_label("The style gallery", str(exc)))
        try:
            self.history = HistoryPanel(history_store)
        except NSTError as exc:
            self.problems.append(f"The run history cannot be opened: {exc}")
            window.set_history_widget(unavailable_label("The run history", str(exc)))
        if self.gallery is not None:
            self._wire_gallery(self.gallery)
            self._build_actions(self.gallery)
        if self.history is not None:
            self._wire_history(self.history)
        window.order_focus([
            *(self.gallery.focus_order() if self.gallery is not None else []),
            *(self.history.focus_order() if self.history is not None else []),
        ])
        window.gallery_dock.raise_()
        if not window.state_restored and self.gallery is not None:
            width = first_gallery_width(self.gallery, window.width())
            window.resizeDocks([window.gallery_dock], [width], Qt.Orientation.Horizontal)
        window.startup_problems.extend(self.problems)
        window.show_startup_problems()

    # -- wiring ----------------------------------------------------------------------------
    def _wire_gallery(self, gallery: GalleryPanel) -> None:
        w = self.window
        gallery.setObjectName("gallery_panel")
        w.set_gallery_widget(gallery)
        gallery.styles_activated.connect(w.inputs.on_styles_activated)
        gallery.message.connect(w.show_status)
        w.style_namer = gallery.store.title_for_path
        # One Ctrl+Z for the window, on the one stack (two shortcuts would be ambiguous).
        # It used to follow the focus: after a double-click in the gallery, Undo greyed
        # out and Ctrl+Z did nothing to the style change it had just made.
        gallery.release_undo_shortcuts()

    def _wire_history(self, history: HistoryPanel) -> None:
        w = self.window
        history.setObjectName("history_panel")
        w.set_history_widget(history)
        if self.gallery is not None:
            history.style_namer = self.gallery.store.title_for_path
        history.open_requested.connect(self.on_history_open_requested)
        history.params_restore_requested.connect(self.on_history_params_restore_requested)
        history.message.connect(w.show_status)
        history.result_kept.connect(w.on_result_kept)
        w.runner.result_ready.connect(self.on_run_ended)

    def _build_actions(self, gallery: GalleryPanel) -> None:
        w = self.window
        self.add_style_action = QAction("Add Style to Gallery", w)
        self.add_style_action.setStatusTip("Keep the style shown in the Style pane in the gallery")
        self.add_style_action.triggered.connect(self.add_current_style)
        self.add_style_action.setEnabled(bool(w.style_pane.entries))
        w.style_pane.styles_changed.connect(self.on_style_pane_styles_changed)
        separator = QAction(w.style_pane)
        separator.setSeparator(True)
        w.style_pane.insertActions(w.clear_styles_action, [self.add_style_action, separator])

        self.gallery_menu = QMenu("&Gallery", w.menuBar())
        self.gallery_menu.setObjectName("gallery_menu")
        w.menuBar().insertMenu(w.run_menu.menuAction(), self.gallery_menu)
        self.gallery_menu.addActions([gallery.use_action, self.add_style_action])
        self.gallery_menu.addSeparator()
        self.gallery_menu.addActions(
            [gallery.import_action, gallery.import_archive_action, gallery.export_action]
        )

    # -- the gallery -------------------------------------------------------------------------
    def on_style_pane_styles_changed(self) -> None:
        self.add_style_action.setEnabled(bool(self.window.style_pane.entries))

    def add_current_style(self) -> None:
        """Import the style shown in the style pane into the gallery (in the background)."""
        w = self.window
        entry = w.style_pane.selected_entry()
        if self.gallery is None or entry is None:
            w.show_status("Add a painting to the Style pane first.")
            return
        self.show_gallery()
        path = entry.image.path
        record = self.gallery.store.find_by_path(path) if path else None
        if record is not None:
            self.gallery.select_ids([record.id])
            w.show_status(f"'{record.title}' is already in the gallery.")
        elif path and Path(path).is_file():
            self.gallery.add_from_path(path)
        else:  # pasted, or its file is gone: the pixels on screen are what there is
            self.gallery.add_image(entry.qimage)

    def show_gallery(self) -> None:
        self.window.gallery_dock.show()
        self.window.gallery_dock.raise_()

    # -- the history ---------------------------------------------------------------------------
    def on_run_ended(self, result: Result, alpha: np.ndarray | None) -> None:
        """Keep every run that made an image, a stopped one marked "stopped at step N"."""
        if self.history is not None and not self._closed:
            self.history.record_result(result.image, result.params, result.elapsed, result.device,
                                       result.precision, token=result, alpha=alpha,
                                       stopped_at=result.steps if result.cancelled else 0)

    def on_history_open_requested(self, path: str) -> None:
        self.window.inputs.show_kept_result(path)

    def on_history_params_restore_requested(self, params: Params) -> None:
        found = self.window.inputs.restore_params(params, "Restore settings of a past run")
        self.window.show_status(f"Restored the settings of that run{found}. Ctrl+Z undoes.")

    # -- closing ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Finish recording runs, stop imports and thumbnail loads, close the gallery."""
        if self._closed:
            return
        self._closed = True
        if self.history is not None:
            self.history.shutdown()
        if self.gallery is not None:
            self.gallery.shutdown()


def attach_library(
    window: MainWindow,
    gallery_store: GalleryStore | None = None,
    history_store: HistoryStore | None = None,
) -> Library:
    """Give ``window`` its style gallery and run history (see the module docstring)."""
    library = Library(window, gallery_store, history_store)
    window.library = library
    return library
