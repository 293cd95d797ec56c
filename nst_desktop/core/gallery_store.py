"""The style gallery: records in SQLite, images and thumbnails as files beside it.

Layout under :func:`nst_desktop.core.paths.gallery_dir`::

    gallery.sqlite3      the records (WAL mode, versioned: see gallery_db)
    images/<id>.<ext>    a copy of each imported image, byte for byte
    thumbnails/<id>.jpg  a cached 256 px thumbnail

Every step of a change is atomic on its own (files: temp + fsync + rename;
records: one SQLite transaction), and the steps are ordered so that a crash
between any two leaves at most unreferenced files, which the next open
removes. Adding: copy image, write thumbnail, insert record. Deleting is in
two phases so that it can be undone: ``trash`` hides the record (one UPDATE),
``purge`` deletes the record, then sends the image to the OS trash.

The store is used from one thread (the GUI's); only :meth:`prepare` (the slow,
file-only half of an import) may run on a worker thread. Listeners added with
:meth:`add_listener` hear about every change, whoever made it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from nst_desktop.core import gallery_db, paths, trash
from nst_desktop.core.atomic_files import atomic_copy, remove_quietly
from nst_desktop.core.gallery_folder import (
    is_own_image_name,
    list_folder,
    scan_folder,
    starter_styles,
)
from nst_desktop.core.gallery_records import (
    PreparedStyle,
    SortOrder,
    StoreChange,
    StyleRecord,
    SyncReport,
    clean_details,
    matches,
    sort_key,
    title_from_filename,
)
from nst_desktop.core.thumbnails import probe_image, save_thumbnail
from nst_desktop.errors import DuplicateStyleError, GalleryError, NSTError

log = logging.getLogger(__name__)

DB_NAME = "gallery.sqlite3"


__all__ = ["DB_NAME", "GalleryStore", "PreparedStyle", "StoreChange"]

Listener = Callable[[StoreChange], None]


class GalleryStore:
    """The person's style gallery. ``open_report`` tells what opening it found."""

    def __init__(self, root: Path | None = None, *, seed_starter: bool = True) -> None:
        self.root = Path(root) if root is not None else paths.gallery_dir()
        self.images_dir = self.root / "images"
        self.thumbs_dir = self.root / "thumbnails"
        self.db_path = self.root / DB_NAME
        self._listeners: list[Listener] = []
        self._records: dict[str, StyleRecord] = {}  # live (not trashed) styles
        self._trashed: dict[str, StyleRecord] = {}
        self._pending: set[str] = set()  # prepared on some thread, not yet committed
        self._pending_lock = threading.Lock()
        try:
            for folder in (self.root, self.images_dir, self.thumbs_dir):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GalleryError(f"The gallery folder {self.root} cannot be created: {exc}.") from exc
        self.open_report = SyncReport()
        self._conn = self._connect()
        self._load()
        self.purge()  # what was deleted but kept for undo in a previous session
        report = self.sync(remove_leftovers=True)
        report.recovered_database = self.open_report.recovered_database
        self.open_report = report
        if seed_starter and self._meta("starter_seeded") is None:
            self._seed_starter()

    # -- lifetime -------------------------------------------------------------
    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None  # type: ignore[assignment]

    def __enter__(self) -> GalleryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- reading ----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, style_id: object) -> bool:
        return style_id in self._records

    def styles(self, order: SortOrder = SortOrder.TITLE) -> list[StyleRecord]:
        """Every listed style, favourites first."""
        return sorted(self._records.values(), key=lambda r: sort_key(r, order))

    def get(self, style_id: str) -> StyleRecord:
        try:
            return self._records[style_id]
        except KeyError:
            raise GalleryError(f"There is no style {style_id!r} in the gallery.") from None

    def search(self, text: str = "", *, tag: str | None = None, favourites_only: bool = False,
               order: SortOrder = SortOrder.TITLE) -> list[StyleRecord]:
        return [r for r in self.styles(order) if matches(r, text, tag, favourites_only)]

    def tags(self) -> list[tuple[str, int]]:
        """(tag, number of styles) for every tag in use, alphabetically."""
        counts: dict[str, int] = {}
        for record in self._records.values():
            for tag in record.tags:
                counts[tag] = counts.get(tag, 0) + 1
        return sorted(counts.items())

    def trashed_ids(self) -> list[str]:
        return list(self._trashed)

    def find_by_path(self, path: str | Path) -> StyleRecord | None:
        """The listed style whose image is ``path`` (a path inside the gallery)."""
        path = Path(path)
        if path.parent != self.images_dir:
            return None
        return next((r for r in self._records.values() if r.filename == path.name), None)

    def title_for_path(self, path: str | Path) -> str | None:
        record = self.find_by_path(path)
        return record.title if record is not None else None

    def find_by_hash(self, sha256: str) -> StyleRecord | None:
        return next((r for r in self._records.values() if r.sha256 == sha256), None)

    # -- adding -------------------------------------------------------------------
    def add(self, path: Path, **details: object) -> StyleRecord:
        """Import an image file (copied in). Raises ImageLoadError for a bad file,
        DuplicateStyleError if the same image is already listed."""
        return self.commit(self.prepare(path), **details)

    def prepare(self, path: Path) -> PreparedStyle:
        """The slow, file-only half of :meth:`add`; safe on a worker thread."""
        path = Path(path)
        info, thumb = probe_image(path)
        style_id = uuid.uuid4().hex
        filename = style_id + info.suffix
        with self._pending_lock:
            self._pending.add(style_id)
        try:
            digest = self._copy_image(path, self.images_dir / filename)
            self._write_thumbnail(thumb, self.thumbs_dir / f"{style_id}.jpg")
        except BaseException:
            self._forget_files(style_id, filename)
            raise
        return PreparedStyle(style_id, filename, path, info, digest)

    def commit(self, prepared: PreparedStyle, **details: object) -> StyleRecord:
        """Record a prepared import (on the store's thread)."""
        try:
            existing = self.find_by_hash(prepared.sha256)
            if existing is not None:
                raise DuplicateStyleError(
                    f"{prepared.source_path.name} is already in the gallery as "
                    f"'{existing.title}'.", existing)
            fields = clean_details(
                {"title": title_from_filename(prepared.source_path), **details})
            record = StyleRecord(
                id=prepared.id, filename=prepared.filename, added=time.time(),
                width=prepared.info.width, height=prepared.info.height,
                sha256=prepared.sha256, image_path=self.images_dir / prepared.filename,
                thumbnail_path=self.thumbs_dir / f"{prepared.id}.jpg",
                **fields,  # type: ignore[arg-type]
            )
            self._insert_record(record)
        except BaseException:
            self.discard(prepared)
            raise
        with self._pending_lock:
            self._pending.discard(prepared.id)
        self._records[record.id] = record
        self._notify(StoreChange(added=[record]))
        return record

    def discard(self, prepared: PreparedStyle) -> None:
        """Throw away a prepared import that will not be committed."""
        self._forget_files(prepared.id, prepared.filename)

    # -- editing ----------------------------------------------------------------------
    def update(self, style_id: str, **changes: object) -> StyleRecord:
        """Change title, artist, year, source, tags and/or favourite."""
        record = self.get(style_id)
        new = record.replace(**clean_details(changes))
        if new == record:
            return record
        self._write(
            "UPDATE styles SET title=?, artist=?, year=?, source=?, tags=?, favourite=? "
            "WHERE id=?",
            (new.title, new.artist, new.year, new.source, json.dumps(list(new.tags)),
             int(new.favourite), style_id),
        )
        self._records[style_id] = new
        self._notify(StoreChange(updated=[new]))
        return new

    def rename(self, style_id: str, title: str) -> StyleRecord:
        return self.update(style_id, title=title)

    def set_favourite(self, style_id: str, favourite: bool) -> StyleRecord:
        return self.update(style_id, favourite=favourite)

    def mark_used(self, style_ids: Iterable[str]) -> None:
        """Note that these styles were just used (for 'recently used' ordering)."""
        now = time.time()
        ids = [i for i in style_ids if i in self._records]
        if not ids:
            return
        self._write_many("UPDATE styles SET last_used=? WHERE id=?", [(now, i) for i in ids])
        updated = [self._records[i].replace(last_used=now) for i in ids]
        self._records.update((r.id, r) for r in updated)
        self._notify(StoreChange(updated=updated))

    # -- deleting -----------------------------------------------------------------------
    def trash(self, style_ids: Iterable[str]) -> list[StyleRecord]:
        """Hide styles (undoable with :meth:`restore` until :meth:`purge`)."""
        records = [self._records[i] for i in dict.fromkeys(style_ids) if i in self._records]
        if records:
            now = time.time()
            self._write_many("UPDATE styles SET trashed=? WHERE id=?",
                             [(now, r.id) for r in records])
            for record in records:
                self._trashed[record.id] = self._records.pop(record.id)
            self._notify(StoreChange(removed=[r.id for r in records]))
        return records

    def restore(self, style_ids: Iterable[str]) -> list[StyleRecord]:
        """Bring back trashed styles."""
        records = [self._trashed[i] for i in dict.fromkeys(style_ids) if i in self._trashed]
        if records:
            self._write_many("UPDATE styles SET trashed=NULL WHERE id=?",
                             [(r.id,) for r in records])
            for record in records:
                self._records[record.id] = self._trashed.pop(record.id)
            self._notify(StoreChange(added=records))
        return records

    def purge(self, style_ids: Iterable[str] | None = None) -> list[StyleRecord]:
        """Delete trashed styles for good: records first, then their image files go to
        the OS trash (a crash in between leaves files that the next open removes)."""
        wanted = self._trashed if style_ids is None else dict.fromkeys(style_ids)
        records = [self._trashed[i] for i in list(wanted) if i in self._trashed]
        if not records:
            return []
        self._delete_records([r.id for r in records])
        for record in records:
            del self._trashed[record.id]
            self._discard_files(record)
        return records

    def delete(self, style_ids: Iterable[str]) -> list[StyleRecord]:
        """Delete at once, without undo."""
        records = self.trash(style_ids)
        self.purge([r.id for r in records])
        return records

    # -- keeping in step with the folder ------------------------------------------------
    def sync(self, *, remove_leftovers: bool = False) -> SyncReport:
        """Drop records whose image vanished, pick up images put into the folder.

        ``remove_leftovers`` (done on open) also deletes half-written files of an
        interrupted add or delete; later syncs leave them to the operation in flight.
        """
        report = SyncReport()
        gone = [r for r in (*self._records.values(), *self._trashed.values())
                if not r.image_path.is_file()]
        if gone:
            self._delete_records([r.id for r in gone])
            for record in gone:
                remove_quietly(record.thumbnail_path)
                if self._records.pop(record.id, None) is not None:
                    report.missing.append(record)
                self._trashed.pop(record.id, None)
            if report.missing:
                self._notify(StoreChange(removed=[r.id for r in report.missing]))
        known = {r.filename for r in (*self._records.values(), *self._trashed.values())}
        with self._pending_lock:
            pending = set(self._pending)
        scan = scan_folder(self.images_dir, self.thumbs_dir, known,
                           set(self._records) | set(self._trashed), pending)
        if remove_leftovers:
            for path in (*scan.leftovers, *scan.stale_thumbnails):
                remove_quietly(path)
                report.removed_leftovers.append(path)
        for path in scan.foreign:
            self._adopt(path, report)
        for message in report.messages():
            log.info("gallery sync: %s", message)
        return report

    # -- steps (separate so that tests can interrupt between them) ----------------------
    def _copy_image(self, src: Path, dest: Path) -> str:
        digest = hashlib.sha256()
        try:
            atomic_copy(src, dest, on_chunk=digest.update)
        except OSError as exc:
            raise _os_error(f"{src.name} could not be copied into the gallery", exc) from exc
        return digest.hexdigest()

    def _write_thumbnail(self, thumb: object, dest: Path) -> None:
        try:
            save_thumbnail(thumb, dest)  # type: ignore[arg-type]
        except OSError as exc:
            raise _os_error("The thumbnail could not be written", exc) from exc

    def _insert_record(self, record: StyleRecord) -> None:
        placeholders = ", ".join("?" * len(gallery_db.COLUMNS))
        self._write(f"INSERT INTO styles ({', '.join(gallery_db.COLUMNS)}) "
                    f"VALUES ({placeholders})", gallery_db.row_from_record(record))

    def _delete_records(self, style_ids: list[str]) -> None:
        self._write_many("DELETE FROM styles WHERE id=?", [(i,) for i in style_ids])

    def _discard_files(self, record: StyleRecord) -> None:
        remove_quietly(record.thumbnail_path)
        if record.image_path.exists():
            trash.move_to_trash(record.image_path)

    # -- internals --------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn, aside = gallery_db.connect_or_recover(self.db_path)
        self.open_report.recovered_database = aside
        return conn

    def _load(self) -> None:
        try:
            rows = self._conn.execute(
                f"SELECT {', '.join(gallery_db.COLUMNS)} FROM styles").fetchall()
        except sqlite3.Error as exc:
            raise GalleryError(f"The gallery database cannot be read: {exc}.") from exc
        for row in rows:
            record = gallery_db.record_from_row(row, self.images_dir, self.thumbs_dir)
            target = self._records if row[-1] is None else self._trashed
            target[record.id] = record
        if self.open_report.recovered_database is not None:
            # Every image is ours to adopt again: the records that named them are lost.
            for path in list_folder(self.images_dir):
                if is_own_image_name(path.name):
                    renamed = path.with_name("recovered-" + path.name)
                    path.replace(renamed)

    def _adopt(self, path: Path, report: SyncReport) -> None:
        """Add an image someone put into the images folder, then remove their copy."""
        details = {"title": "Recovered style"} if path.name.startswith("recovered-") else {}
        try:
            record = self.add(path, **details)
        except DuplicateStyleError:
            remove_quietly(path)
            return
        except NSTError as exc:
            report.problems.append(f"{path.name} in the gallery folder was not added: {exc}")
            with contextlib.suppress(OSError):  # hidden, so that later syncs skip it
                path.replace(path.with_name("." + path.name + ".not-an-image"))
            return
        remove_quietly(path)
        report.adopted.append(record)

    def _seed_starter(self) -> None:
        for path, details in starter_styles():
            try:
                self.add(path, **details)
            except DuplicateStyleError:
                continue
            except NSTError as exc:
                log.warning("starter style %s not added: %s", path.name, exc)
        self._write("INSERT OR REPLACE INTO meta (key, value) VALUES ('starter_seeded', '1')", ())

    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _write(self, sql: str, args: tuple) -> None:
        self._write_many(sql, [args])

    def _write_many(self, sql: str, rows: list[tuple]) -> None:
        if self._conn is None:
            raise GalleryError("The gallery is closed.")
        try:
            with gallery_db.transaction(self._conn):
                self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            if "full" in str(exc):
                raise GalleryError("The disk is full: the gallery could not be saved.") from exc
            raise GalleryError(f"The gallery could not be saved: {exc}.") from exc

    def _forget_files(self, style_id: str, filename: str) -> None:
        remove_quietly(self.images_dir / filename)
        remove_quietly(self.thumbs_dir / f"{style_id}.jpg")
        with self._pending_lock:
            self._pending.discard(style_id)

    def _notify(self, change: StoreChange) -> None:
        for listener in list(self._listeners):
            listener(change)


def _os_error(what: str, exc: OSError) -> GalleryError:
    import errno

    if exc.errno == errno.ENOSPC:
        return GalleryError(f"{what}: the disk is full.")
    return GalleryError(f"{what}: {exc.strerror or exc}.")
