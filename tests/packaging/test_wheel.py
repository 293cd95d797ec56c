"""The wheel carries every runtime file, and an installed copy works on its own.

The wheel is built from a clean copy of the sources and installed with --no-deps
into a fresh virtual environment that sees this environment's dependencies
through a .pth file (reinstalling torch would cost gigabytes). Everything that
runs the installed copy runs from another directory, so that the checkout can
not stand in for it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_FILES = ("pyproject.toml", "README.md", "LICENSE")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300):
    return subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def shipped_files(folder: str) -> set[str]:
    root = ROOT / folder
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SOURCE_FILES:
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "nst_desktop", source / "nst_desktop", ignore=IGNORE)
    shutil.copytree(ROOT / "resources", source / "resources", ignore=IGNORE)
    out = tmp_path_factory.mktemp("wheelhouse")
    build = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--quiet", str(source), "-w", str(out)],
        cwd=source,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel_path,) = out.glob("nst_desktop-*.whl")
    return wheel_path


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], cwd=env_dir.parent)
    assert made.returncode == 0, made.stderr
    python = env_dir / "bin" / "python"
    site = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=env_dir,
    ).stdout.strip()
    # Plain path lines: the test environment's packages come after the fresh
    # site-packages, and its .pth files (an editable nst_desktop) stay inactive.
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(site) / "_test_environment.pth").write_text("\n".join(ours) + "\n")
    install = run(
        [sys.executable, "-m", "pip", "--python", str(python), "install"]
        + ["--no-deps", "--no-index", "--quiet", str(wheel)],
        cwd=env_dir,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return env_dir


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A working directory with no nst_desktop in sight."""
    return tmp_path


def test_wheel_holds_every_module_and_resource(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {f"nst_desktop/{f}" for f in shipped_files("nst_desktop") if f.endswith(".py")}
    resources = {f"nst_desktop/resources/{f}" for f in shipped_files("resources")}
    assert modules - names == set(), "modules missing from the wheel (pyproject packages?)"
    assert resources - names == set(), "resources missing from the wheel (package-data?)"
    assert any(n.startswith("nst_desktop/resources/icons/hicolor/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "packaging/"))]


def test_wheel_declares_both_entry_points(wheel):
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(info).decode()
    assert "[gui_scripts]\nnst-desktop = nst_desktop.__main__:main" in entry_points
    assert "[console_scripts]\nnst-desktop-cli = nst_desktop.cli:main" in entry_points


def test_installed_copy_finds_its_resources_through_importlib(venv, elsewhere):
    probe = (
        "import json, importlib.resources as r, nst_desktop\n"
        "from nst_desktop.core.paths import resource_dir, APP_ID\n"
        "root = r.files('nst_desktop.resources')\n"
        "files = sorted(str(p.relative_to(root)) for p in __import__('pathlib').Path(str(root))"
        ".rglob('*') if p.is_file() and '__pycache__' not in p.parts)\n"
        "print(json.dumps({'package': nst_desktop.__file__, 'root': str(root),"
        " 'resource_dir': str(resource_dir()), 'files': files}))\n"
    )
    result = run([str(venv / "bin" / "python"), "-c", probe], cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["package"]).is_relative_to(venv)
    assert Path(found["root"]).is_relative_to(venv)
    assert found["resource_dir"] == found["root"]
    assert set(found["files"]) == shipped_files("resources")
    gallery = {f for f in shipped_files("resources") if f.startswith("gallery/")}
    assert gallery <= set(found["files"])


def test_entry_point_scripts_are_installed(venv):
    for name in ("nst-desktop", "nst-desktop-cli"):
        script = venv / "bin" / name
        assert script.is_file() and os.access(script, os.X_OK), name
        assert str(venv / "bin" / "python") in script.read_text().splitlines()[0]


def test_installed_self_test_passes_headless(venv, elsewhere):
    result = run(
        [str(venv / "bin" / "python"), "-m", "nst_desktop.selftest"],
        cwd=elsewhere,
        env={"QT_QPA_PLATFORM": "offscreen", "NST_DESKTOP_HOME": str(elsewhere / "home")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ok    resources {venv}" in result.stdout
    assert "self-test passed (6 checks)" in result.stdout


def test_cli_entry_point(venv, elsewhere):
    result = run([str(venv / "bin" / "nst-desktop-cli"), "--help"], cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower()


def test_gui_entry_point_starts_offscreen(venv, elsewhere):
    env = {"QT_QPA_PLATFORM": "offscreen", "NST_DESKTOP_HOME": str(elsewhere / "home")}
    result = run([str(venv / "bin" / "nst-desktop"), "--quit-after-start"], cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    self_test = run([str(venv / "bin" / "nst-desktop"), "--self-test"], cwd=elsewhere, env=env)
    assert self_test.returncode == 0, self_test.stdout + self_test.stderr
    assert "self-test passed" in self_test.stdout
