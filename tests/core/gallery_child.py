"""A second copy of the app working on the gallery, for the multi-process tests.

Run as ``python -m tests.core.gallery_child MODE ...`` with ``NST_DESKTOP_HOME`` set.
Each line printed (flushed) reports one finished operation, so the parent can act
at a chosen point (open its own copy, or kill this one with SIGKILL) without sleeping.

Modes:
  add SRC_DIR FIRST COUNT     add SRC_DIR/<n>.png for n in FIRST..FIRST+COUNT-1; prints
                              "added <n> <id>" after each add() returned ("dup <n>" when the
                              gallery already had it)
  open-until STOP_FILE        open and close the gallery as fast as it can until STOP_FILE
                              exists (at most 2000 times); prints the number of opens
  cycle SRC_DIR COUNT         add, trash, restore and purge styles in turn, printing each step
"""

from __future__ import annotations

import sys
from pathlib import Path

from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.errors import DuplicateStyleError


def add(src: Path, first: int, count: int) -> None:
    with GalleryStore(seed_starter=False) as store:
        for n in range(first, first + count):
            try:
                record = store.add(src / f"{n}.png")
            except DuplicateStyleError:
                print(f"dup {n}", flush=True)
                continue
            print(f"added {n} {record.id}", flush=True)


def open_until(stop: Path) -> None:
    opens = 0
    while not stop.exists() and opens < 2000:
        GalleryStore(seed_starter=False).close()
        opens += 1
    print(opens, flush=True)


def cycle(src: Path, count: int) -> None:
    with GalleryStore(seed_starter=False) as store:
        for n in range(count):
            record = store.add(src / f"{n}.png")
            print(f"added {n} {record.id}", flush=True)
            if n % 3 == 1:
                store.trash([record.id])
                print(f"trashed {n}", flush=True)
            if n % 6 == 1:
                store.restore([record.id])
                print(f"restored {n}", flush=True)
            if n % 3 == 2:
                store.delete([record.id])
                print(f"deleted {n}", flush=True)


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "add":
        add(Path(args[0]), int(args[1]), int(args[2]))
    elif mode == "open-until":
        open_until(Path(args[0]))
    elif mode == "cycle":
        cycle(Path(args[0]), int(args[1]))
    else:
        raise SystemExit(f"unknown mode {mode}")
