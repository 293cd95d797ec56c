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
* **3**: a ``pending`` journal of image files being added or deleted (a file
  with a journal row is in flight, any other file is the person's), and a
  unique index on the hash of live styles, so that two copies of the app
  adding the same image make one style.

Opening tells a damaged database from one that cannot be opened right now:
only a file that SQLite itself finds damaged (``integrity_check``) is set
aside, and what rows it can still read are copied into the new one. A full
disk, a lock or a read-only folder renames nothing: the person is told why.
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

SCHEMA_VERSION = 3
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
CREATE TABLE pending (
    id TEXT PRIMARY KEY,
    filename TEXT NOT NULL,
    kind TEXT NOT NULL,
    started REAL NOT NULL
);
CREATE UNIQUE INDEX styles_live_sha256 ON styles(sha256)
    WHERE trashed IS NULL AND sha256 != '';
"""

COLUMNS = (
    "id", "filename", "title", "artist", "year", "source", "tags", "favourite",
    "added", "last_used", "width", "height", "sha256", "trashed",
)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at ``path``.

    Raises :class:`GalleryError` for a database from a newer release and
    ``sqlite3.DatabaseError`` otherwise (:func:`connect_or_recover` sorts those).
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
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("database disk image is malformed (quick_check)")
    except BaseException:
        conn.close()
        raise
    return conn


def connect_or_recover(path: Path, *, repair: bool = True
                       ) -> tuple[sqlite3.Connection, Path | None]:
    """:func:`connect`, but a database that SQLite finds damaged is moved aside (returned
    as the second value), a new one created in its place, and the rows SQLite can still
    read copied into it. Anything else that stops the opening (a full disk, a lock, a
    read-only folder) raises :class:`GalleryError` and changes nothing; so does damage
    without ``repair`` (another copy of the app has the database open: it would go on
    writing into the file set aside)."""
    try:
        return connect(path), None
    except GalleryError:
        raise
    except sqlite3.Error as exc:
        if not (_is_damage(exc) and _confirmed_damaged(path)):
            raise _open_error(path, exc) from exc
        if not repair:
            raise GalleryError(
                "The gallery database is damaged. Close the other copies of nst_desktop "
                "that have the gallery open, then start again to repair it. Nothing in it "
                "was changed.") from exc
    aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    log.warning("gallery database %s is damaged; moving it to %s", path, aside)
    try:
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(path) + suffix)
            if src.exists():
                src.replace(Path(str(aside) + suffix))
        conn = connect(path)
        salvaged = salvage_rows(aside, conn)
        log.warning("salvaged %d gallery records from %s", salvaged, aside)
        # A rebuilt gallery is not a first start: no starter styles.
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('starter_seeded', '1')")
    except (OSError, sqlite3.Error) as again:
        raise GalleryError(f"The gallery database cannot be created: {again}.") from again
    return conn, aside


def error_name(exc: sqlite3.Error) -> str:
    """SQLite's name for an error ("SQLITE_FULL"), from Python 3.11's attribute or the text."""
    name = getattr(exc, "sqlite_errorname", None)
    if name:
        return str(name)
    text = str(exc).lower()
    for needle, guess in (("malformed", "SQLITE_CORRUPT"), ("not a database", "SQLITE_NOTADB"),
                          ("full", "SQLITE_FULL"), ("locked", "SQLITE_BUSY"),
                          ("busy", "SQLITE_BUSY"), ("readonly", "SQLITE_READONLY"),
                          ("read-only", "SQLITE_READONLY"), ("unable to open", "SQLITE_CANTOPEN"),
                          ("disk i/o", "SQLITE_IOERR")):
        if needle in text:
            return guess
    return "SQLITE_ERROR"


def _is_damage(exc: sqlite3.Error) -> bool:
    return error_name(exc).startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))


def _confirmed_damaged(path: Path) -> bool:
    """SQLite's own ``integrity_check`` fails (or cannot even read the file)."""
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error:
        return False
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
    except sqlite3.Error as exc:
        return _is_damage(exc)
    finally:
        conn.close()


def _open_error(path: Path, exc: sqlite3.Error) -> GalleryError:
    """One sentence for a database that cannot be opened now; nothing was changed."""
    folder = path.parent
    name = error_name(exc)
    if name.startswith("SQLITE_FULL"):
        why = f"the disk is full. Free some space on the disk that holds {folder}"
    elif name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        why = "another copy of nst_desktop is busy with it. Try again in a moment"
    elif name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        why = f"{folder} cannot be written ({exc}). Check the folder's permissions and disk"
    elif name.startswith("SQLITE_IOERR"):
        why = f"the disk reported an error ({exc}). Check the disk that holds {folder}"
    else:
        why = f"{exc}"
    return GalleryError(f"The gallery cannot be opened now: {why}. Nothing in it was changed.")


def salvage_rows(damaged: Path, conn: sqlite3.Connection) -> int:
    """Copy the styles that SQLite can still read from ``damaged`` into ``conn``, row by
    row (an unreadable row is skipped); returns how many were copied."""
    try:
        src = sqlite3.connect(damaged)
    except sqlite3.Error:
        return 0
    copied = 0
    try:
        columns = [row[1] for row in src.execute("PRAGMA table_info(styles)")]
        if "id" not in columns or "filename" not in columns:
            return 0
        wanted = [c for c in COLUMNS if c in columns]
        rowids: list[int] = []
        cursor = src.execute("SELECT rowid FROM styles")
        with contextlib.suppress(sqlite3.Error):  # keep the rowids read before the damage
            for (rowid,) in cursor:
                rowids.append(rowid)
        for rowid in rowids:
            try:
                found = src.execute(f"SELECT {', '.join(wanted)} FROM styles WHERE rowid = ?",
                                    (rowid,)).fetchone()
            except sqlite3.Error:
                continue
            if found is None:
                continue
            values = _salvaged_values(dict(zip(wanted, found)))
            if values is None:
                continue
            try:
                with transaction(conn):
                    conn.execute(f"INSERT INTO styles ({', '.join(COLUMNS)}) VALUES "
                                 f"({', '.join('?' * len(COLUMNS))})",
                                 tuple(values[c] for c in COLUMNS))
            except sqlite3.IntegrityError:
                continue  # a second live copy of one image, or a repeated id
            copied += 1
    except sqlite3.Error as exc:
        log.warning("salvage from %s stopped: %s", damaged, exc)
    finally:
        src.close()
    return copied


def _salvaged_values(found: dict[str, object]) -> dict[str, object] | None:
    style_id, filename = found.get("id"), found.get("filename")
    if not isinstance(style_id, str) or not isinstance(filename, str) or "/" in filename:
        return None
    tags = found.get("tags")
    try:
        tag_list = [str(t) for t in json.loads(tags)] if isinstance(tags, str) else []
    except (ValueError, TypeError):
        tag_list = [t.strip() for t in str(tags).split(",") if t.strip()]
    defaults: dict[str, object] = {
        "title": filename, "artist": "", "year": "", "source": "", "favourite": 0,
        "added": time.time(), "last_used": None, "width": 0, "height": 0, "sha256": "",
        "trashed": None,
    }
    values = {**defaults, **{k: v for k, v in found.items() if v is not None}}
    values["tags"] = json.dumps(tag_list)
    return values


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


@contextlib.contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Several reads that see one state of the database (a WAL read transaction)."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        with contextlib.suppress(sqlite3.Error):
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


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read a MiB at a time (raises OSError)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _describe_file(path: Path) -> tuple[str, int, int]:
    """(sha256, width, height) of an image; blanks if it is missing or unreadable."""
    try:
        digest = file_sha256(path)
    except OSError:
        return "", 0, 0
    try:
        from PIL import Image

        with Image.open(path) as image:
            width, height = image.size
    except Exception:  # an unreadable image keeps blank sizes; sync reports it later
        width = height = 0
    return digest, width, height


def _migrate_2_to_3(conn: sqlite3.Connection, images_dir: Path) -> None:
    conn.execute("CREATE TABLE pending (id TEXT PRIMARY KEY, filename TEXT NOT NULL, "
                 "kind TEXT NOT NULL, started REAL NOT NULL)")
    # Two live styles of one image (two copies of the app adding it at once): the older
    # stays, the others are trashed, so their byte-identical files go to the trash.
    conn.execute(
        "UPDATE styles SET trashed = ? WHERE trashed IS NULL AND sha256 != '' AND rowid NOT IN "
        "(SELECT min(rowid) FROM styles WHERE trashed IS NULL AND sha256 != '' "
        "GROUP BY sha256)", (time.time(),))
    conn.execute("CREATE UNIQUE INDEX styles_live_sha256 ON styles(sha256) "
                 "WHERE trashed IS NULL AND sha256 != ''")


_MIGRATIONS: dict[int, Callable[[sqlite3.Connection, Path], None]] = {
    1: _migrate_1_to_2, 2: _migrate_2_to_3}


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
