"""Damaged saved settings (recent files, window choices, last parameters) never stop the
window from starting: each falls back to its default."""

from __future__ import annotations

import pytest

from nst_desktop.engine.params import Params
from nst_desktop.ui.settings import AppSettings

DEEP = "[" * 100_000 + "]" * 100_000
DAMAGED = ["5", "null", "true", DEEP, '{"a": 1}', "9" * 5000, "[NaN]"]


@pytest.mark.parametrize("raw", DAMAGED, ids=[f"case{i}" for i in range(len(DAMAGED))])
def test_damaged_recent_files_read_as_none(qtbot, raw):
    settings = AppSettings()
    settings.qsettings.setValue("recent/content", raw)
    assert settings.recent("content") == []
    settings.add_recent("content", "/photos/a.png")  # and it heals on the next use
    assert settings.recent("content") == ["/photos/a.png"]


@pytest.mark.parametrize("raw", DAMAGED, ids=[f"case{i}" for i in range(len(DAMAGED))])
def test_damaged_parameters_and_choices_read_as_defaults(qtbot, raw):
    settings = AppSettings()
    settings.qsettings.setValue("params/json", raw)
    settings.qsettings.setValue("params/extras", raw)
    params, extras = settings.load_params()
    assert params == Params() and extras == {}
