"""Saving with parameters embedded, never overwriting by default, and restoring by drop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from nst_desktop.core.imageio import load_image, read_params
from nst_desktop.engine import Result


def fake_result(window) -> Result:
    """A finished result as the runner would show it (no engine run needed to test saving)."""
    job = window.runner.build_job()
    h, w = 36, 48
    image = np.linspace(0, 1, h * w * 3, dtype=np.float32).reshape(h, w, 3)
    result = Result(image, job.params, elapsed=1.0, device="cpu", steps=5)
    window.runner.show_result(result)
    return result


def test_save_as_writes_the_parameters_and_they_read_back(loaded_window, dialogs, tmp_path):
    w = loaded_window
    w.model.set_value("style_weight", 123.0)
    result = fake_result(w)
    target = tmp_path / "out" / "mine.png"
    target.parent.mkdir()
    dialogs.save_file = (str(target), "PNG image (*.png)")
    assert w.saving.save_as() == target
    assert read_params(target) == result.params
    assert read_params(target).strength == 123.0
    assert w.runner.saved_path == str(target)
    assert "Saved" in w.status_label.text()
    # The dialog was offered a name made from the inputs, in a folder, that did not exist.
    (call,) = dialogs.named("save")
    assert call[1].endswith("photo-painting.png")


def test_save_adds_the_suffix_of_the_chosen_format(loaded_window, dialogs, tmp_path):
    fake_result(loaded_window)
    dialogs.save_file = (str(tmp_path / "noext"), "JPEG image (*.jpg *.jpeg)")
    written = loaded_window.saving.save_as()
    assert written == tmp_path / "noext.jpg" and written.is_file()
    assert load_image(written).size == (48, 36)


def test_the_default_name_never_overwrites(loaded_window, dialogs, tmp_path):
    w = loaded_window
    fake_result(w)
    w.settings.set_last_dir("save", str(tmp_path))
    existing = tmp_path / "photo-painting.png"
    existing.write_bytes(b"precious")
    first = w.saving.save()
    assert first is not None and first != existing and existing.read_bytes() == b"precious"
    fake_result(w)  # a new result
    second = w.saving.save()
    assert second not in (first, existing) and second.is_file()
    assert not dialogs.named("save")  # the folder was known: no dialog


def test_a_failed_save_shows_a_message_and_keeps_the_result(loaded_window, dialogs, tmp_path):
    w = loaded_window
    result = fake_result(w)
    assert w.saving.save_to(tmp_path / "missing" / "x.png") is None
    assert dialogs.named("warning") and w.result is result and w.runner.saved_path is None


def test_copy_puts_the_result_on_the_clipboard(loaded_window):
    fake_result(loaded_window)
    loaded_window.copy_action.trigger()
    image = QGuiApplication.clipboard().image()
    assert (image.width(), image.height()) == (48, 36)


def test_dropping_a_saved_result_restores_its_parameters_and_inputs(
    loaded_window, dialogs, tmp_path, qtbot, style_file_2
):
    from nst_desktop.ui.main_window import MainWindow

    w = loaded_window
    w.inputs.open_path(str(style_file_2), "style")
    w.style_pane.set_weight(1, 0.25)
    w.model.set_value("style_weight", 77.0)
    w.model.set_value("preserve_color", "histogram")
    result = fake_result(w)
    dialogs.save_file = (str(tmp_path / "saved.png"), "PNG image (*.png)")
    saved = w.saving.save_as()

    fresh = MainWindow(devices=w.devices)
    qtbot.addWidget(fresh)
    fresh.model.set_value("style_weight", 5.0)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(saved))])
    fresh.result_pane.handle_mime(mime)

    assert fresh.model.params.strength == 77.0
    assert fresh.model.value("preserve_color") == "histogram"
    assert fresh.content is not None and fresh.content.path == result.params.content
    assert [e.image.path for e in fresh.style_pane.entries] == [
        s.path for s in result.params.styles
    ]
    assert fresh.style_pane.weights() == [1.0, 0.25]
    assert fresh.result is not None and fresh.runner.saved_path == str(saved)
    assert "Restored the settings of saved.png" in fresh.status_label.text()
    fresh.undo_action.trigger()  # restoring is one undo step
    assert fresh.model.params.strength == 5.0


def test_closing_with_an_unsaved_result_asks_first(loaded_window, dialogs):
    w = loaded_window
    fake_result(w)
    dialogs.question_answer = QMessageBox.StandardButton.Cancel
    assert not w.close()
    dialogs.question_answer = QMessageBox.StandardButton.Discard
    assert w.close()


def test_file_dialogs_open_in_the_last_folder_while_it_exists_else_pictures(
        tmp_path, monkeypatch):
    from PySide6.QtCore import QStandardPaths

    from nst_desktop.ui.settings import AppSettings

    settings = AppSettings()
    pictures = tmp_path / "Pictures"
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _where: str(pictures))
    assert settings.start_folder("open") == Path.home()  # no Pictures folder yet
    pictures.mkdir()
    assert settings.start_folder("open") == pictures
    last = tmp_path / "holiday"
    last.mkdir()
    settings.set_last_dir("open", str(last))
    assert settings.start_folder("open") == last
    assert settings.start_folder("save") == pictures  # each kind remembers its own
    last.rmdir()  # a folder since deleted (or an unplugged card) is not offered
    assert settings.start_folder("open") == pictures


def real_result(window, qtbot) -> Result:
    """The result of a real engine run in the window (tiny: a few steps at 48 px)."""
    with qtbot.waitSignal(window.runner.controller.finished, timeout=120_000) as blocker:
        window.run_action.trigger()
    qtbot.waitUntil(lambda: not window.runner.is_running(), timeout=20_000)
    assert window.result is blocker.args[0]
    return blocker.args[0]


def test_save_as_sixteen_bit_png_keeps_a_real_result(loaded_window, dialogs, tmp_path, qtbot):
    """16-bit PNG once failed on every real result: the engine's array is not contiguous."""
    from tests.core.pngbuild import chunks_of

    w = loaded_window
    result = real_result(w, qtbot)
    dialogs.save_file = (str(tmp_path / "deep.png"), "PNG image, 16 bits per channel (*.png)")
    saved = w.saving.save_as()
    assert saved == tmp_path / "deep.png", dialogs.texts()
    assert not dialogs.named("warning")
    ihdr = dict(chunks_of(saved.read_bytes()))[b"IHDR"]
    assert ihdr[8] == 16  # bits per channel
    image = load_image(saved)
    assert image.bit_depth == 16 and image.alpha is None
    np.testing.assert_allclose(image.rgb, result.image, atol=0.5 / 65535 + 1e-7)
    assert read_params(saved) == result.params
