"""Helpers shared by the gallery and history tests: tiny images, a consistency check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
from PIL import Image

from nst_desktop.core.gallery_store import DB_NAME


def make_image(path: Path, seed: int = 0, size: tuple[int, int] = (24, 16),
               fmt: str | None = None, mode: str = "RGB") -> Path:
    """A small image whose pixels depend on ``seed`` (so every seed is a new file)."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(arr, "RGB")
    if mode != "RGB":
        image = image.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format=fmt)
    return path


def gallery_files(root: Path) -> tuple[set[str], set[str]]:
    """(image file names, thumbnail file names) actually on disk, hidden files excluded."""
    images = {p.name for p in (root / "images").iterdir() if not p.name.startswith(".")}
    thumbs = {p.name for p in (root / "thumbnails").iterdir() if not p.name.startswith(".")}
    return images, thumbs


def assert_consistent(root: Path) -> list[tuple]:
    """The database and the folder agree: every row has its image and thumbnail, every
    file has its row, no half-written temp files; returns the rows."""
    conn = sqlite3.connect(root / DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT id, filename, trashed FROM styles").fetchall()
    finally:
        conn.close()
    images, thumbs = gallery_files(root)
    assert images == {filename for _, filename, _ in rows}
    assert thumbs == {f"{style_id}.jpg" for style_id, _, _ in rows}
    leftovers = [p for p in root.rglob(".tmp-*")]
    assert not leftovers, leftovers
    for _, filename, _ in rows:
        with Image.open(root / "images" / filename) as image:
            image.verify()
    return rows


def build_large_gallery(root: Path, count: int, *, with_thumbnails: bool = False) -> list[str]:
    """A gallery of ``count`` tiny styles written straight to disk and database (fast:
    no per-style transaction or fsync), as a long-used gallery would look. Returns ids."""
    import io
    import time
    import uuid

    from nst_desktop.core import gallery_db
    from nst_desktop.core.gallery_records import StyleRecord

    images, thumbs = root / "images", root / "thumbnails"
    images.mkdir(parents=True, exist_ok=True)
    thumbs.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    records = []
    for n in range(count):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        buffer = io.BytesIO()
        Image.new("RGB", (12, 8), colour).save(buffer, format="PNG")
        style_id = uuid.uuid4().hex
        (images / f"{style_id}.png").write_bytes(buffer.getvalue())
        if with_thumbnails:
            Image.new("RGB", (12, 8), colour).save(thumbs / f"{style_id}.jpg", format="JPEG")
        records.append(StyleRecord(
            id=style_id, filename=f"{style_id}.png", title=f"Style {n:04d}",
            artist=f"Artist {n % 37}", tags=(f"group{n % 10}",), favourite=n % 50 == 0,
            added=time.time() - n, width=12, height=8, sha256=f"{n:064x}",
        ))
    conn = gallery_db.connect(root / DB_NAME)
    try:
        with gallery_db.transaction(conn):
            conn.execute("INSERT INTO meta (key, value) VALUES ('starter_seeded', '1')")
            conn.executemany(
                f"INSERT INTO styles VALUES ({', '.join('?' * len(gallery_db.COLUMNS))})",
                [gallery_db.row_from_record(r) for r in records])
    finally:
        conn.close()
    return [r.id for r in records]
