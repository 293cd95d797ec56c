"""Regenerate docs/screenshot.png: the window with its style gallery, after a short real run.

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/screenshot.py OUT_DIR \
        --content /path/photo.jpg [--gallery-style "The Starry Night" | --style painting.jpg]

The app starts on a fresh home (NST_DESKTOP_HOME, a temporary folder unless set), so the
gallery holds the starter paintings; the style is chosen from the gallery by its title
unless --style names files. Writes OUT_DIR/before.png (thumbnails loaded, nothing run),
OUT_DIR/done.png, OUT_DIR/history.png (the History tab in front), OUT_DIR/compare.png,
and OUT_DIR/screenshot.png: compare.png scaled to 1200 px wide with 256 colours (about
220 KB), the file to copy to docs/. Keep --size small: the run is on whatever device
'auto' picks (at 128 px and 40 steps, about a minute on two CPU cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DOCS_WIDTH = 1200


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--content", required=True)
    parser.add_argument("--style", nargs="+", default=[])
    parser.add_argument("--gallery-style", default="The Starry Night")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--dark", action="store_true")
    opts = parser.parse_args()
    opts.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NST_DESKTOP_HOME", tempfile.mkdtemp(prefix="nst-shot-"))

    from PIL import Image
    from PySide6.QtCore import QTimer

    from nst_desktop.ui.app import make_application, open_window, parse_args
    from nst_desktop.ui.gallery_model import GalleryRole
    from nst_desktop.ui.theme import ThemeController

    app = make_application([])
    theme = ThemeController(app)
    theme.set_appearance("dark" if opts.dark else "light")
    argv = ["--content", opts.content, "--size", str(opts.size)]
    if opts.style:
        argv += ["--style", *opts.style]
    window = open_window(parse_args(argv), theme)
    gallery, history = window.library.gallery, window.library.history
    if gallery is None or history is None:
        sys.exit("The gallery or the history did not open: " + window.status_label.text())
    window.model.set_value("iterations", opts.iterations)
    window.model.set_value("coarse_iterations", opts.iterations)
    window.model.set_value("min_size", opts.size // 2)
    window.model.set_value("seed_locked", True)
    window.resize(1440, 900)
    window.show()
    if not opts.style:
        for row in range(gallery.proxy.rowCount()):
            index = gallery.proxy.index(row, 0)
            if index.data() == opts.gallery_style:
                gallery.select_ids([str(index.data(GalleryRole.Id))])
        gallery.activate_selected()
        if not window.style_pane.entries:
            sys.exit(f"No style titled {opts.gallery_style!r} in the gallery.")

    def save(name: str) -> None:
        window.grab().save(str(opts.out / name))

    def start() -> None:
        save("before.png")
        window.runner.start()

    def on_entry_recorded(_entry: object) -> None:
        QTimer.singleShot(300, finish)  # the history's thumbnail loads meanwhile

    def finish() -> None:
        save("done.png")
        window.history_dock.raise_()
        save("history.png")
        window.gallery_dock.raise_()
        window.compare_button.setChecked(True)
        window.result_pane.canvas.set_split_position(0.42)
        save("compare.png")
        with Image.open(opts.out / "compare.png") as shot:
            height = round(shot.height * DOCS_WIDTH / shot.width)
            small = shot.convert("RGB").resize((DOCS_WIDTH, height), Image.Resampling.LANCZOS)
            palette = small.quantize(256, method=Image.Quantize.FASTOCTREE)
            small.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).save(
                opts.out / "screenshot.png", optimize=True
            )
        window.runner.saved_path = "shown"  # nothing to save: close without asking
        window.close()

    history.entry_recorded.connect(on_entry_recorded)
    QTimer.singleShot(1500, start)  # the gallery's thumbnails load in the background
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
