"""UI test fixtures: no dialog ever blocks, no QThread outlives its test, tiny image files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QFileDialog, QMessageBox

from nst_desktop.engine import DeviceInfo, Params

# Runs in UI tests: a few engine steps at <= 48 px (each ~50-150 ms on a CPU).
TINY = Params(
    size=48, min_size=24, iterations=3, coarse_iterations=2, device="cpu", preview_every=1
)

@dataclass
class DialogRecorder:
    """Every QMessageBox / QFileDialog call of a test, answered without blocking."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    question_answer: QMessageBox.StandardButton = QMessageBox.StandardButton.No
    save_file: tuple[str, str] = ("", "")
    open_file: tuple[str, str] = ("", "")

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.calls if n == name]

    def texts(self) -> str:
        return "\n".join(str(a) for _, args in self.calls for a in args)


@pytest.fixture(autouse=True)
def dialogs(monkeypatch) -> DialogRecorder:
    recorder = DialogRecorder()

    def record(name: str, result: Any):
        def fake(*args: Any, **kwargs: Any) -> Any:
            recorder.calls.append((name, args[1:] + tuple(kwargs.values())))
            return result() if callable(result) else result

        return staticmethod(fake)

    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, record(name, QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "about", record("about", None))
    monkeypatch.setattr(
        QMessageBox, "question", record("question", lambda: recorder.question_answer)
    )
    monkeypatch.setattr(QFileDialog, "getSaveFileName", record("save", lambda: recorder.save_file))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", record("open", lambda: recorder.open_file))
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileNames",
        record("open_many", lambda: ([recorder.open_file[0]] if recorder.open_file[0] else [], "")),
    )
    return recorder


@pytest.fixture(autouse=True)
def no_running_qthreads(monkeypatch, qtbot):
    """Fail a test that leaves a QThread running (every QThread.start is recorded)."""
    started: list[QThread] = []
    original = QThread.start

    def recording_start(self: QThread, *args: Any) -> None:
        started.append(self)
        original(self, *args)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield started
    running = []
    for thread in started:
        try:
            if thread.isRunning():
                running.append(thread.objectName() or repr(thread))
        except RuntimeError:  # the C++ object is gone: it was deleted after finishing
            continue
    for thread in started:
        try:
            thread.wait(20_000)  # don't let a leaked thread crash the next test
        except RuntimeError:
            continue
    assert not running, f"QThreads left running: {running}"


def write_png(path: Path, image: np.ndarray) -> Path:
    Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def content_file(tmp_path, content_image) -> Path:
    return write_png(tmp_path / "photo.png", content_image)


@pytest.fixture
def style_file(tmp_path, style_image) -> Path:
    return write_png(tmp_path / "painting.png", style_image)


@pytest.fixture
def style_file_2(tmp_path, style_image_2) -> Path:
    return write_png(tmp_path / "painting2.png", style_image_2)


@pytest.fixture
def window(qtbot):
    """The main window on the CPU, with tiny default parameters."""
    from nst_desktop.ui.main_window import MainWindow
    from nst_desktop.ui.settings import AppSettings

    settings = AppSettings()
    settings.save_params(TINY, {"seed_locked": True})
    win = MainWindow(settings=settings, devices=[DeviceInfo("cpu", "CPU")])
    qtbot.addWidget(win)
    win.resize(1200, 800)
    yield win
    if win.runner.is_running():
        win.runner.controller.shutdown()


@pytest.fixture
def loaded_window(window, content_file, style_file):
    """The window with a photo and a painting in place."""
    assert window.inputs.open_path(str(content_file), "content")
    assert window.inputs.open_path(str(style_file), "style")
    return window
