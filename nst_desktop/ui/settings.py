"""What the window remembers between runs, in an INI file under ``config_dir()``.

Tests point ``NST_DESKTOP_HOME`` at a temporary folder, so they never read or
write a person's real settings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from nst_desktop.core.paths import config_dir
from nst_desktop.engine import Params
from nst_desktop.engine.device import cpu_has_native_bf16
from nst_desktop.errors import NSTError
from nst_desktop.jsonsafe import JSONReadError
from nst_desktop.jsonsafe import loads as json_loads

SETTINGS_FILE = "nst-desktop.ini"
MAX_RECENT = 10

# Seconds per (pixel x iteration) of a plain step in the device's reference precision
# (fp32 on the CPU, TF32 on CUDA), by device type, until a run on this machine measures its
# own (see :meth:`AppSettings.record_rate`).
# The CPU's by the widest vector instructions PyTorch uses on it: a default 512 px run
# (12.8 million pixel-iterations) took 142.9 s on 2 cores of an EPYC with AVX2 only
# (2026-12-04, at 2d6e66f; 222.7 s on 2026-11-28, before channels-last), 121.6 s on 2 cores
# of a Xeon with AVX-512 (2026-12-03) and 84.8 s in fp32 on 2 cores of an EPYC with AVX-512
# and bfloat16 (2026-12-03, a newer core). More cores are faster: the first estimate errs long.
CPU_RATES = {"AVX2": 1.1e-5, "AVX512": 9.5e-6, "AVX512_BF16": 6.6e-6}
DEFAULT_RATES = {"cpu": CPU_RATES["AVX2"], "cuda": 1.5e-7, "mps": 1.2e-6}  # CPU: the slowest
STARTUP_SECONDS = {"cpu": 3.0, "cuda": 4.0, "mps": 4.0}


def default_rate(device_type: str) -> float:
    if device_type == "cpu":
        try:
            capability = torch.backends.cpu.get_cpu_capability()
        except Exception:  # noqa: BLE001 - a probe; unknown means the slowest figure
            capability = ""
        if capability == "AVX512" and cpu_has_native_bf16():
            capability = "AVX512_BF16"
        return CPU_RATES.get(capability, DEFAULT_RATES["cpu"])
    return DEFAULT_RATES.get(device_type, DEFAULT_RATES["cpu"])


class AppSettings:
    """Typed access to the settings file."""

    def __init__(self) -> None:
        folder = config_dir()
        # Why settings will not be kept (an unwritable or broken home), or None. The app
        # still starts: QSettings then keeps them in memory for this session.
        self.problem: str | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.problem = f"Settings cannot be saved in {folder}: {exc.strerror or exc}."
        self.path = folder / SETTINGS_FILE
        self.qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)

    def sync(self) -> None:
        self.qsettings.sync()

    # -- parameters -------------------------------------------------------------
    def load_params(self) -> tuple[Params, dict[str, Any]]:
        """The last parameters and window choices; defaults when missing or unreadable."""
        params = Params()
        text = str(self.qsettings.value("params/json", "", str) or "")
        if text:
            try:
                params = Params.from_json(text)
            except NSTError:
                params = Params()
        extras: dict[str, Any] = {}
        raw = str(self.qsettings.value("params/extras", "", str) or "")
        if raw:
            try:
                loaded = json_loads(raw, what="The saved window choices", max_bytes=1 << 16)
                if isinstance(loaded, dict):
                    extras = {k: v for k, v in loaded.items() if isinstance(v, bool)}
            except JSONReadError:
                extras = {}
        extras.pop("continue_from_result", None)  # only meaningful within one session
        return params, extras

    def save_params(self, params: Params, extras: dict[str, Any]) -> None:
        keep = params.replace(content="", styles=(), init_image="")
        if keep.init == "image":
            keep = keep.replace(init="content")
        self.qsettings.setValue("params/json", keep.to_json())
        self.qsettings.setValue("params/extras", json.dumps(extras, sort_keys=True))

    # -- recent files -------------------------------------------------------------
    def recent(self, kind: str) -> list[str]:
        raw = str(self.qsettings.value(f"recent/{kind}", "", str) or "")
        try:
            items = json_loads(raw, what="The recent files", max_bytes=1 << 20) if raw else []
        except JSONReadError:
            return []
        if not isinstance(items, list):  # damaged settings: a number, null, an object
            return []
        return [str(p) for p in items if isinstance(p, str)][:MAX_RECENT]

    def add_recent(self, kind: str, path: str) -> None:
        if not path:
            return
        items = [path, *(p for p in self.recent(kind) if p != path)][:MAX_RECENT]
        self.qsettings.setValue(f"recent/{kind}", json.dumps(items))

    def clear_recent(self, kind: str) -> None:
        self.qsettings.remove(f"recent/{kind}")

    # -- folders --------------------------------------------------------------------
    def last_dir(self, kind: str) -> str:
        return str(self.qsettings.value(f"dirs/{kind}", "", str) or "")

    def start_folder(self, kind: str) -> Path:
        """Where a file dialog of ``kind`` opens: the last folder used for it while it still
        exists, else the Pictures folder, else home."""
        last = self.last_dir(kind)
        if last and Path(last).is_dir():
            return Path(last)
        pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        return Path(pictures) if pictures and Path(pictures).is_dir() else Path.home()

    def set_last_dir(self, kind: str, folder: str) -> None:
        self.qsettings.setValue(f"dirs/{kind}", folder)

    def save_suffix(self) -> str:
        return str(self.qsettings.value("save/suffix", ".png", str) or ".png")

    def set_save_suffix(self, suffix: str) -> None:
        self.qsettings.setValue("save/suffix", suffix)

    # -- speed of this machine ---------------------------------------------------------
    def rate(self, device_type: str) -> float:
        value = self.qsettings.value(f"rates/{device_type}", 0.0, float)
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
        return default_rate(device_type)

    def record_rate(self, device_type: str, seconds: float, pixel_iterations: float) -> None:
        """Remember how fast a run went here (smoothed), to estimate the next one."""
        if seconds <= 0 or pixel_iterations <= 0:
            return
        measured = seconds / pixel_iterations
        if self.qsettings.contains(f"rates/{device_type}"):
            measured = 0.5 * measured + 0.5 * self.rate(device_type)
        self.qsettings.setValue(f"rates/{device_type}", measured)

    def fixed_pixels(self, device_type: str, precision: str) -> float | None:
        """A step's fixed cost here, in pixels' worth (estimate.fixed_pixels), as runs on this
        device in this precision measured it; None before the first."""
        try:
            value = float(self.qsettings.value(f"fixed_pixels/{device_type}-{precision}"))
        except (TypeError, ValueError):  # none yet, or not a number (an edited file)
            return None
        return value if 0 <= value < float("inf") else None

    def record_fixed_pixels(self, device_type: str, precision: str, value: float | None) -> None:
        """Remember a run's fixed step cost (smoothed, as the rate is)."""
        if value is None or not 0 <= value < float("inf"):
            return
        before = self.fixed_pixels(device_type, precision)
        if before is not None:
            value = 0.5 * value + 0.5 * before
        self.qsettings.setValue(f"fixed_pixels/{device_type}-{precision}", float(value))

    # -- window ------------------------------------------------------------------------
    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        return (
            geometry if isinstance(geometry, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    def value(self, key: str, default: Any = None) -> Any:
        return self.qsettings.value(key, default)

    def set_value(self, key: str, value: Any) -> None:
        self.qsettings.setValue(key, value)
