"""A gallery interrupted at any step of a write is consistent when opened again.

Two ways of crashing: in-process (a step raises an exception that nothing
catches, and the store is abandoned without closing), and for real (a child
process is killed with ``os._exit`` at the step, so no ``finally``, no rollback,
no close runs: exactly what the person's power button does).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nst_desktop.core import paths
from nst_desktop.core.gallery_store import GalleryStore
from tests.gallery_helpers import assert_consistent, make_image


class SimulatedCrash(BaseException):
    """Not an Exception: nothing in the store may catch and 'handle' it."""


ADD_STEPS = ["_copy_image", "_write_thumbnail", "_insert_record"]


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", ADD_STEPS)
def test_add_interrupted_in_process(monkeypatch, tmp_path, step, when):
    store = GalleryStore(seed_starter=False)
    kept = store.add(make_image(tmp_path / "kept.png", seed=1))
    original = getattr(GalleryStore, step)

    def crashing(self, *args, **kwargs):
        if when == "after":
            original(self, *args, **kwargs)
        raise SimulatedCrash(step)

    with monkeypatch.context() as patch:
        patch.setattr(GalleryStore, step, crashing)
        with pytest.raises(SimulatedCrash):
            store.add(make_image(tmp_path / "new.png", seed=2))
    # The crashed store is abandoned, not closed; its process is gone, and its lock with it.
    store._lock.close()
    recorded = step == "_insert_record" and when == "after"  # the transaction had committed
    with GalleryStore(seed_starter=False) as reopened:
        assert len(reopened.styles()) == (2 if recorded else 1)
        assert kept.id in reopened
        if not recorded:
            reopened.add(make_image(tmp_path / "new.png", seed=2))  # and it can be redone
    assert len(assert_consistent(paths.gallery_dir())) == 2


@pytest.mark.parametrize("step", ["_write_many", "_delete_records", "_discard_files"])
def test_delete_interrupted_in_process(monkeypatch, tmp_path, step):
    store = GalleryStore(seed_starter=False)
    kept = store.add(make_image(tmp_path / "kept.png", seed=3))
    doomed = store.add(make_image(tmp_path / "doomed.png", seed=4))
    original = getattr(GalleryStore, step)

    def crashing(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise SimulatedCrash(step)

    with monkeypatch.context() as patch:
        patch.setattr(GalleryStore, step, crashing)
        with pytest.raises(SimulatedCrash):
            store.delete([doomed.id])
    store._lock.close()  # the crashed process is gone, and its lock with it
    with GalleryStore(seed_starter=False) as reopened:
        # Deleted or not, but whole: here every step after the first committed the delete.
        assert [r.id for r in reopened.styles()] == [kept.id]
    assert len(assert_consistent(paths.gallery_dir())) == 1


# -- real kills ---------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from nst_desktop.core import atomic_files
    from nst_desktop.core.gallery_store import GalleryStore

    operation, point, new_image, doomed = sys.argv[1:5]
    store = GalleryStore(seed_starter=False)

    def die(*args, **kwargs):
        os._exit(17)

    def after(name):
        original = getattr(GalleryStore, name)
        def wrapper(self, *args, **kwargs):
            original(self, *args, **kwargs)
            os._exit(17)
        setattr(GalleryStore, name, wrapper)

    if point == "mid-copy":  # the image written to its temp file, not yet renamed
        atomic_files.os.fsync = die
    elif point == "mid-insert":  # INSERT executed, COMMIT not reached
        def insert_then_die(self, batch):
            self._conn.execute("BEGIN IMMEDIATE")
            for sql, rows in batch:
                self._conn.executemany(sql, rows)
            os._exit(17)
        GalleryStore._write_batch = insert_then_die
    elif point == "mid-discard":  # thumbnail removed, image not yet in the trash
        from nst_desktop.core import trash
        trash.move_to_trash = die
    else:
        after(point)

    if operation == "add":
        store.add(Path(new_image))
    else:
        store.delete([doomed])
    os._exit(0)
    """
)


def _kill_at(operation: str, point: str, new_image: Path, doomed: str) -> int:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, operation, point, str(new_image), doomed],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode in (0, 17), done.stderr
    return done.returncode


@pytest.mark.parametrize(
    ("operation", "point", "survives"),
    [
        ("add", "mid-copy", False),
        ("add", "_copy_image", False),
        ("add", "_write_thumbnail", False),
        ("add", "mid-insert", False),
        ("add", "_insert_record", True),
        ("delete", "mid-insert", True),  # the trash UPDATE never committed
        ("delete", "_write_many", False),  # trashed; purged when reopened
        ("delete", "_delete_records", False),
        ("delete", "mid-discard", False),
    ],
)
def test_killed_at_each_step_then_reopened(tmp_path, operation, point, survives):
    with GalleryStore(seed_starter=False) as store:
        kept = store.add(make_image(tmp_path / "kept.png", seed=5))
        doomed = store.add(make_image(tmp_path / "doomed.png", seed=6))
    new_image = make_image(tmp_path / "new.png", seed=7, size=(64, 48))
    assert _kill_at(operation, point, new_image, doomed.id) == 17

    with GalleryStore(seed_starter=False) as store:
        ids = {r.id for r in store.styles()}
        assert kept.id in ids
        if operation == "add":
            assert (len(ids) == 3) is survives
        else:
            assert (doomed.id in ids) is survives
        assert store.trashed_ids() == []
    assert_consistent(paths.gallery_dir())
