"""The history panel: recording runs, reopening, restoring parameters, deleting."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nst_desktop.core.history import HistoryStore
from nst_desktop.engine.params import Params, StyleInput
from nst_desktop.ui.history_model import HistoryModel, HistoryRole
from nst_desktop.ui.history_panel import HistoryPanel


@pytest.fixture
def params():
    return Params(content="/photos/tubingen.jpg", styles=(StyleInput("/art/starry.jpg"),),
                  size=64, style_weight=42.0, seed=5)


@pytest.fixture
def panel(qtbot):
    widget = HistoryPanel(icon_size=48)
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()
    assert widget.model.loader.wait_for_done(0)


def record(panel, qtbot, image, params, **kwargs):
    with qtbot.waitSignal(panel.entry_recorded, timeout=20_000) as blocker:
        panel.record_result(image, params, kwargs.get("elapsed", 3.5),
                            kwargs.get("device", "cpu"))
    return blocker.args[0]


def test_model_passes_qtmodeltester(qtbot, qtmodeltester, content_image, params):
    store = HistoryStore()
    store.record(content_image, params, 1.0, "cpu")
    store.record(content_image, params.replace(seed=1), 2.0, "cpu")
    model = HistoryModel(store)
    qtmodeltester.check(model)
    assert model.index(0, 0).data(HistoryRole.Elapsed) == 2.0  # newest first
    assert "Style: /art/starry.jpg" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    model.shutdown()


def test_a_finished_run_is_recorded_in_the_background_and_listed(panel, qtbot,
                                                                  content_image, params):
    buffer = content_image.copy()
    entry = record(panel, qtbot, buffer, params, elapsed=12.0, device="cuda:0")
    buffer[:] = 0  # the window reusing its buffer does not change what was recorded
    assert panel.entry_ids() == [entry.id]
    assert entry.params == params and entry.device == "cuda:0"
    shown = panel.model.index(0, 0).data(Qt.ItemDataRole.DisplayRole)
    assert "tubingen × starry" in shown and "12.0\u00a0s on CUDA:0" in shown  # as the status says
    qtbot.waitUntil(lambda: panel.model.index(0, 0).data(HistoryRole.ThumbnailReady),
                    timeout=10_000)
    second = record(panel, qtbot, content_image, params.replace(seed=6))
    assert panel.entry_ids() == [second.id, entry.id]
    assert HistoryPanel().entry_ids() == [second.id, entry.id]  # it is on disk


def test_the_window_can_name_styles(panel, qtbot, content_image, params):
    panel.style_namer = {"/art/starry.jpg": "The Starry Night"}.get
    entry = record(panel, qtbot, content_image, params)
    assert entry.title == "tubingen × The Starry Night"
    assert "tubingen × The Starry Night" in panel.model.index(0, 0).data()


def test_open_restore_and_delete(panel, qtbot, content_image, params):
    older = record(panel, qtbot, content_image, params)
    newer = record(panel, qtbot, content_image, params.replace(style_weight=7.0))
    panel.select_row(1)
    with qtbot.waitSignal(panel.open_requested) as opened:
        qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [str(older.result_path)]
    with qtbot.waitSignal(panel.params_restore_requested) as restored:
        qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    assert restored.args[0] == params
    panel.select_row(0)
    with qtbot.waitSignal(panel.params_restore_requested) as restored:
        panel.restore_selected()
    assert restored.args[0].style_weight == 7.0
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert panel.entry_ids() == [older.id]
    assert not newer.folder.exists()
    assert panel.selected_entries() == [panel.model.entry_at(0)]  # selection moved on


def test_double_click_opens_and_a_vanished_result_is_reported(panel, qtbot, content_image,
                                                              params):
    entry = record(panel, qtbot, content_image, params)
    rect = panel.view.visualRect(panel.model.index(0, 0))
    with qtbot.waitSignal(panel.open_requested):
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    entry.result_path.unlink()
    with qtbot.assertNotEmitted(panel.open_requested):
        panel.open_selected()
    assert "gone" in panel.status.text()


def test_parameters_that_cannot_be_restored_are_explained(panel, qtbot, content_image, params):
    entry = record(panel, qtbot, content_image, params)
    data = json.loads((entry.folder / "entry.json").read_text())
    data["params"]["size"] = 3  # out of range
    (entry.folder / "entry.json").write_text(json.dumps(data))
    panel.refresh()
    panel.select_row(0)
    with qtbot.assertNotEmitted(panel.params_restore_requested):
        panel.restore_selected()
    assert "cannot be restored" in panel.status.text()


def test_a_result_that_cannot_be_recorded_is_reported(panel, qtbot, params, tmp_path):
    bad = tmp_path / "result.png"
    bad.write_text("not an image")
    with qtbot.waitSignal(panel.message, timeout=20_000) as blocker:
        panel.record_result(bad, params, 1.0, "cpu")
    assert blocker.args[0].count("could not be added to the history") == 1
    assert "Ctrl+S" not in blocker.args[0]  # a file that is saved already
    with qtbot.waitSignal(panel.message, timeout=20_000) as blocker:
        panel.record_result(np.zeros((2, 2)), params, 1.0, "cpu")
    assert blocker.args[0].count("could not be added to the history") == 1
    assert panel.entry_ids() == []


def test_buttons_follow_the_selection(panel, qtbot, content_image, params):
    record(panel, qtbot, content_image, params)
    panel.view.clearSelection()
    assert not panel.open_button.isEnabled() and not panel.delete_button.isEnabled()
    panel.select_row(0)
    assert panel.open_button.isEnabled() and panel.restore_button.isEnabled()


def test_a_full_disk_is_reported_once_and_by_name(panel, qtbot, content_image, params,
                                                  monkeypatch):
    """The record fails in the pool; the message says "could not be added" once, and why."""
    import errno

    from nst_desktop.core import history

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(history, "atomic_write_text", full)
    with qtbot.waitSignal(panel.message, timeout=20_000) as blocker:
        panel.record_result(content_image, params, 1.0, "cpu")
    assert blocker.args[0].count("could not be added to the history") == 1
    assert "the disk is full" in blocker.args[0]
    assert "save it (Ctrl+S) to keep it" in blocker.args[0]  # the image is not lost yet
    assert panel.entry_ids() == []


def test_an_empty_history_says_what_it_will_hold(panel, qtbot, content_image, params):
    from .pixels import inked_pixels

    viewport = panel.view.viewport()
    panel.resize(300, 400)
    assert panel.entry_ids() == [] and panel.view.empty_hint.startswith("No runs yet")
    qtbot.waitUntil(lambda: inked_pixels(viewport) > 50)
    record(panel, qtbot, content_image, params)
    assert panel.model.rowCount() == 1  # the hint is for an empty list only


def test_an_unreadable_entry_neither_stops_the_panel_nor_is_deleted(qtbot, content_image,
                                                                    params):
    store = HistoryStore()
    good = store.record(content_image, params, 1.0, "cpu")
    broken = [store.record(content_image, params.replace(seed=s), 1.0, "cpu") for s in (1, 2)]
    (broken[0].folder / "entry.json").write_text("[]")
    (broken[1].folder / "entry.json").write_text("[" * 100_000 + "]" * 100_000)
    panel = HistoryPanel(store, icon_size=48)
    qtbot.addWidget(panel)
    assert panel.entry_ids() == [good.id]
    assert "2 past runs could not be read" in panel.status.text()
    assert not panel.status.isHidden()
    assert all(b.folder.is_dir() for b in broken)
    panel.shutdown()


@pytest.mark.parametrize("bad", [
    {"style_layer_weights": ["1", "1", "1", "1", "1"]},
    {"size": 1e300},
    {"styles": {"path": "a.png"}},
    {"styles": [{"path": f"/art/{i}.jpg", "weight": 1} for i in range(300)]},
])
def test_restoring_hostile_parameters_says_so_and_changes_nothing(panel, qtbot, content_image,
                                                                  params, bad):
    entry = record(panel, qtbot, content_image, params)
    data = json.loads((entry.folder / "entry.json").read_text())
    data["params"].update(bad)
    (entry.folder / "entry.json").write_text(json.dumps(data))
    panel.refresh()
    panel.select_row(0)
    with qtbot.assertNotEmitted(panel.params_restore_requested):
        panel.restore_selected()
    assert "cannot be restored" in panel.status.text()
    assert len(panel.status.text().splitlines()) == 1
