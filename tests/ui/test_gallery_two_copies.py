"""Two copies of the app on one gallery: the open window shows what the other copy adds
and deletes, and neither loses the other's styles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.ui.gallery_panel import GalleryPanel
from tests.gallery_helpers import make_image

ROOT = Path(__file__).resolve().parents[2]


def _titles(panel: GalleryPanel) -> set[str]:
    return {panel.proxy.index(r, 0).data() for r in range(panel.proxy.rowCount())}


def _other_copy(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_window_shows_styles_another_copy_adds_and_deletes(qtbot, tmp_path):
    store = GalleryStore(seed_starter=False)
    store.add(make_image(tmp_path / "mine.png", seed=1), title="Mine")
    panel = GalleryPanel(store, icon_size=48)
    qtbot.addWidget(panel)
    panel.show()
    for n in range(3):
        make_image(tmp_path / f"theirs{n}.png", seed=10 + n)
    _other_copy(
        "from pathlib import Path\n"
        "from nst_desktop.core.gallery_store import GalleryStore\n"
        "with GalleryStore(seed_starter=False) as s:\n"
        f"    for n in range(3): s.add(Path({str(tmp_path)!r}) / f'theirs{{n}}.png', "
        "title=f'Theirs {n}')\n")
    qtbot.waitUntil(lambda: _titles(panel) == {"Mine", "Theirs 0", "Theirs 1", "Theirs 2"},
                    timeout=10_000)
    assert not panel.store.open_report.recovered
    _other_copy(
        "from nst_desktop.core.gallery_store import GalleryStore\n"
        "with GalleryStore(seed_starter=False) as s:\n"
        "    s.delete([r.id for r in s.styles() if r.title == 'Theirs 1'])\n")
    qtbot.waitUntil(lambda: _titles(panel) == {"Mine", "Theirs 0", "Theirs 2"}, timeout=10_000)
    assert "recovered" not in panel.status.text()
    panel.shutdown()
    store.close()
    with GalleryStore(seed_starter=False) as again:
        assert {r.title for r in again.styles()} == {"Mine", "Theirs 0", "Theirs 2"}
