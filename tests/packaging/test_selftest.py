"""The headless self-test, and first start in a hostile environment: no network,
an empty or read-only home, missing weights or resources."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from nst_desktop import selftest
from nst_desktop.core.paths import resource_dir

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "packaging" / "pyinstaller" / "nst_desktop_frozen.py"
QT_FREE = ("runtime", "resources", "weights", "engine", "png")

# engine/run.py converts the loss to float while it still requires grad; torch
# warns about that since 2.x. Engine-side, reported to the lead; not this test's concern.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Converting a tensor with requires_grad=True to a scalar:UserWarning"
)


def run_python(*args: str, cwd: Path, env: dict[str, str] | None = None):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def report(checks=QT_FREE) -> tuple[int, str]:
    out = io.StringIO()
    code = selftest.run_self_test(out, checks)
    return code, out.getvalue()


def test_all_qt_free_checks_pass_and_leave_the_empty_home_empty(temp_home):
    code, text = report()
    assert code == 0, text
    for name in QT_FREE:
        assert f"ok    {name}" in text, text
    assert "2 steps at 32x24 px on cpu" in text
    assert text.rstrip().endswith("self-test passed (5 checks)")
    assert list(temp_home.iterdir()) == []  # writes nothing, creates no folders


def test_self_test_needs_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    code, text = report()
    assert code == 0, text


def test_missing_weights_fail_with_a_readable_message(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere" / "vgg19.bin"
    monkeypatch.setenv("NST_DESKTOP_VGG_WEIGHTS", str(missing))
    code, text = report()
    assert code == 1
    assert f"FAIL  weights   the VGG-19 weights file {missing} is missing" in text
    assert "FAIL  engine" in text and str(missing) in text.split("FAIL  engine")[1]
    assert "ok    png" in text  # the other checks still ran
    assert "Traceback" not in text
    assert "self-test FAILED: weights, engine" in text


def test_missing_resources_are_named(monkeypatch, tmp_path):
    (tmp_path / "icons").mkdir()
    monkeypatch.setattr(selftest, "resource_dir", lambda: tmp_path)
    code, text = report(("resources",))
    assert code == 1
    assert "app icon sizes missing" in text and "16x16" in text and "scalable" in text


def test_png_round_trip_keeps_params_and_pixels():
    code, text = report(("png",))
    assert code == 0, text
    assert "params" in text and "survive a PNG round trip" in text


def test_resource_dir_is_the_shipped_folder_whatever_the_cwd_and_home(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("NST_DESKTOP_HOME", str(blocker / "home"))
    monkeypatch.chdir(tmp_path)
    found = resource_dir()
    assert found == ROOT / "resources"
    assert (found / "icons" / "hicolor" / "48x48" / "apps").is_dir()


def test_read_only_home_full_self_test_in_a_fresh_process(tmp_path):
    """Run as root, chmod cannot make a folder read-only; a home below a plain
    file cannot be created or written by anyone, which is what matters."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    run = run_python(
        "-m",
        "nst_desktop.selftest",
        cwd=tmp_path,
        env={
            "NST_DESKTOP_HOME": str(blocker / "home"),
            "QT_QPA_PLATFORM": "offscreen",
            "CUDA_VISIBLE_DEVICES": "",
        },
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok    qt" in run.stdout, run.stdout
    assert "self-test passed (6 checks)" in run.stdout
    assert blocker.read_text() == "not a directory"


def test_frozen_entry_script_dispatches_self_test(tmp_path):
    run = run_python(str(ENTRY), "--self-test", cwd=tmp_path, env={"QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "self-test passed" in run.stdout


def test_self_test_reports_failure_with_exit_code_one(tmp_path):
    run = run_python(
        str(ENTRY),
        "--self-test",
        cwd=tmp_path,
        env={"NST_DESKTOP_VGG_WEIGHTS": str(tmp_path / "none.bin"), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert run.returncode == 1
    assert "self-test FAILED" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
