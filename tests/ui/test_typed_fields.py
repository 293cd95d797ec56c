"""What a field shows is what runs: text typed without Enter is committed (or reverted) before
a run starts, a save, or an undo; typed with the real keys and the real shortcuts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def shown(loaded_window, qtbot):
    w = loaded_window
    w.show()
    w.activateWindow()
    qtbot.waitActive(w)
    yield w
    if w.runner.is_running():
        w.runner.stop()
        qtbot.waitUntil(lambda: not w.runner.is_running(), timeout=60_000)


def type_into(qtbot, spin, text: str) -> None:
    """Click into the field, select what it holds and type ``text``: no Enter."""
    spin.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(spin.hasFocus)
    spin.selectAll()
    qtbot.keyClicks(spin, text)


def start_with_the_shortcut(w, qtbot, widget) -> int:
    """Ctrl+Enter in ``widget``; the size the run was started with (it is stopped at once)."""
    qtbot.keyClick(widget, Qt.Key.Key_Return, CTRL)
    assert w.runner.is_running() and w.runner.job is not None
    w.runner.stop()
    qtbot.waitUntil(lambda: not w.runner.is_running(), timeout=60_000)
    return w.runner.job.params.size


def test_ctrl_enter_runs_the_size_typed_without_enter(shown, qtbot):
    w = shown
    spin = w.params_panel.size_spin
    assert w.model.value("size") == 48
    type_into(qtbot, spin, "40")
    assert spin.text() == "40 px" and w.model.value("size") == 48  # typed, not entered
    assert start_with_the_shortcut(w, qtbot, spin) == 40
    assert w.model.value("size") == 40 and spin.value() == 40
    w.undo_action.trigger()  # the typing was one undoable edit
    assert w.model.value("size") == 48 and spin.text() == "48 px"


def test_ctrl_z_in_the_field_then_ctrl_enter_runs_what_the_field_shows(shown, qtbot):
    w = shown
    spin = w.params_panel.size_spin
    type_into(qtbot, spin, "40")
    w.params_panel.iterations_spin.setFocus(Qt.FocusReason.TabFocusReason)  # leaving commits
    qtbot.waitUntil(lambda: w.model.value("size") == 40)
    type_into(qtbot, spin, "32")
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL)  # the field's own undo: its text only
    assert spin.text() == "40 px"
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL)
    shows = spin.text()
    assert shows != "32 px"
    assert start_with_the_shortcut(w, qtbot, spin) == int(shows.split()[0])


def test_undo_takes_back_the_typing_in_progress(shown, qtbot):
    w = shown
    panel, model = w.params_panel, w.model
    panel.iterations_spin.setValue(7)  # an earlier edit, one undo step
    type_into(qtbot, panel.size_spin, "40")
    w.undo_action.trigger()  # Edit > Undo, or the toolbar's: the typing, not the step before
    assert model.value("size") == 48 and panel.size_spin.text() == "48 px"
    assert model.value("iterations") == 7
    w.redo_action.trigger()
    assert model.value("size") == 40 and panel.size_spin.text() == "40 px"


def test_a_line_edit_typed_without_enter_is_committed_before_a_run(shown, qtbot):
    w = shown
    edit = w.params_panel.style_layers_edit
    edit.setFocus(Qt.FocusReason.MouseFocusReason)
    edit.selectAll()
    qtbot.keyClicks(edit, "relu1_1, relu2_1")
    assert w.model.value("style_layers") != ("relu1_1", "relu2_1")
    qtbot.keyClick(edit, Qt.Key.Key_Return, CTRL)
    assert w.runner.job is not None and w.runner.job.params.style_layers == ("relu1_1", "relu2_1")
    w.runner.stop()
    qtbot.waitUntil(lambda: not w.runner.is_running(), timeout=60_000)


def test_closing_keeps_the_settings_the_fields_show(shown, qtbot):
    w = shown
    type_into(qtbot, w.params_panel.iterations_spin, "9")
    assert w.close()
    params, _extras = w.settings.load_params()
    assert params.iterations == 9
