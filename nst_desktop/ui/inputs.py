"""Getting images into the window: drops, pastes, File ▸ Open, recent files, web addresses,
and restoring a saved result's parameters."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSize, QUrl
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from nst_desktop.core.imageio import IMAGE_FILE_FILTER, LoadedImage, load_image, load_image_bytes
from nst_desktop.core.imagemeta import ignored_settings
from nst_desktop.core.kept_inputs import keep_bytes, keep_image
from nst_desktop.engine import Params, Result, scaled_shape
from nst_desktop.errors import ImageLoadError, NSTError
from nst_desktop.ui.image_pane import ImagePane
from nst_desktop.ui.params_model import PARAM_KEYS
from nst_desktop.ui.qt_images import rgb_to_qimage
from nst_desktop.ui.remote_fetch import RemoteFetch
from nst_desktop.ui.widgets import busy_cursor

if TYPE_CHECKING:
    from nst_desktop.ui.main_window import MainWindow

# Parameters a saved result restores; inputs are restored as images, not as values.
RESTORED_KEYS = sorted(PARAM_KEYS - {"content", "styles", "init_image", "device"})


def unopened_warning(problems: list[str]) -> tuple[str, str]:
    """The title and text of one warning about the files that would not open."""
    title = "Cannot open image" if len(problems) == 1 else "Cannot open images"
    return title, "\n\n".join(problems)


def style_change_text(replaced: list[str], added: list[str]) -> str:
    """What the status line says when styles were added (to nothing, or to a blend) or
    replaced others: "Replaced The Starry Night with The Scream." """
    def names(titles: list[str]) -> str:
        return titles[0] if len(titles) == 1 else f"a blend of {len(titles)} styles"

    if not replaced:
        return f"Added style {names(added)}."
    if replaced == added:
        return f"Style: {names(added)}."
    return f"Replaced {names(replaced)} with {names(added)}."


class Inputs(QObject):
    """Routes images from every source to the right place. No signals."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.fetcher = RemoteFetch(parent=self)
        self._fetch_target: ImagePane | None = None
        self._fetch_replaces = False
        w = window
        w.content_pane.image_dropped.connect(self.on_content_dropped)
        w.style_pane.image_dropped.connect(self.on_style_dropped)
        w.result_pane.image_dropped.connect(self.on_result_dropped)
        for pane in (w.content_pane, w.style_pane, w.result_pane):
            pane.drop_refused.connect(w.show_status)
            pane.remote_url_dropped.connect(lambda url, p=pane: self.on_remote_url_dropped(p, url))
        self.fetcher.fetched.connect(self.on_fetched)
        self.fetcher.failed.connect(self.on_fetch_failed)

    # -- where images go ----------------------------------------------------------------------
    def kept(self, image: LoadedImage) -> tuple[LoadedImage, bool]:
        """A pasted or downloaded image (no file) kept in the data folder, so that the runs
        made with it can be restored from the history; as it is where it cannot be kept,
        which the status line then says (the second value: True)."""
        if image.path:
            return image, False
        try:
            with busy_cursor():
                return keep_image(image), False
        except NSTError as exc:
            self.window.show_status(
                f"{exc} It is used as it is, but the history will not be able to restore it.")
            return image, True

    def set_content(self, image: LoadedImage) -> None:
        w = self.window
        image, said = self.kept(image)
        w.content = image
        qimage = rgb_to_qimage(image.to_uint8())
        w.content_pane.canvas.set_image(qimage)
        name = Path(image.path).name if image.path else "Pasted image"
        width, height = image.size
        w.content_pane.set_info(f"{name} · {width} × {height}")
        w.result_pane.canvas.set_compare_image(qimage)
        w.params_panel.set_content_shape((height, width))
        if image.path:
            w.settings.add_recent("content", image.path)
        if not said:
            w.show_status(f"Photo: {name}")
        w.update_actions()

    def on_content_dropped(self, image: LoadedImage) -> None:
        if image.params is not None:
            self.restore_result(image)
        else:
            self.set_content(image)
            ignored = ignored_settings(image.notes)
            if ignored:
                self.window.show_status(ignored)

    def on_style_dropped(self, image: LoadedImage) -> None:
        pane = self.window.style_pane
        replaced = [e.name for e in pane.entries] if pane.take_replace_pending() else []
        if replaced:
            pane.clear()
        image, said = self.kept(image)
        pane.add_style(image)
        if image.path:
            self.window.settings.add_recent("style", image.path)
        if not said:
            self.window.show_status(style_change_text(replaced, [pane.entries[-1].name]))

    def add_style(self, image: LoadedImage) -> None:
        """Add ``image`` to the blend (never replaces)."""
        self.window.style_pane.replace_pending = False
        self.on_style_dropped(image)

    def on_result_dropped(self, image: LoadedImage) -> None:
        ignored = ignored_settings(image.notes)
        if image.params is not None:
            self.restore_result(image)
        elif ignored:  # it was dropped to restore them: say why not, change nothing
            self.window.show_status(f"{ignored} Nothing was changed.")
        else:
            self.set_content(image)
            self.window.show_status(
                "That image carries no NST Desktop settings, so it became the photo."
            )

    def on_styles_activated(self, paths: list[str]) -> None:
        """The gallery chose these styles: they replace the current ones."""
        images = self._load_paths(paths)
        if images:
            pane = self.window.style_pane
            replaced = [e.name for e in pane.entries]
            pane.replace_styles(images)  # one undo step
            for image in images:
                self.window.settings.add_recent("style", image.path)
            added = [e.name for e in pane.entries]
            self.window.show_status(style_change_text(replaced, added))

    def _load_paths(self, paths: list[str], warn: bool = True) -> list[LoadedImage]:
        """The images of ``paths`` that open; what went wrong with the others in one warning
        (as Open Photo has; only the status line where ``warn`` is False)."""
        images, problems = [], []
        with busy_cursor():
            for path in paths:
                try:
                    images.append(load_image(path))
                except ImageLoadError as exc:
                    problems.append(str(exc))
        if problems:
            self.window.show_status(problems[0])
            if warn:
                QMessageBox.warning(self.window, *unopened_warning(problems))
        return images

    # -- restoring a saved result -----------------------------------------------------------------
    def restore_result(self, image: LoadedImage) -> None:
        """Take a saved result's parameters, its inputs where they still exist, and the image."""
        w = self.window
        params = image.params
        assert params is not None
        name = Path(image.path).name or "the dropped image"
        found = self.restore_params(params, f"Restore settings of {name}")
        w.runner.show_result(
            Result(image=image.rgb, params=params, elapsed=0.0, device="", steps=0),
            saved_path=image.path or None, alpha=image.alpha,
        )
        w.show_status(f"Restored the settings of {name}{found}. Ctrl+Z undoes.")

    def restore_params(self, params: Params, undo_text: str) -> str:
        """Put ``params`` in the panel as one undo step (``undo_text``) and load its photo
        and styles where the files still exist; returns what was found, for a message."""
        w = self.window
        values = {key: getattr(params, key) for key in RESTORED_KEYS}
        if values.get("init") == "image":
            values["init"] = "content"
        w.model.edit_many(values, undo_text)
        found = []
        if params.content and Path(params.content).is_file():
            try:
                with busy_cursor():
                    self.set_content(load_image(params.content))
                found.append("photo")
            except ImageLoadError:
                pass
        # what is not found or will not open is said in the status line ("... not found")
        styles = self._load_paths([s.path for s in params.styles if Path(s.path).is_file()],
                                  warn=False)
        if styles:
            w.style_pane.clear()
            weights = {s.path: s.weight for s in params.styles}
            for style in styles:
                w.style_pane.add_style(style, weights.get(style.path, 1.0))
            found.append(f"{len(styles)} style{'s' if len(styles) > 1 else ''}")
        return f" ({', '.join(found)} found)" if found else " (its input images were not found)"

    def show_kept_result(self, path: str) -> bool:
        """Show a result kept in the history, without touching the parameters."""
        w = self.window
        if w.runner.is_running():
            w.show_status("Stop the run first: its result is shown in the result pane.")
            return False
        try:
            with busy_cursor():
                image = load_image(path)
        except ImageLoadError as exc:
            w.show_status(str(exc))
            return False
        params = image.params if image.params is not None else w.model.params
        # steps=0: it is already kept, so closing need not offer to save it.
        result = Result(image=image.rgb, params=params, elapsed=0.0, device="", steps=0)
        w.runner.show_result(result, alpha=image.alpha)
        w.show_status("Showing a run from the history. Save it with Ctrl+S; "
                      "Restore puts its settings back.")
        return True

    # -- paste -----------------------------------------------------------------------------------
    def paste(self) -> None:
        pane = self.window.focused_pane() or self.window.content_pane
        pane.handle_mime(QApplication.clipboard().mimeData())

    # -- web addresses ---------------------------------------------------------------
    def on_remote_url_dropped(self, pane: ImagePane, url: str) -> None:
        host = QUrl(url).host() or url
        answer = QMessageBox.question(
            self.window,
            "Download image?",
            f"The dropped picture is only a web address:\n{url}\n\n"
            f"Download it from {host}? (up to {self.fetcher.max_bytes // 2**20} MB)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.window.show_status("Nothing downloaded.")
            return
        self._fetch_target = pane
        self._fetch_replaces = (
            pane is self.window.style_pane and self.window.style_pane.replace_pending
        )
        self.window.show_status(f"Downloading from {host}…")
        self.fetcher.start(url)

    def on_fetched(self, data: bytes, name: str) -> None:
        pane, self._fetch_target = self._fetch_target, None
        if pane is None:
            return
        try:
            with busy_cursor():
                image = self._load_download(data, name)
                if pane is self.window.style_pane:
                    self.window.style_pane.replace_pending = self._fetch_replaces
                pane.image_dropped.emit(image)
        except ImageLoadError as exc:
            pane.show_refusal(str(exc))
            self.window.show_status(str(exc))

    def _load_download(self, data: bytes, name: str) -> LoadedImage:
        """The downloaded image, kept under its own name first (so that its runs can be
        restored from the history). Where its bytes cannot be kept it comes without a path,
        and :meth:`kept` tries once more as a pasted image would, and says if that fails."""
        image = load_image_bytes(data, name=name)  # a bad download is refused before it is kept
        if image.params is not None:
            return image  # a result to restore, not an input
        try:
            return dataclasses.replace(image, path=str(keep_bytes(data, name or "downloaded")))
        except NSTError:
            return image

    def on_fetch_failed(self, message: str) -> None:
        pane, self._fetch_target = self._fetch_target, None
        if pane is not None:
            pane.show_refusal(message)
        self.window.show_status(message)

    # -- dialogs and recent files ------------------------------------------------------
    def _start_dir(self, kind: str) -> str:
        return str(self.window.settings.start_folder(kind))

    def open_content(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open Photo", self._start_dir("open"), IMAGE_FILE_FILTER
        )
        if path:
            self.window.settings.set_last_dir("open", str(Path(path).parent))
            self.open_path(path, "content")

    def open_styles(self, add: bool = False) -> None:
        """Choose paintings: they replace the styles, or join the blend (``add``)."""
        paths, _ = QFileDialog.getOpenFileNames(
            self.window,
            "Add Styles to the Blend" if add else "Open Styles",
            self._start_dir("styles"),
            IMAGE_FILE_FILTER,
        )
        if not paths:
            return
        self.window.settings.set_last_dir("styles", str(Path(paths[0]).parent))
        images = self._load_paths(paths)
        if images and not add:
            self.window.style_pane.clear()
        for image in images:
            self.add_style(image)

    def open_result(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open Result", self._start_dir("save"), IMAGE_FILE_FILTER
        )
        if path:
            self.open_path(path, "result")

    def open_path(self, path: str, kind: str) -> bool:
        """Load ``path`` as the photo, a style or a result; a clear message on failure."""
        problem = self.open_quietly(path, kind)
        if problem is not None:
            QMessageBox.warning(self.window, *unopened_warning([problem]))
        return problem is None

    def open_quietly(self, path: str, kind: str) -> str | None:
        """:meth:`open_path` without the dialog: what went wrong, or None."""
        try:
            with busy_cursor():
                image = load_image(path)
                if kind == "style":
                    self.add_style(image)
                elif kind == "result":
                    self.on_result_dropped(image)
                else:
                    self.set_content(image)
        except ImageLoadError as exc:
            self.window.show_status(str(exc))
            return str(exc)
        return None

    def fill_recent_menu(self) -> None:
        menu = self.window.recent_menu
        menu.clear()
        settings = self.window.settings
        for kind, title in (("content", "Photos"), ("style", "Styles")):
            paths = settings.recent(kind)
            if not paths:
                continue
            menu.addSection(title)
            for path in paths:
                label = self.window.gallery_title(path) if kind == "style" else None
                action = menu.addAction(label or Path(path).name)
                action.setToolTip(path)
                action.triggered.connect(lambda _c=False, p=path, k=kind: self.open_recent(p, k))
        if menu.isEmpty():
            menu.addAction("No recent files").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear Recent Files").triggered.connect(self.clear_recent)

    def open_recent(self, path: str, kind: str) -> None:
        if not Path(path).is_file():
            self.window.show_status(f"{path} no longer exists; removed from recent files.")
            items = [p for p in self.window.settings.recent(kind) if p != path]
            self.window.settings.clear_recent(kind)
            for p in reversed(items):
                self.window.settings.add_recent(kind, p)
            return
        if kind == "style":  # a recent painting replaces the styles, like a drop would
            images = self._load_paths([path])
            if images:
                self.window.style_pane.clear()
                self.add_style(images[0])
            return
        self.open_path(path, kind)

    def clear_recent(self) -> None:
        for kind in ("content", "style"):
            self.window.settings.clear_recent(kind)

    def output_size(self, params: Params) -> QSize:
        """The final image's size for ``params`` (the result pane's logical size)."""
        content = self.window.content
        if content is None:
            return QSize()
        h, w = scaled_shape(content.rgb.shape[0], content.rgb.shape[1], params.size)
        return QSize(w, h)
