"""A 1,000-style gallery opens and scrolls without blocking the GUI thread.

Measured, not assumed: a heartbeat QTimer records when the event loop gets to
run; the longest gap between beats is the longest the GUI thread was blocked.
Thumbnails are missing on disk, so every one is made in the background while
the grid scrolls from top to bottom.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QPoint, QTimer

from nst_desktop.core import paths
from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.ui.gallery_model import GalleryRole
from nst_desktop.ui.gallery_panel import GalleryPanel
from tests.gallery_helpers import build_large_gallery
from tests.machine import cpu_times, steal_share

STYLES = 1000
MAX_BLOCK_S = 0.100  # the longest the GUI may freeze in any one event-loop iteration
MAX_STEAL_SHARE = 0.05  # of the CPUs' time taken by a hypervisor, for wall gaps to count


class Heartbeat:
    """Beats every few milliseconds on the GUI thread and remembers, per phase, the
    longest gap between beats in wall-clock time and in GUI-thread CPU time."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.on_timer_timeout)
        self.last = self.last_cpu = 0.0
        self.beats = 0
        self.phase = "start"
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def start(self) -> None:
        self.last, self.last_cpu = time.perf_counter(), time.thread_time()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def on_timer_timeout(self) -> None:
        now, now_cpu = time.perf_counter(), time.thread_time()
        self.wall[self.phase] = max(self.wall.get(self.phase, 0.0), now - self.last)
        self.cpu[self.phase] = max(self.cpu.get(self.phase, 0.0), now_cpu - self.last_cpu)
        self.last, self.last_cpu = now, now_cpu
        self.beats += 1

    def longest(self, which: dict[str, float]) -> float:
        return max(which.values(), default=0.0)

    def report(self, which: dict[str, float]) -> str:
        return ", ".join(f"{k} {v * 1000:.0f}" for k, v in which.items())


def visible_rows(panel) -> list[int]:
    """Rows on screen: a left-to-right grid shows one contiguous run of rows."""
    view = panel.view
    area = view.viewport().rect()
    first = view.indexAt(area.topLeft() + QPoint(8, 8))
    last = first
    for y in range(area.bottom() - 4, area.top(), -16):  # the lowest line with items
        for x in range(area.right() - 4, area.left(), -16):
            last = view.indexAt(QPoint(x, y))
            if last.isValid():
                break
        if last.isValid():
            break
    if not first.isValid():
        return []
    return list(range(first.row(), max(first.row(), last.row()) + 1))


def test_a_thousand_styles_open_and_scroll_smoothly(qtbot, record_property):
    t0 = time.perf_counter()
    build_large_gallery(paths.gallery_dir(), STYLES)
    generated = time.perf_counter() - t0

    t0 = time.perf_counter()
    store = GalleryStore()
    panel = GalleryPanel(store, icon_size=64)
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    qtbot.waitExposed(panel)
    populated = time.perf_counter() - t0
    assert panel.proxy.rowCount() == STYLES
    try:
        heartbeat = Heartbeat()
        cpu_before = cpu_times()
        heartbeat.start()
        # First screen: its thumbnails arrive without the person doing anything.
        first = visible_rows(panel)
        assert 10 < len(first) < 200  # only what is visible, not all 1,000
        qtbot.waitUntil(lambda: all(panel.proxy.index(r, 0).data(GalleryRole.ThumbnailReady)
                                    for r in visible_rows(panel)), timeout=30_000)

        # Scroll to the bottom a page per tick, as fast as a person flinging the wheel.
        heartbeat.phase = "layout"
        bar = panel.view.verticalScrollBar()
        grid = panel.view.gridSize()
        per_line = max(1, panel.view.viewport().width() // grid.width())
        full_height = -(-STYLES // per_line) * grid.height() - panel.view.viewport().height()
        # The grid lays itself out in batches between events; wait for the last one.
        qtbot.waitUntil(lambda: bar.maximum() >= full_height - grid.height(), timeout=30_000)
        scroller = QTimer()
        scroller.setInterval(15)
        scroller.timeout.connect(lambda: bar.setValue(bar.value() + bar.pageStep() // 2))
        t0 = time.perf_counter()
        heartbeat.phase = "scroll"
        scroller.start()
        qtbot.waitUntil(lambda: bar.value() >= bar.maximum(), timeout=60_000)
        scroller.stop()
        scrolled = time.perf_counter() - t0
        heartbeat.phase = "settle"
        qtbot.waitUntil(lambda: all(panel.proxy.index(r, 0).data(GalleryRole.ThumbnailReady)
                                    for r in visible_rows(panel)), timeout=30_000)
        settled = time.perf_counter() - t0

        # Typing a search filters the 1,000 quickly too.
        heartbeat.phase = "search"
        for key in "group7":  # a key at a time, the event loop turning in between
            beats = heartbeat.beats
            qtbot.keyClicks(panel.toolbar.search_edit, key)
            qtbot.waitUntil(lambda beats=beats: heartbeat.beats > beats + 1)
        assert panel.proxy.rowCount() == STYLES // 10
        heartbeat.stop()
        steal = steal_share(cpu_before, cpu_times()) or 0.0  # unknown: no hypervisor seen
    finally:
        panel.shutdown()
        store.close()
    busy_cpu, busy_wall = heartbeat.longest(heartbeat.cpu), heartbeat.longest(heartbeat.wall)
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    for name, value in [("generate_s", generated), ("populate_s", populated),
                        ("scroll_s", scrolled), ("scroll_and_thumbnails_s", settled),
                        ("longest_gui_cpu_block_s", busy_cpu),
                        ("longest_gui_wall_gap_s", busy_wall), ("load_per_cpu", load),
                        ("cpu_steal_share", steal)]:
        record_property(name, round(value, 3))
    print(f"\n1,000 styles: generate {generated:.2f} s, open {populated:.2f} s, scroll "
          f"{scrolled:.2f} s, thumbnails settled {settled:.2f} s, {heartbeat.beats} beats; "
          f"longest GUI-thread CPU per iteration (ms): {heartbeat.report(heartbeat.cpu)}; "
          f"longest wall gap (ms): {heartbeat.report(heartbeat.wall)}; load/CPU {load:.1f}, "
          f"steal {steal:.0%}")
    assert populated < 3.0
    # The GUI thread's own work between two turns of the event loop: what our code
    # blocks it for, whatever else the machine is doing.
    assert busy_cpu < MAX_BLOCK_S
    # Wall-clock gaps also count GIL hand-offs to the thumbnail workers; they are only
    # a fair measure when nothing takes the CPUs away from this process: other processes,
    # or on a virtual machine the hypervisor (its "steal" reached 30 to 42 % of a shared
    # 2-core VM's time during this test, with gaps of 80 to 130 ms in which the GUI thread
    # used 1 to 26 ms of CPU; with under 6 % steal the longest gap was 39 to 61 ms).
    if load < 1.0 and steal < MAX_STEAL_SHARE:
        assert busy_wall < MAX_BLOCK_S
    assert panel.model.cached_thumbnails() <= 600  # the memory cache stays bounded
