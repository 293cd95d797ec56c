"""Getting images in: real QMimeData dropped on the panes, pasted, and web addresses."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from nst_desktop.core import paths
from nst_desktop.core.imageio import load_image
from nst_desktop.ui.qt_images import qimage_to_png_bytes, rgb_to_qimage

from .dnd import drag_enter_event, drop_event


def url_mime(*paths) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop(
    widget, mime: QMimeData, pos: QPoint | None = None, modifiers=Qt.KeyboardModifier.NoModifier
) -> QDropEvent:
    """Send a drag-enter then a drop, as Qt does for a real drag (Qt delivers a drop
    only to the widget that accepted the drag)."""
    if pos is None:
        pos = QPoint(widget.width() // 2, widget.height() // 2)
    buttons, action = Qt.MouseButton.LeftButton, Qt.DropAction.CopyAction
    enter = drag_enter_event(pos, action, mime, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the pane refused the drag"
    event = drop_event(pos, action, mime, buttons, modifiers)
    QApplication.sendEvent(widget, event)
    return event


def test_file_url_drop_sets_the_content(window, content_file, content_image):
    drop(window.content_pane, url_mime(content_file))
    assert window.content is not None and window.content.path == str(content_file)
    assert np.abs(window.content.rgb - content_image).max() < 1 / 255 + 1e-6
    assert window.content_pane.canvas.has_image()
    assert "photo.png · 64 × 48" in window.content_pane.info_label.text()
    assert window.params_panel.content_shape == (48, 64)


def test_several_files_dropped_on_the_style_pane_become_a_blend(window, style_file, style_file_2):
    drop(window.style_pane, url_mime(style_file, style_file_2))
    assert [e.name for e in window.style_pane.entries] == ["painting.png", "painting2.png"]
    assert all(row.slider.isVisibleTo(window.style_pane) for row in window.style_pane.rows)


def test_image_bytes_from_a_browser_are_used_without_fetching(window, dialogs, style_image):
    png = qimage_to_png_bytes(rgb_to_qimage(style_image))
    mime = QMimeData()
    mime.setData("image/png", QByteArray(png))
    mime.setUrls([QUrl("https://example.org/art/painting.png")])
    drop(window.style_pane, mime)
    assert len(window.style_pane.entries) == 1
    image = window.style_pane.entries[0].image
    assert image.size == (64, 64)
    assert Path(image.path).parent == paths.inputs_dir()  # kept, as a paste is
    assert not dialogs.named("question")  # the bytes were there: nothing to ask, nothing fetched


def test_qimage_in_mime_data_is_accepted(window, content_image):
    mime = QMimeData()
    mime.setImageData(rgb_to_qimage(content_image))
    drop(window.content_pane, mime)
    assert window.content is not None and window.content.size == (64, 48)


def test_a_non_image_file_is_refused_visibly_and_changes_nothing(window, tmp_path, content_file):
    drop(window.content_pane, url_mime(content_file))
    before = window.content
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    drop(window.content_pane, url_mime(notes))
    assert window.content is before
    message = window.content_pane.refusal_text()
    assert "notes.txt" in message
    assert window.content_pane.message_label.isVisibleTo(window.content_pane)
    assert "notes.txt" in window.status_label.text()


def test_plain_text_is_refused(window, qtbot):
    mime = QMimeData()
    mime.setText("hello")
    with qtbot.waitSignal(window.style_pane.drop_refused) as blocker:
        window.style_pane.handle_mime(mime)
    assert "text" in blocker.args[0] and not window.style_pane.entries


def test_a_corrupt_image_is_refused(window, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    drop(window.content_pane, url_mime(broken))
    assert window.content is None and "broken.png" in window.content_pane.refusal_text()


def test_a_drag_without_urls_or_images_is_not_accepted(window):
    mime = QMimeData()
    mime.setData("application/x-something", QByteArray(b"x"))
    enter = drag_enter_event(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window.content_pane, enter)
    assert not enter.isAccepted()


def test_paste_goes_into_the_focused_pane(window, qtbot, style_image, content_image):
    window.show()
    qtbot.waitExposed(window)
    QGuiApplication.clipboard().setImage(rgb_to_qimage(style_image))
    window.style_pane.canvas.setFocus()
    qtbot.waitUntil(lambda: window.style_pane.canvas.hasFocus())
    window.paste_action.trigger()
    assert len(window.style_pane.entries) == 1 and window.content is None

    QGuiApplication.clipboard().setImage(rgb_to_qimage(content_image))
    window.content_pane.canvas.setFocus()
    qtbot.waitUntil(lambda: window.content_pane.canvas.hasFocus())
    window.paste_action.trigger()
    assert window.content is not None and window.content.size == (64, 48)


def test_a_pasted_photo_and_painting_are_kept_so_their_runs_name_real_files(
        window, qtbot, style_image, content_image):
    window.show()
    qtbot.waitExposed(window)
    for pane, pixels in ((window.content_pane, content_image), (window.style_pane, style_image)):
        QGuiApplication.clipboard().setImage(rgb_to_qimage(pixels))
        pane.canvas.setFocus()
        qtbot.waitUntil(lambda p=pane: p.canvas.hasFocus())
        window.paste_action.trigger()
    photo, painting = window.content, window.style_pane.entries[0].image
    for image, pixels in ((photo, content_image), (painting, style_image)):
        kept = Path(image.path)
        assert kept.parent == paths.inputs_dir() and kept.name.startswith("Pasted 20")
        assert np.abs(load_image(kept).rgb - pixels).max() < 1 / 255 + 1e-6
    assert photo.path != painting.path
    params = window.runner.build_job().params  # what the history and a saved file will name
    assert params.content == photo.path and params.styles[0].path == painting.path
    assert window.content_pane.info_label.text().startswith("Pasted 20")


def test_a_pasted_photo_that_cannot_be_kept_is_used_and_the_limit_said(
        window, qtbot, content_image, monkeypatch):
    from nst_desktop.errors import ImageSaveError
    from nst_desktop.ui import inputs

    def full(image):
        raise ImageSaveError("The image cannot be kept: the disk is full (no space left in /x).")

    monkeypatch.setattr(inputs, "keep_image", full)
    QGuiApplication.clipboard().setImage(rgb_to_qimage(content_image))
    window.paste_action.trigger()
    assert window.content is not None and window.content.path == ""
    assert window.content.size == (64, 48)
    text = window.status_label.text()
    assert "disk is full" in text and "history will not be able to restore it" in text


def test_paste_of_copied_files(window, content_file):
    QGuiApplication.clipboard().setMimeData(url_mime(content_file))
    window.paste_action.trigger()  # no pane focused: the photo
    assert window.content is not None and window.content.path == str(content_file)


class _Server:
    """A local web server for one test (no network needed)."""

    def __init__(self, body: bytes) -> None:
        body_ = body

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body_)))
                self.end_headers()
                self.wfile.write(body_)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=False)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/art/painting.png"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def remote_mime(url: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl(url)])
    return mime


def test_a_web_address_is_not_fetched_unless_the_person_agrees(window, dialogs, qtbot, style_image):
    png = qimage_to_png_bytes(rgb_to_qimage(style_image))
    with _Server(png) as server:
        dialogs.question_answer = QMessageBox.StandardButton.No
        drop(window.style_pane, remote_mime(server.url))
        assert len(dialogs.named("question")) == 1
        assert "127.0.0.1" in dialogs.texts()
        assert not window.inputs.fetcher.is_busy() and not window.style_pane.entries

        dialogs.question_answer = QMessageBox.StandardButton.Yes
        with qtbot.waitSignal(window.style_pane.image_dropped, timeout=10_000):
            drop(window.style_pane, remote_mime(server.url))
    assert len(window.style_pane.entries) == 1
    image = window.style_pane.entries[0].image
    assert image.size == (64, 64)
    # kept under its own name, byte for byte, so that the history can restore its runs
    kept = Path(image.path)
    assert kept.parent == paths.inputs_dir() and kept.name == "painting.png"
    assert kept.read_bytes() == png


def test_a_download_whose_bytes_cannot_be_kept_is_kept_as_a_paste_would_be(
        window, dialogs, qtbot, style_image, monkeypatch):
    """Its own name too long for the disk, say: the pixels are kept as a PNG instead, once."""
    from nst_desktop.errors import ImageSaveError
    from nst_desktop.ui import inputs

    def refuse(data, name):
        raise ImageSaveError("The downloaded image cannot be kept: the file name is too long.")

    monkeypatch.setattr(inputs, "keep_bytes", refuse)
    png = qimage_to_png_bytes(rgb_to_qimage(style_image))
    dialogs.question_answer = QMessageBox.StandardButton.Yes
    with _Server(png) as server, qtbot.waitSignal(window.style_pane.image_dropped,
                                                  timeout=10_000):
        drop(window.style_pane, remote_mime(server.url))
    kept = Path(window.style_pane.entries[0].image.path)
    assert kept.parent == paths.inputs_dir() and kept.suffix == ".png"
    assert np.abs(load_image(kept).rgb - style_image).max() < 1 / 255 + 1e-6
    assert "cannot be kept" not in window.status_label.text()


def test_a_download_over_the_size_cap_is_abandoned(window, dialogs, qtbot, style_image):
    png = qimage_to_png_bytes(rgb_to_qimage(style_image))
    dialogs.question_answer = QMessageBox.StandardButton.Yes
    window.inputs.fetcher.max_bytes = len(png) - 1
    with (
        _Server(png) as server,
        qtbot.waitSignal(window.inputs.fetcher.failed, timeout=10_000) as b,
    ):
        drop(window.style_pane, remote_mime(server.url))
    assert "larger than" in b.args[0]
    assert not window.style_pane.entries
    assert "larger than" in window.style_pane.refusal_text()


@pytest.mark.parametrize("url", ["ftp://example.org/x.png", "mailto:someone@example.org"])
def test_other_url_schemes_are_refused(window, dialogs, url):
    window.content_pane.handle_mime(remote_mime(url))
    assert window.content is None and not dialogs.named("question")
    assert window.content_pane.refusal_text()


def test_qimage_round_trip_keeps_pixels(style_image):
    from nst_desktop.ui.qt_images import qimage_to_rgb

    image = rgb_to_qimage(style_image)
    assert isinstance(image, QImage) and image.size().width() == 64
    back = qimage_to_rgb(image)
    assert np.abs(back.astype(np.float32) / 255 - style_image).max() <= 0.5 / 255 + 1e-6


def test_a_drop_on_the_style_view_replaces_and_on_the_strip_adds(
    window, qtbot, style_file, style_file_2
):
    pane = window.style_pane
    window.show()
    qtbot.waitExposed(window)
    drop(pane, url_mime(style_file))
    drop(pane, url_mime(style_file_2))  # on the large view: replaces
    assert [e.name for e in pane.entries] == ["painting2.png"]

    zone = pane.add_zone
    pane.layout().activate()  # lay out the strip that the first drop made visible
    centre = zone.mapTo(pane, zone.rect().center())
    assert pane.childAt(centre) is zone
    drop(pane, url_mime(style_file), centre)
    assert [e.name for e in pane.entries] == ["painting2.png", "painting.png"]

    drop(
        pane,
        url_mime(style_file_2),
        QPoint(pane.width() // 2, pane.height() // 3),
        Qt.KeyboardModifier.ControlModifier,
    )
    assert len(pane.entries) == 3
    qtbot.waitUntil(lambda: pane.rows[0].slider.isVisible())  # rows are shown by a queued call


def test_a_refused_drop_does_not_leave_the_style_pane_in_replace_mode(
    window, tmp_path, style_file, style_file_2
):
    window.inputs.open_path(str(style_file), "style")
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    window.style_pane.handle_mime(url_mime(notes))
    window.inputs.open_path(str(style_file_2), "style")  # File > Add Style to Blend
    assert len(window.style_pane.entries) == 2


def test_the_wait_cursor_shows_while_an_image_opens_and_never_stays(
    window, content_file, style_file, tmp_path, monkeypatch
):
    """Opening a large photo holds the GUI thread for seconds: the wait cursor shows while
    it decodes (File ▸ Open, a drop), is gone afterwards, and never covers a message."""
    from nst_desktop.ui import drops as drops_module
    from nst_desktop.ui import inputs as inputs_module

    def cursor_now():
        cursor = QApplication.overrideCursor()
        return None if cursor is None else cursor.shape()

    seen = []
    real = inputs_module.load_image

    def recording(path, *args, **kwargs):
        seen.append(cursor_now())
        return real(path, *args, **kwargs)

    monkeypatch.setattr(inputs_module, "load_image", recording)
    monkeypatch.setattr(drops_module, "load_image", recording)
    at_warning = []
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda *a, **k: at_warning.append(cursor_now())))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)

    assert window.inputs.open_path(str(content_file), "content")
    drop(window.style_pane, url_mime(style_file))
    assert window.style_pane.entries
    assert not window.inputs.open_path(str(broken), "content")
    assert seen == [Qt.CursorShape.WaitCursor] * 3
    assert at_warning == [None]  # the message about the broken file came without it
    assert cursor_now() is None


def test_open_style_with_a_file_that_will_not_open_warns_and_keeps_the_rest(
        window, dialogs, monkeypatch, tmp_path, style_file, style_file_2):
    """Open Style… with several paintings chosen: those that open replace the styles, and
    the ones that do not are said in one warning, as Open Photo… says its one (they were
    only in the status line, the first of them)."""
    from PySide6.QtWidgets import QFileDialog

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 40)
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture")
    chosen = [str(broken), str(style_file), str(notes)]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: (chosen, "")))
    window.add_style_action.trigger()
    assert [e.image.path for e in window.style_pane.entries] == [str(style_file)]
    warnings = dialogs.named("warning")
    assert len(warnings) == 1 and warnings[0][0] == "Cannot open images"
    assert "broken.jpg" in warnings[0][1] and "notes.png" in warnings[0][1]
    # Add Style to Blend… with one good and one bad: added to the blend, one warning.
    chosen = [str(style_file_2), str(notes)]
    window.blend_style_action.trigger()
    assert [e.image.path for e in window.style_pane.entries] == [str(style_file),
                                                                 str(style_file_2)]
    assert len(dialogs.named("warning")) == 2
    assert dialogs.named("warning")[1][0] == "Cannot open image"


def test_a_recent_painting_that_no_longer_opens_is_warned_about(window, dialogs, tmp_path,
                                                                 style_file):
    damaged = tmp_path / "was_fine.png"
    damaged.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)  # overwritten since it was opened
    window.inputs.open_recent(str(style_file), "style")
    window.inputs.open_recent(str(damaged), "style")
    assert [e.image.path for e in window.style_pane.entries] == [str(style_file)]
    assert "was_fine.png" in dialogs.named("warning")[0][1]


def test_a_drop_of_several_says_which_did_not_open(window, tmp_path, style_file, style_file_2):
    """Three paintings dropped, one of them damaged: the two become the blend, and the pane
    and the status line say what became of the third (it vanished without a word)."""
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    drop(window.style_pane, url_mime(style_file, broken, style_file_2))
    assert [e.name for e in window.style_pane.entries] == ["painting.png", "painting2.png"]
    assert "broken.png" in window.style_pane.refusal_text()
    assert "broken.png" in window.status_label.text()
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    drop(window.style_pane, url_mime(notes, style_file, broken))
    assert "2 of the dropped items were not opened" in window.style_pane.refusal_text()
    # A drop that all opens says nothing of the kind.
    drop(window.style_pane, url_mime(style_file))
    assert window.style_pane.refusal_text() == ""
