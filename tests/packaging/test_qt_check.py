"""Before QApplication: a missing X11 library is one message with the command that installs
it, not Qt's abort (exit 134); the self-test asks only for the platform the session uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nst_desktop import qt_check
from nst_desktop.qt_check import XCB_LIBRARIES, platform_problem, qt_platforms

ROOT = Path(__file__).resolve().parents[2]


def unloadable(*sonames: str):
    """A loader that cannot find ``sonames`` and finds everything else."""
    return lambda soname: soname not in sonames


def broken_libraries(folder: Path, *sonames: str) -> dict[str, str]:
    """An environment where the dynamic loader finds a damaged copy of each of ``sonames``
    first, as if the library were not installed: for the real process, Qt's included."""
    folder.mkdir(exist_ok=True)
    for soname in sonames:
        (folder / soname).write_text("not a shared library\n")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.pop("XDG_SESSION_TYPE", None)
    return env | {"LD_LIBRARY_PATH": str(folder), "PYTHONPATH": str(ROOT)}


@pytest.mark.parametrize(
    ("env", "argv", "expected"),
    [
        ({"DISPLAY": ":0"}, [], ["xcb"]),
        ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}, [], ["xcb"]),
        ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, [], ["wayland", "xcb"]),
        ({"XDG_SESSION_TYPE": "wayland"}, [], ["wayland", "xcb"]),
        ({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, [], ["offscreen"]),
        ({"QT_QPA_PLATFORM": "xcb:dpi=96", "WAYLAND_DISPLAY": "w"}, [], ["xcb"]),
        ({"QT_QPA_PLATFORM": "offscreen"}, ["-platform", "xcb"], ["xcb"]),
    ],
)
def test_the_platform_is_decided_as_qt_decides(env, argv, expected):
    assert qt_platforms(env, argv) == expected


def test_a_missing_xcb_library_is_named_with_the_commands_that_install_it():
    problem = platform_problem(
        {"DISPLAY": ":0"},
        loader=unloadable("libxcb-cursor.so.0", "libxcb-icccm.so.4"),
        system="linux",
    )
    assert problem is not None
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4" in problem
    assert "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4\n" in problem
    assert problem.endswith("sudo dnf install -y xcb-util-cursor xcb-util-wm")
    assert "libxcb-keysyms" not in problem  # only what is missing


def test_nothing_to_say_when_every_library_loads_or_the_platform_needs_none():
    assert platform_problem({"DISPLAY": ":0"}, loader=unloadable(), system="linux") is None
    for platform in ("offscreen", "minimal", "vnc"):
        env = {"QT_QPA_PLATFORM": platform}
        cursorless = unloadable("libxcb-cursor.so.0")
        assert platform_problem(env, loader=cursorless, system="linux") is None
    env = {"DISPLAY": ":0"}
    assert platform_problem(env, loader=unloadable("libGL.so.1"), system="darwin") is None


def test_a_wayland_session_without_wayland_libraries_falls_back_to_xcb():
    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    no_cursor = unloadable("libwayland-cursor.so.0")
    assert platform_problem(env, loader=no_cursor, system="linux") is None
    both = unloadable("libwayland-cursor.so.0", "libxkbcommon-x11.so.0")
    problem = platform_problem(env, loader=both, system="linux")
    assert problem and "xcb platform plugin" in problem and "libxkbcommon-x11-0" in problem


def test_no_display_is_said_instead_of_an_abort():
    problem = platform_problem({}, loader=unloadable(), system="linux")
    assert problem and "no display" in problem and "nst-desktop-cli" in problem


def test_the_real_loader_finds_libc_and_not_a_made_up_library():
    assert qt_check.can_load("libc.so.6")
    assert not qt_check.can_load("libnst-desktop-no-such-library.so.7")


def test_every_library_the_check_asks_for_loads_where_the_readme_was_followed():
    """The README's commands install these packages; each must give its library (a soname
    or package name wrong in the table would send people to install the wrong thing)."""
    missing = [lib.soname for lib in XCB_LIBRARIES if not qt_check.can_load(lib.soname)]
    assert missing == []


def test_the_window_command_says_what_is_missing_instead_of_aborting(tmp_path):
    """Real process, real dynamic loader: libxcb-cursor.so.0 cannot be loaded. Qt aborted
    with exit 134 and a page about plugins; now one message and the install command."""
    env = broken_libraries(tmp_path / "lib", "libxcb-cursor.so.0") | {"DISPLAY": ":93"}
    run = subprocess.run(
        [sys.executable, "-m", "nst_desktop"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "libxcb-cursor.so.0" in run.stderr
    assert "sudo apt-get install -y libxcb-cursor0" in run.stderr
    assert "sudo dnf install -y xcb-util-cursor" in run.stderr
    assert "Qt platform plugin" not in run.stderr and "Traceback" not in run.stderr


def self_test_qt(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from nst_desktop.selftest import run_self_test; exit(run_self_test(checks=('qt',)))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_self_test_on_an_x11_desktop_does_not_ask_for_wayland(tmp_path):
    """The self-test said "FAILED: qt" where the window works, for want of the Wayland
    plugin's libwayland-cursor.so.0, which an X11 desktop need not have."""
    env = broken_libraries(tmp_path / "lib", "libwayland-cursor.so.0") | {"DISPLAY": ":93"}
    run = self_test_qt(env, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "platforms offscreen, xcb;" in run.stdout


def test_self_test_names_a_missing_x11_library_of_the_session(tmp_path):
    env = broken_libraries(tmp_path / "lib", "libxcb-icccm.so.4") | {"DISPLAY": ":93"}
    run = self_test_qt(env, tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAIL  qt" in run.stdout and "the xcb platform plugin cannot load" in run.stdout
    assert "missing libxcb-icccm.so.4 (sudo apt-get install -y libxcb-icccm4)" in run.stdout
