"""Every path the application uses, computed in one place.

``NST_DESKTOP_HOME`` overrides the base of all per-user folders (tests point it
at a temporary directory); otherwise platformdirs picks the platform's usual
data, config and cache folders.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

APP_NAME = "nst-desktop"
APP_ID = "io.github.nst_desktop.NstDesktop"  # desktop file, metainfo, QGuiApplication
HOME_ENV = "NST_DESKTOP_HOME"


def _base(kind: str) -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / kind
    import platformdirs

    if kind == "data":
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if kind == "config":
        return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    if kind == "cache":
        return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    raise ValueError(kind)


def data_dir() -> Path:
    """Where the gallery and history live (not created here)."""
    return _base("data")


def config_dir() -> Path:
    return _base("config")


def cache_dir() -> Path:
    return _base("cache")


def gallery_dir() -> Path:
    return data_dir() / "gallery"


def history_dir() -> Path:
    return data_dir() / "history"


def inputs_dir() -> Path:
    """Where pasted and downloaded images are kept, so that a run made with them can be
    restored from the history like any other."""
    return data_dir() / "inputs"


def resource_dir() -> Path:
    """The shipped resources: inside the wheel as ``nst_desktop.resources``,
    in a source checkout the top-level ``resources/`` folder."""
    try:
        root = resources.files("nst_desktop.resources")
        path = Path(str(root))
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "resources"
