"""The style gallery panel: a searchable thumbnail grid of the person's styles.

Add styles by dropping image files (or folders, or image data) on the grid,
with "Import Images…", "Import Style Archive…", or :meth:`add_from_path`.
Double-click (or Enter) uses the selected styles; several make a blend.
Delete sends the selection away with undo (Ctrl+Z); the images go to the
trash once the undo history can no longer bring them back.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import shiboken6
from PySide6.QtCore import (
    QFileSystemWatcher,
    QItemSelection,
    QItemSelectionModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QImage, QKeySequence, QUndoStack
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from nst_desktop.core.gallery_records import clean_details
from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.errors import GalleryError
from nst_desktop.text import counted
from nst_desktop.ui import gallery_dialogs
from nst_desktop.ui.gallery_commands import EditStyleCommand, TrashStylesCommand
from nst_desktop.ui.gallery_delegate import StyleDelegate
from nst_desktop.ui.gallery_importer import GalleryImporter, ImportResult
from nst_desktop.ui.gallery_model import GalleryFilterModel, GalleryModel, GalleryRole
from nst_desktop.ui.gallery_toolbar import GalleryToolbar
from nst_desktop.ui.gallery_view import GalleryView
from nst_desktop.ui.widgets import WrappingLabel

SYNC_DELAY_MS = 300


class GalleryPanel(QWidget):
    """The gallery panel.

    Signals:
        styles_activated(list[str]): image paths the person chose to use as the
            style; more than one means a blend.
        message(str): something to tell the person (import results, errors,
            files that vanished from the gallery folder).
        import_finished(list[str]): ids of the styles one import added.
    """

    styles_activated = Signal(list)
    message = Signal(str)
    import_finished = Signal(list)

    def __init__(self, store: GalleryStore | None = None, parent: QWidget | None = None, *,
                 icon_size: int = 128, undo_stack: QUndoStack | None = None) -> None:
        """``undo_stack``: the host window's, so that its edits and the gallery's are one
        history that Ctrl+Z goes back through whatever has focus; else the panel's own."""
        super().__init__(parent)
        self._owns_store = store is None
        self.store = store if store is not None else GalleryStore()
        self._closed = False
        self.model = GalleryModel(self.store, icon_size=icon_size, parent=self)
        self.model.edit_handler = self.edit_style
        self.model.error.connect(self.show_message)
        self.proxy = GalleryFilterModel(self)
        self.proxy.setSourceModel(self.model)
        self.view = GalleryView(icon_size, self)
        self.view.setModel(self.proxy)
        self.proxy.filter_changed.connect(self.view.viewport().update)
        self.delegate = StyleDelegate(icon_size, self.view)
        self.view.setItemDelegate(self.delegate)
        if undo_stack is None:
            undo_stack = QUndoStack(self)
            undo_stack.setUndoLimit(100)
        self.undo_stack = undo_stack
        self._trash_commands: list[TrashStylesCommand] = []
        self.toolbar = GalleryToolbar(self.proxy, self.store.tags, self)
        # An import's report, one line a file: six lines at most, all of it in the tooltip,
        # so that fifty bad files do not squeeze the gallery out of its dock.
        self.status = WrappingLabel(parent=self, max_lines=6)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        self.setAcceptDrops(False)  # the grid takes drops

        self.importer = GalleryImporter(self.store, self)
        self.importer.started.connect(self.show_message)
        self.importer.finished.connect(self.on_importer_finished)

        self._watcher = QFileSystemWatcher([str(self.store.images_dir)], self)
        self._sync_timer = QTimer(self)
        self._sync_timer.setSingleShot(True)
        self._sync_timer.setInterval(SYNC_DELAY_MS)
        self._watcher.directoryChanged.connect(self._sync_timer.start)
        self._sync_timer.timeout.connect(self.on_sync_timer_timeout)

        self._make_actions()
        self.view.activated.connect(self.on_view_activated)
        self.view.selectionModel().selectionChanged.connect(self.on_selection_changed)
        self.on_selection_changed()
        self.view.files_dropped.connect(self.add_paths)
        self.view.image_dropped.connect(self.add_image)
        self.view.customContextMenuRequested.connect(self.on_view_context_menu)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.delegate.favourite_clicked.connect(self.on_delegate_favourite_clicked)
        self.undo_stack.indexChanged.connect(self.on_undo_stack_index_changed)
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.dataChanged):
            signal.connect(self.toolbar.schedule_tag_refresh)
        self.toolbar.refresh_tags()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        if self.store.open_report:
            QTimer.singleShot(0, self, lambda: self.show_message(
                "\n".join(self.store.open_report.messages())))

    def _make_actions(self) -> None:
        def action(text: str, slot, shortcut=None) -> QAction:
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.import_action = action("Import Images…", self.on_import_action_triggered)
        self.import_archive_action = action("Import Style Archive…",
                                            self.on_import_archive_action_triggered)
        self.export_action = action("Export Selected as Archive…",
                                    self.on_export_action_triggered)
        self.use_action = action("Use as Style", self.activate_selected)
        self.rename_action = action("Rename", self.rename_current, Qt.Key.Key_F2)
        self.details_action = action("Edit Details…", self.edit_details_of_current)
        self.favourite_action = action("Toggle Favourite", self.toggle_favourite_of_selection)
        self.delete_action = action("Delete", self.delete_selected, QKeySequence.StandardKey.Delete)
        self._selection_actions = [self.export_action, self.use_action, self.rename_action,
                                   self.details_action, self.favourite_action,
                                   self.delete_action]
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        for act, key in ((self.undo_action, QKeySequence.StandardKey.Undo),
                         (self.redo_action, QKeySequence.StandardKey.Redo)):
            act.setShortcut(QKeySequence(key))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(act)
        self.toolbar.set_menu_actions([self.import_action, self.import_archive_action,
                                       self.export_action, None, self.undo_action,
                                       self.redo_action])

    def focus_order(self) -> list[QWidget]:
        """The panel's Tab order, as it reads: search and its menu, the filters, the styles."""
        bar = self.toolbar
        return [bar.search_edit, bar.menu_button, bar.tag_combo, bar.favourites_button,
                bar.order_combo, self.view]

    def release_undo_shortcuts(self) -> None:
        """Give up the panel's own Ctrl+Z / Ctrl+Shift+Z, for a host window that routes
        undo through a QUndoGroup (two Ctrl+Z shortcuts would be ambiguous: neither fires)."""
        for act in (self.undo_action, self.redo_action):
            act.setShortcut(QKeySequence())

    # -- selection -----------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        """The selected styles, in the order shown."""
        rows = sorted(self.view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [str(i.data(GalleryRole.Id)) for i in rows]

    def select_ids(self, style_ids: list[str]) -> None:
        selection = QItemSelection()
        first = None
        for style_id in style_ids:
            index = self.proxy.mapFromSource(self.model.index_of(style_id))
            if index.isValid():
                selection.select(index, index)
                first = first or index
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.view.selectionModel().select(selection, flags)
        if first is not None:
            self.view.selectionModel().setCurrentIndex(
                first, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.view.scrollTo(first)

    # -- using styles ----------------------------------------------------------------------
    def on_view_activated(self, index) -> None:
        self.activate_selected()

    def activate_selected(self) -> None:
        """Emit ``styles_activated`` with the selected styles' image paths."""
        ids = self.selected_ids()
        if not ids:
            return
        records = [self.store.get(i) for i in ids]
        if any(not r.image_path.is_file() for r in records):
            self.on_sync_timer_timeout()  # reports and drops what vanished
            records = [r for r in records if r.id in self.store]
            if not records:
                return
        self.store.mark_used([r.id for r in records])
        self.styles_activated.emit([str(r.image_path) for r in records])

    # -- adding ----------------------------------------------------------------------------
    def add_from_path(self, path: str | Path) -> None:
        """Add one image file (e.g. the window's current style) in the background."""
        self.add_paths([str(path)])

    def add_paths(self, paths: list[str]) -> None:
        """Import image files and folders of images in the background."""
        self.importer.add_paths(list(paths))

    def add_image(self, image: QImage) -> None:
        """Import image data that came without a file (dropped from a browser)."""
        self.importer.add_image(image)

    def import_archive(self, archive: str | Path) -> None:
        """Import the styles of a style archive (.zip) in the background."""
        self.importer.import_archive(archive)

    def on_importer_finished(self, result: ImportResult) -> None:
        if self._closed:
            return
        self.show_message(result.summary())
        self.select_ids(result.added or result.existing)
        self.import_finished.emit(result.added)

    def is_importing(self) -> bool:
        return self.importer.is_busy()

    # -- editing -----------------------------------------------------------------------------
    def edit_style(self, style_id: str, changes: dict[str, object]) -> None:
        """Change a style's details through the undo stack (raises GalleryError)."""
        record = self.store.get(style_id)
        cleaned = clean_details(changes)
        changed = {k: v for k, v in cleaned.items() if getattr(record, k) != v}
        if changed:
            self.undo_stack.push(EditStyleCommand(self.store, style_id, changed,
                                                  report=self.show_message))

    def rename_current(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self.view.edit(index)

    def edit_details_of_current(self) -> None:
        index = self.view.currentIndex()
        if not index.isValid():
            return
        record = self.store.get(str(index.data(GalleryRole.Id)))
        changes = gallery_dialogs.ask_style_details(self, record)
        if changes:
            self.edit_style(record.id, changes)

    def on_delegate_favourite_clicked(self, style_id: str) -> None:
        self.toggle_favourite([style_id])

    def toggle_favourite_of_selection(self) -> None:
        self.toggle_favourite(self.selected_ids())

    def toggle_favourite(self, style_ids: list[str]) -> None:
        """Make them all favourites, or if they all are already, none."""
        records = [self.store.get(i) for i in style_ids if i in self.store]
        if not records:
            return
        value = not all(r.favourite for r in records)
        self.undo_stack.beginMacro("Favourite" if value else "Unfavourite")
        for record in records:
            self.edit_style(record.id, {"favourite": value})
        self.undo_stack.endMacro()

    # -- deleting ------------------------------------------------------------------------------
    def delete_selected(self) -> None:
        """Delete the selection (undoable); the selection moves to the neighbour."""
        ids = self.selected_ids()
        if not ids:
            return
        first_row = min(i.row() for i in self.view.selectionModel().selectedRows())
        command = TrashStylesCommand(self.store, ids, report=self.show_message,
                                     select=self.select_ids)
        self._trash_commands.append(command)
        self.undo_stack.push(command)
        count = self.proxy.rowCount()
        if count:
            neighbour = self.proxy.index(min(first_row, count - 1), 0)
            self.select_ids([str(neighbour.data(GalleryRole.Id))])
        undo = QKeySequence(QKeySequence.StandardKey.Undo).toString(
            QKeySequence.SequenceFormat.NativeText)
        self.show_message(f"{command.text()}. Undo with {undo}.")

    def on_undo_stack_index_changed(self, index: int) -> None:
        self.purge_unreachable()

    def purge_unreachable(self) -> None:
        """Send to the trash what no command on the undo stack can bring back."""
        reachable: set[str] = set()
        alive = []
        for command in self._trash_commands:
            if shiboken6.isValid(command):
                alive.append(command)
                if command.applied:
                    reachable.update(command.style_ids)
        self._trash_commands = alive
        doomed = [i for i in self.store.trashed_ids() if i not in reachable]
        if doomed:
            self.store.purge(doomed)

    # -- archives --------------------------------------------------------------------------------
    def on_import_action_triggered(self) -> None:
        paths = gallery_dialogs.ask_image_files(self)
        if paths:
            self.add_paths(paths)

    def on_import_archive_action_triggered(self) -> None:
        path = gallery_dialogs.ask_archive_to_import(self)
        if path:
            self.import_archive(path)

    def on_export_action_triggered(self) -> None:
        ids = self.selected_ids()
        if not ids:
            self.show_message("Select the styles to export first.")
            return
        dest = gallery_dialogs.ask_archive_to_export(self, len(ids))
        if dest:
            self.export(ids, Path(dest))

    def export(self, style_ids: list[str], dest: Path) -> None:
        from nst_desktop.core.gallery_archive import export_styles

        try:
            count = export_styles(self.store, style_ids, dest)
        except GalleryError as exc:
            self.show_message(str(exc))
            return
        self.show_message(f"Exported {counted(count, 'style')} to {dest.name}.")

    # -- folder sync, messages, context menu, shutdown ------------------------------------------
    def on_sync_timer_timeout(self) -> None:
        if self._closed:
            return
        try:
            report = self.store.sync()
        except GalleryError as exc:
            self.show_message(str(exc))
            return
        if str(self.store.images_dir) not in self._watcher.directories():
            self._watcher.addPath(str(self.store.images_dir))
        if report:
            self.show_message("\n".join(report.messages()))

    def show_message(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        if text:
            self.message.emit(text)

    def on_view_context_menu(self, pos) -> None:
        gallery_dialogs.context_menu(self).popup(self.view.viewport().mapToGlobal(pos))

    def on_selection_changed(self, *args: object) -> None:
        has_selection = self.view.selectionModel().hasSelection()
        for act in self._selection_actions:
            act.setEnabled(has_selection)

    def shutdown(self) -> None:
        """Finish for good: stop imports and loads, purge what was deleted, close the store."""
        if self._closed:
            return
        self._closed = True
        self._sync_timer.stop()
        self.importer.shutdown()
        self.model.detach()
        self.undo_stack.clear()
        with contextlib.suppress(GalleryError):  # else purged on the next open
            self.store.purge()
        if self._owns_store:
            self.store.close()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)
