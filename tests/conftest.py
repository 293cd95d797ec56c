"""Shared fixtures: a temporary home, tiny images, and a guard against leaked threads."""

from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "2")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nst_desktop  # noqa: E402,F401  (sets MKL_CBWR before any test module loads torch)


def _find_shared() -> Path:
    """The project's shared/ folder (test images, nst_score.py) beside the checkout."""
    env = os.environ.get("NST_SHARED_DIR")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared"
        if (candidate / "images").is_dir():
            return candidate
    return Path(__file__).resolve().parents[2] / "shared"


SHARED = _find_shared()


@pytest.fixture(autouse=True)
def temp_home(tmp_path_factory, monkeypatch):
    """Every test gets its own empty application home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("NST_DESKTOP_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def no_dangling_threads():
    """Fail a test that leaves a Python thread running (Qt threads are checked in ui tests)."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"threads left running: {still}"


def _smooth(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack(
        [
            0.5 + 0.4 * np.sin(x / (3 + seed) + rng.uniform(0, 6)),
            0.5 + 0.4 * np.cos(y / (4 + seed) + rng.uniform(0, 6)),
            0.5 + 0.4 * np.sin((x + y) / (5 + seed)),
        ],
        axis=-1,
    )
    return np.clip(img + rng.normal(0, 0.03, img.shape), 0, 1).astype(np.float32)


@pytest.fixture
def content_image() -> np.ndarray:
    """A 48x64 smooth gradient 'photo'."""
    return _smooth(48, 64, 0)


@pytest.fixture
def style_image() -> np.ndarray:
    """A 64x64 stripy, colourful 'painting'."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:64, 0:64].astype(np.float32)
    stripes = (np.sin(x / 2.0 + y / 3.0) > 0).astype(np.float32)
    img = np.stack([stripes, 0.2 + 0.6 * (1 - stripes), 0.8 * rng.random((64, 64))], axis=-1)
    return img.astype(np.float32)


@pytest.fixture
def style_image_2() -> np.ndarray:
    """A second, different style: blotchy and blue."""
    rng = np.random.default_rng(11)
    blobs = rng.random((8, 8))
    img = np.kron(blobs, np.ones((8, 8)))
    return np.stack([0.1 * img, 0.3 * img, 0.4 + 0.6 * img], axis=-1).astype(np.float32)


@pytest.fixture
def images(tmp_path, content_image, style_image) -> dict[str, Path]:
    """The fixture images as PNG files, for the command line: c (photo) and s (style)."""
    return {"c": save_png(content_image, tmp_path / "c.png"),
            "s": save_png(style_image, tmp_path / "s.png")}


def save_png(arr: np.ndarray, path: Path) -> Path:
    """An RGB float image (0..1) as an 8-bit PNG file."""
    from PIL import Image

    Image.fromarray((arr * 255).astype(np.uint8)).save(path)
    return path
