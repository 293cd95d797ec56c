"""Saving the result (parameters embedded), copying it, and not losing it on close."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from nst_desktop.core.imageio import save_image, unique_path
from nst_desktop.errors import ImageSaveError
from nst_desktop.ui.qt_images import rgb_to_qimage

if TYPE_CHECKING:
    from nst_desktop.ui.main_window import MainWindow

# Save dialog filters: (filter text, suffix, bit depth).
SAVE_FILTERS = [
    ("PNG image (*.png)", ".png", 8),
    ("PNG image, 16 bits per channel (*.png)", ".png", 16),
    ("JPEG image (*.jpg *.jpeg)", ".jpg", 8),
    ("WebP image (*.webp)", ".webp", 8),
    ("TIFF image, 16 bits per channel (*.tif *.tiff)", ".tif", 16),
]


def default_stem(names: list[str]) -> str:
    """'tubingen-The_Starry_Night' from the inputs' names; safe on every file system."""
    stem = "-".join(n for n in names[:3] if n) or "nst-result"
    return re.sub(r"[^\w.+-]+", "_", stem)[:80]


class Saving(QObject):
    """Save, Save As, Copy. No signals."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def _folder(self) -> Path:
        return self.window.settings.start_folder("save")

    def default_path(self, suffix: str | None = None) -> Path:
        """A path in the last folder that does not exist yet: never overwrites."""
        result = self.window.result
        params = result.params if result is not None else None
        names = []
        if params is not None:
            names = [Path(params.content).stem if params.content else ""]
            names += [self.window.style_title(s.path) for s in params.styles if s.path]
        stem = default_stem(names)
        return unique_path(self._folder(), stem, suffix or self.window.settings.save_suffix())

    def save(self) -> Path | None:
        """Save to a new file in the last folder; ask where the first time."""
        w = self.window
        w.params_panel.commit_edits()  # what the fields show is what is kept
        if w.result is None:
            return None
        if w.runner.saved_path:
            w.show_status(f"Already saved as {w.runner.saved_path}.")
            return Path(w.runner.saved_path)
        if not w.settings.last_dir("save"):
            return self.save_as()
        return self.save_to(self.default_path(), int(w.settings.value("save/bit_depth", 8)))

    def save_as(self) -> Path | None:
        w = self.window
        w.params_panel.commit_edits()
        if w.result is None:
            return None
        filters = [f for f, _, _ in SAVE_FILTERS]
        suffix = w.settings.save_suffix()
        depth = int(w.settings.value("save/bit_depth", 8))
        chosen = next((f for f, s, d in SAVE_FILTERS if s == suffix and d == depth), filters[0])
        path, selected = QFileDialog.getSaveFileName(
            w, "Save Result", str(self.default_path(suffix)), ";;".join(filters), chosen
        )
        if not path:
            return None
        _, filter_suffix, bit_depth = next(
            (f for f in SAVE_FILTERS if f[0] == selected), SAVE_FILTERS[0]
        )
        target = Path(path)
        if target.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"):
            target = target.with_name(target.name + filter_suffix)
        return self.save_to(target, bit_depth)

    def save_to(self, path: Path, bit_depth: int = 8) -> Path | None:
        """Write the result with its parameters; a message (not a crash) on failure."""
        w = self.window
        result = w.result
        if result is None:
            return None
        if path.suffix.lower() in (".jpg", ".jpeg", ".webp"):
            bit_depth = 8
        try:
            # The photo's alpha goes back on, as the CLI and the history write a result.
            written = save_image(path, result.image, alpha=w.runner.result_alpha,
                                 params=result.params, bit_depth=bit_depth)
        except ImageSaveError as exc:
            QMessageBox.warning(w, "Cannot save", str(exc))
            w.show_status(str(exc))
            return None
        w.runner.saved_path = str(written)
        w.settings.set_last_dir("save", str(written.parent))
        w.settings.set_save_suffix(written.suffix.lower())
        w.settings.set_value("save/bit_depth", bit_depth)
        w.show_status(f"Saved {written}")
        return written

    def copy_result(self) -> None:
        w = self.window
        if w.result is not None:
            QApplication.clipboard().setImage(rgb_to_qimage(w.result.image))
            w.show_status("Result copied to the clipboard.")

    def confirm_discard(self) -> bool:
        """Before closing: offer to save a result that would be lost: never saved, and not
        in the history (a stopped run, or one the history could not keep)."""
        w = self.window
        if (w.result is None or w.runner.saved_path or w.result.steps == 0
                or w.kept_result is w.result):
            return True
        answer = QMessageBox.question(
            w,
            "Save the result?",
            "The result has not been saved. Save it before closing?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save() is not None
        return answer == QMessageBox.StandardButton.Discard
