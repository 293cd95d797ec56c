"""The gallery's questions to the person: file choosers, the details dialog, the menu.

Kept apart so that tests replace them (a dialog is never left to block a test)
and the panel stays about the gallery itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMenu, QWidget

from nst_desktop.core.gallery_archive import ARCHIVE_SUFFIX
from nst_desktop.core.gallery_records import StyleRecord
from nst_desktop.core.thumbnails import IMAGE_SUFFIXES
from nst_desktop.text import counted
from nst_desktop.ui.style_details_dialog import StyleDetailsDialog

IMAGE_FILTER = "Images ({});;All files (*)".format(
    " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)))
ARCHIVE_FILTER = f"Style archives (*{ARCHIVE_SUFFIX} *.zip);;All files (*)"


def ask_image_files(parent: QWidget) -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(parent, "Import Style Images", "", IMAGE_FILTER)
    return paths


def ask_archive_to_import(parent: QWidget) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, "Import Style Archive", "", ARCHIVE_FILTER)
    return path


def ask_archive_to_export(parent: QWidget, count: int) -> str:
    path, _ = QFileDialog.getSaveFileName(
        parent, f"Export {counted(count, 'Style')}", f"styles{ARCHIVE_SUFFIX}", ARCHIVE_FILTER)
    if path and not path.endswith(".zip"):
        path += ARCHIVE_SUFFIX
    return path


def ask_style_details(parent: QWidget, record: StyleRecord) -> dict[str, object] | None:
    """The changed fields, or None if the person cancelled or changed nothing."""
    dialog = StyleDetailsDialog(record, parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.changes() or None
    finally:
        dialog.deleteLater()


def context_menu(panel) -> QMenu:
    """The grid's context menu (deletes itself when closed)."""
    menu = QMenu(panel)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    for action in (panel.use_action, None, panel.rename_action, panel.details_action,
                   panel.favourite_action, panel.delete_action, None, panel.import_action,
                   panel.import_archive_action, panel.export_action, None, panel.undo_action,
                   panel.redo_action):
        if action is None:
            menu.addSeparator()
        else:
            menu.addAction(action)
    return menu


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
