"""The gallery's SQLite database: schema, versions and migrations.

The schema version is SQLite's ``pragma user_version``. A new database is
created at :data:`SCHEMA_VERSION`; an older one is migrated one step at a
time, each step in its own transaction together with its version bump, so a
crash mid-migration leaves the previous version intact. A database from a
newer release is refused rather than damaged.

History of the schema:

* **1**: ``styles(id, filename, title, artist, year, source, tags, favourite,
  added)`` with tags as comma-separated text.
* **2**: tags as a JSON array; ``last_used``, ``width``, ``height``,
  ``sha256`` (duplicate detection) and ``trashed`` (deleted but undoable)
  columns; a ``meta`` key/value table.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from nst_desktop.core.gallery_records import StyleRecord, normalize_tags
from nst_desktop.errors import GalleryError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 5000

_CREATE = """
CREATE TABLE styles (
    id TEXT PRIMARY KEY,
    filename TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    artist TEXT NOT NULL DEFAULT '',
    year TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    favourite INTEGER NOT NULL DEFAULT 0,
    added REAL NOT NULL,
    last_used REAL,
    width INTEGER NOT NULL DEFAULT 0,
    height INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL DEFAULT '',
    trashed REAL
);
CREATE INDEX styles_sha256 ON styles(sha256);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

COLUMNS = (
    "id", "filename", "title", "artist", "year", "source", "tags", "favourite",
    "added", "last_used", "width", "height", "sha256", "trashed",
)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at ``path``.

    Raises :class:`GalleryError` for a database from a newer release and
    ``sqlite3.DatabaseError`` for a damaged file (the store recovers from it).
    """
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL keeps every commit through an application crash;
        # only a power cut can lose the very last transactions, never consistency.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, images_dir=path.parent / "images")
        conn.execute("PRAGMA quick_check").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def connect_or_recover(path: Path) -> tuple[sqlite3.Connection, Path | None]:
    """:func:`connect`, but a damaged database file is moved aside (returned as the
    second value) and a new, empty one created in its place. The images beside it
    are untouched; the store adopts them again."""
    try:
        return connect(path), None
    except GalleryError:
        raise
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise GalleryError(
                "The gallery is in use by another copy of nst_desktop; close it and retry."
            ) from exc
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        log.warning("gallery database %s is damaged (%s); moving it to %s", path, exc, aside)
        try:
            for suffix in ("", "-wal", "-shm"):
                src = Path(str(path) + suffix)
                if src.exists():
                    src.replace(Path(str(aside) + suffix))
            conn = connect(path)
            # A rebuilt gallery is not a first start: no starter styles.
            conn.execute("INSERT INTO meta (key, value) VALUES ('starter_seeded', '1')")
        except (OSError, sqlite3.Error) as again:
            raise GalleryError(f"The gallery database cannot be created: {again}.") from again
        return conn, aside


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; anything raised rolls back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _migrate(conn: sqlite3.Connection, images_dir: Path) -> None:
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise GalleryError(
            f"The gallery was written by a newer version of nst_desktop (schema {version}, "
            f"this version understands up to {SCHEMA_VERSION}). Please update the application."
        )
    if version == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        if tables.fetchone()[0]:
            raise GalleryError("The gallery database has no version and is not one of ours.")
        with transaction(conn):
            # Statement by statement: executescript() would COMMIT the open transaction.
            for statement in filter(str.strip, _CREATE.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    while version < SCHEMA_VERSION:
        step = _MIGRATIONS[version]
        with transaction(conn):
            step(conn, images_dir)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        version += 1


def _migrate_1_to_2(conn: sqlite3.Connection, images_dir: Path) -> None:
    for column in (
        "last_used REAL",
        "width INTEGER NOT NULL DEFAULT 0",
        "height INTEGER NOT NULL DEFAULT 0",
        "sha256 TEXT NOT NULL DEFAULT ''",
        "trashed REAL",
    ):
        conn.execute(f"ALTER TABLE styles ADD COLUMN {column}")
    conn.execute("CREATE INDEX styles_sha256 ON styles(sha256)")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    # A version-1 gallery already had its starter styles.
    conn.execute("INSERT INTO meta (key, value) VALUES ('starter_seeded', '1')")
    rows = conn.execute("SELECT id, filename, tags FROM styles").fetchall()
    for style_id, filename, tags in rows:
        try:
            clean = list(normalize_tags(tags or ""))
        except GalleryError:
            clean = [t for t in (tags or "").split(",") if t.strip()][:1]
        digest, width, height = _describe_file(images_dir / filename)
        conn.execute(
            "UPDATE styles SET tags = ?, sha256 = ?, width = ?, height = ? WHERE id = ?",
            (json.dumps(clean), digest, width, height, style_id),
        )


def _describe_file(path: Path) -> tuple[str, int, int]:
    """(sha256, width, height) of an image; blanks if it is missing or unreadable."""
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return "", 0, 0
    try:
        from PIL import Image

        with Image.open(path) as image:
            width, height = image.size
    except Exception:  # an unreadable image keeps blank sizes; sync reports it later
        width = height = 0
    return digest.hexdigest(), width, height


_MIGRATIONS: dict[int, Callable[[sqlite3.Connection, Path], None]] = {1: _migrate_1_to_2}


def record_from_row(row: sqlite3.Row | tuple, images_dir: Path, thumbs_dir: Path) -> StyleRecord:
    values = dict(zip(COLUMNS, row, strict=True))
    try:
        tags = tuple(str(t) for t in json.loads(values["tags"] or "[]"))
    except (json.JSONDecodeError, TypeError):
        tags = ()
    style_id = str(values["id"])
    return StyleRecord(
        id=style_id,
        filename=str(values["filename"]),
        title=str(values["title"]),
        artist=str(values["artist"] or ""),
        year=str(values["year"] or ""),
        source=str(values["source"] or ""),
        tags=tags,
        favourite=bool(values["favourite"]),
        added=float(values["added"] or 0.0),
        last_used=None if values["last_used"] is None else float(values["last_used"]),
        width=int(values["width"] or 0),
        height=int(values["height"] or 0),
        sha256=str(values["sha256"] or ""),
        image_path=images_dir / str(values["filename"]),
        thumbnail_path=thumbs_dir / f"{style_id}.jpg",
    )


def row_from_record(record: StyleRecord, trashed: float | None = None) -> tuple:
    return (
        record.id, record.filename, record.title, record.artist, record.year, record.source,
        json.dumps(list(record.tags)), int(record.favourite), record.added, record.last_used,
        record.width, record.height, record.sha256, trashed,
    )
