"""Regenerate docs/screenshot.png: a real run at 256 px, grabbed mid-run and when done.

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/screenshot.py OUT_DIR \
        --content /path/photo.jpg --style /path/painting.jpg

Writes OUT_DIR/midrun.png, OUT_DIR/done.png and OUT_DIR/compare.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--content", required=True)
    parser.add_argument("--style", required=True, nargs="+")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--dark", action="store_true")
    opts = parser.parse_args()
    opts.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NST_DESKTOP_HOME", tempfile.mkdtemp(prefix="nst-shot-"))

    from PySide6.QtCore import QTimer

    from nst_desktop.ui.app import make_application, open_window, parse_args
    from nst_desktop.ui.theme import ThemeController

    app = make_application([])
    theme = ThemeController(app)
    theme.set_appearance("dark" if opts.dark else "light")
    args = parse_args(["--content", opts.content, "--style", *opts.style, "--size", str(opts.size)])
    window = open_window(args, theme)
    window.model.set_value("iterations", opts.iterations)
    window.model.set_value("coarse_iterations", opts.iterations)
    window.model.set_value("min_size", opts.size // 2)
    window.model.set_value("seed_locked", True)
    window.resize(1440, 900)
    window.show()
    grabbed = {"mid": False}

    def on_progress(event) -> None:
        if not grabbed["mid"] and event.fraction >= 0.6:
            grabbed["mid"] = True
            window.grab().save(str(opts.out / "midrun.png"))

    def on_running_changed(running: bool) -> None:
        if not running:
            QTimer.singleShot(300, finish)

    def finish() -> None:
        window.grab().save(str(opts.out / "done.png"))
        window.compare_button.setChecked(True)
        window.result_pane.canvas.set_split_position(0.42)
        window.grab().save(str(opts.out / "compare.png"))
        window.runner.saved_path = "shown"  # nothing to save: close without asking
        window.close()

    window.runner.controller.progress.connect(on_progress)
    window.runner.controller.running_changed.connect(on_running_changed)
    QTimer.singleShot(500, window.runner.start)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
