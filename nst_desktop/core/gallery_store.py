"""The style gallery: records in SQLite, images and thumbnails as files beside it.

Layout under :func:`nst_desktop.core.paths.gallery_dir`::

    gallery.sqlite3      the records (WAL mode, versioned: see gallery_db)
    images/<id>.<ext>    a copy of each imported image, byte for byte
    thumbnails/<id>.jpg  a cached 256 px thumbnail

Every step of a change is atomic on its own (files: temp + fsync + rename;
records: one SQLite transaction), and every image file the app puts in or
takes out is written in the ``pending`` journal first: adding writes the
journal row, copies the image and thumbnail, then records the style and drops
the journal row in one transaction. Deleting is in two phases so that it can
be undone: ``trash`` hides the record (one UPDATE), ``purge`` swaps the record
for a journal row, sends the image to the OS trash and drops the row.

So an image in the folder without a record and without a journal row is the
person's, never a leftover: it is recovered into the gallery, not deleted.
Files with a journal row are finished (to the trash) only by a copy of the app
that has the gallery to itself (:mod:`nst_desktop.core.folder_lock`): several
copies may have the gallery open at once, each seeing the others' changes on
:meth:`sync`, and none removes what another is writing.

The store is used from one thread (the GUI's); only :meth:`prepare` (the slow,
file-only half of an import) may run on a worker thread. Listeners added with
:meth:`add_listener` hear about every change, whoever made it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from nst_desktop.core import folder_lock, gallery_db, paths, trash
from nst_desktop.core.atomic_files import atomic_copy, is_temp_name, remove_quietly
from nst_desktop.core.folder_lock import FolderLock
from nst_desktop.core.gallery_folder import (
    is_own_image_name,
    list_folder,
    own_thumbnail_id,
    read_folder,
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
LOCK_NAME = "gallery.lock"


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
        self._own_trash: set[str] = set()  # trashed here: this copy's to purge
        self._hidden: dict[str, StyleRecord] = {}  # rows kept while the images folder is gone
        self.open_report = SyncReport()
        self._lock = FolderLock(self.root / LOCK_NAME)
        try:
            alone = self._lock.open()
        except OSError as exc:
            raise GalleryError(f"The gallery at {self.root} cannot be opened: {exc}.") from exc
        self._conn: sqlite3.Connection = None  # type: ignore[assignment]
        try:
            had_images = any(is_own_image_name(p.name) for p in list_folder(self.images_dir))
            # Set a damaged database aside only when no other copy is writing into it.
            self._conn = self._connect(repair=alone or not folder_lock.CAN_TELL_ALONE)
            self._reload()
            if alone:  # nobody else has the gallery open: finish what was left half-done
                self._finish_interrupted()
                self._own_trash.update(self._trashed)
                self.purge()  # what was deleted but kept for undo in a previous session
                self._lock.share()
            report = self.sync()
            report.recovered_database = self.open_report.recovered_database
            self.open_report = report
            if self._meta("starter_seeded") is None:
                if had_images:  # a lost database, not a first start: no starter again
                    self._write_meta("starter_seeded", "1")
                elif seed_starter:
                    self._seed_starter()
        except BaseException:
            self.close()
            raise

    # -- lifetime -------------------------------------------------------------
    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None  # type: ignore[assignment]
        self._lock.close()

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
            self._journal("INSERT INTO pending (id, filename, kind, started) VALUES (?, ?, ?, ?)",
                          (style_id, filename, "add", time.time()))
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
            try:
                self._insert_record(record)
            except GalleryError as exc:
                twin = self._live_twin(prepared.sha256)
                if twin is None:
                    raise
                raise DuplicateStyleError(  # another copy of the app added it a moment ago
                    f"{prepared.source_path.name} is already in the gallery as "
                    f"'{twin.title}'.", twin) from exc
        except BaseException:
            if not self._is_recorded(prepared.id):
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
                self._own_trash.add(record.id)
            self._notify(StoreChange(removed=[r.id for r in records]))
        return records

    def restore(self, style_ids: Iterable[str]) -> list[StyleRecord]:
        """Bring back trashed styles (one whose image was added again meanwhile stays in
        the trash: the gallery lists each image once)."""
        records = [self._trashed[i] for i in dict.fromkeys(style_ids) if i in self._trashed]
        restored: list[StyleRecord] = []
        for record in records:
            if record.sha256 and self._live_twin(record.sha256) is not None:
                log.info("not restoring %s: the same image is listed again", record.id)
                continue
            try:
                self._write("UPDATE styles SET trashed=NULL WHERE id=?", (record.id,))
            except GalleryError as exc:
                if isinstance(exc.__cause__, sqlite3.IntegrityError):
                    # Another copy listed the same image between the check and now.
                    log.info("not restoring %s: the same image was just listed", record.id)
                    continue
                if restored:
                    self._notify(StoreChange(added=restored))
                raise
            self._records[record.id] = self._trashed.pop(record.id)
            self._own_trash.discard(record.id)
            restored.append(record)
        if restored:
            self._notify(StoreChange(added=restored))
        return restored

    def purge(self, style_ids: Iterable[str] | None = None) -> list[StyleRecord]:
        """Delete styles this copy trashed, for good: each record is swapped for a journal
        row, its image goes to the OS trash, then the row goes (a crash in between leaves
        the row, and the next copy that has the gallery to itself finishes the job)."""
        wanted = self._own_trash if style_ids is None else dict.fromkeys(style_ids)
        records = [self._trashed[i] for i in list(wanted) if i in self._trashed]
        if not records:
            return []
        self._delete_records(records)
        for record in records:
            del self._trashed[record.id]
            self._own_trash.discard(record.id)
            self._discard_files(record)
            self._journal("DELETE FROM pending WHERE id=?", (record.id,))
        return records

    def delete(self, style_ids: Iterable[str]) -> list[StyleRecord]:
        """Delete at once, without undo."""
        records = self.trash(style_ids)
        self.purge([r.id for r in records])
        return records

    # -- keeping in step with the folder and the other copies ------------------------------
    def sync(self) -> SyncReport:
        """See what other copies of the app changed, drop records whose image the person
        removed, recover images whose record is lost, pick up images put into the folder.

        Nothing is deleted here: the folder is listed before the records are read, so a
        file another copy is adding has its journal row or its record by then.
        """
        report = SyncReport()
        entries = read_folder(self.images_dir)
        listing = [p for p in entries or () if not p.name.startswith(".")]
        change, in_flight = self._reload()
        every = {**self._records, **self._trashed}
        gone = [r for r in every.values() if not r.image_path.is_file()]
        if gone and (entries is None or all(is_temp_name(p.name) for p in listing)):
            # The folder is gone, unreadable or empty (a drive not mounted, a link to it
            # broken, a mount point without its drive): the records wait, hidden, for
            # their images. Only a folder that still holds images says one was removed.
            for record in gone:
                if self._records.pop(record.id, None) is not None:
                    change.removed.append(record.id)
                    report.unavailable.append(record)
                self._trashed.pop(record.id, None)
                self._hidden[record.id] = record
        elif gone:
            self._delete_records(gone, journal=False)
            for record in gone:
                remove_quietly(record.thumbnail_path)
                if self._records.pop(record.id, None) is not None:
                    report.missing.append(record)
                    change.removed.append(record.id)
                self._trashed.pop(record.id, None)
        known = {r.filename for r in (*self._records.values(), *self._trashed.values(),
                                      *self._hidden.values())}
        with self._pending_lock:
            pending = set(self._pending)
        in_flight |= {p.name for p in listing if p.name.split(".")[0] in pending}
        for path in listing:
            name = path.name
            if name in known or name in in_flight or is_temp_name(name) or not path.is_file():
                continue
            if is_own_image_name(name):
                self._recover(path, report, change)
            else:
                self._adopt(path, report)
        if change.added or change.removed or change.updated:
            self._notify(change)
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
        """The record and the end of its journal row, in one transaction."""
        placeholders = ", ".join("?" * len(gallery_db.COLUMNS))
        self._write_batch([
            (f"INSERT INTO styles ({', '.join(gallery_db.COLUMNS)}) VALUES ({placeholders})",
             [gallery_db.row_from_record(record)]),
            ("DELETE FROM pending WHERE id=?", [(record.id,)]),
        ])

    def _delete_records(self, records: list[StyleRecord], *, journal: bool = True) -> None:
        """Delete records; with ``journal``, their files are written in the journal in the
        same transaction (they are about to go to the trash)."""
        batch: list[tuple[str, list[tuple]]] = [
            ("DELETE FROM styles WHERE id=?", [(r.id,) for r in records])]
        if journal:
            now = time.time()
            batch.append(("INSERT OR REPLACE INTO pending (id, filename, kind, started) "
                          "VALUES (?, ?, 'delete', ?)", [(r.id, r.filename, now) for r in records]))
        self._write_batch(batch)

    def _discard_files(self, record: StyleRecord) -> None:
        remove_quietly(record.thumbnail_path)
        if record.image_path.exists():
            trash.move_to_trash(record.image_path)

    # -- internals --------------------------------------------------------------------
    def _connect(self, *, repair: bool) -> sqlite3.Connection:
        conn, aside = gallery_db.connect_or_recover(self.db_path, repair=repair)
        self.open_report.recovered_database = aside
        return conn

    def _reload(self) -> tuple[StoreChange, set[str]]:
        """Read every record again (another copy may have changed them): what changed, and
        the files in the journal. Both in one snapshot: every image file the app makes has
        a record or a journal row for as long as it exists, so a file listed before this
        and found in neither is nobody's add or delete in flight."""
        try:
            with gallery_db.snapshot(self._conn):
                rows = self._conn.execute(
                    f"SELECT {', '.join(gallery_db.COLUMNS)} FROM styles").fetchall()
                journal = self._conn.execute("SELECT filename FROM pending").fetchall()
        except sqlite3.Error as exc:
            raise GalleryError(f"The gallery database cannot be read: {exc}.") from exc
        live: dict[str, StyleRecord] = {}
        trashed: dict[str, StyleRecord] = {}
        for row in rows:
            record = gallery_db.record_from_row(row, self.images_dir, self.thumbs_dir)
            (live if row[-1] is None else trashed)[record.id] = record
        change = StoreChange(
            added=[r for i, r in live.items() if i not in self._records],
            updated=[r for i, r in live.items() if i in self._records and r != self._records[i]],
            removed=[i for i in self._records if i not in live],
        )
        self._records, self._trashed = live, trashed
        self._hidden = {}
        return change, {str(filename) for (filename,) in journal}

    def _finish_interrupted(self) -> None:
        """With the gallery to ourselves: the files of adds and deletes that a killed copy
        left half done go to the trash, and temp files and orphan thumbnails go."""
        rows = self._conn.execute("SELECT id, filename FROM pending").fetchall()
        listed = {r.filename for r in (*self._records.values(), *self._trashed.values())}
        for style_id, filename in rows:
            image = self.images_dir / str(filename)
            if filename not in listed and image.is_file():
                trash.move_to_trash(image)
            if style_id not in self._records and style_id not in self._trashed:
                remove_quietly(self.thumbs_dir / f"{style_id}.jpg")
            self._write("DELETE FROM pending WHERE id=?", (style_id,))
        for path in list_folder(self.images_dir):
            if is_temp_name(path.name):
                trash.move_to_trash(path)  # a half-written copy: the person's original is safe
        ids = set(self._records) | set(self._trashed)
        for path in list_folder(self.thumbs_dir):
            thumb_id = own_thumbnail_id(path.name)
            if is_temp_name(path.name) or (thumb_id is not None and thumb_id not in ids):
                remove_quietly(path)  # thumbnails are made again from the images

    def _recover(self, path: Path, report: SyncReport, change: StoreChange) -> None:
        """Put back into the gallery an image of ours whose record is lost, in place."""
        try:
            info, thumb = probe_image(path)
            digest = gallery_db.file_sha256(path)
        except (NSTError, OSError) as exc:
            if not path.exists():
                return  # removed a moment ago by the copy that was deleting it
            report.problems.append(f"{path.name} in the gallery folder could not be "
                                   f"recovered: {exc}")
            with contextlib.suppress(OSError):  # hidden, so that later syncs skip it
                path.replace(path.with_name("." + path.name + ".not-an-image"))
            return
        if self._live_twin(digest) is not None:
            trash.move_to_trash(path)  # a byte-for-byte copy of a listed style
            return
        style_id = path.name.split(".")[0]
        details = _starter_details().get(digest) or {
            "title": self._free_title("Recovered style " + time.strftime(
                "%Y-%m-%d %H.%M", time.localtime(path.stat().st_mtime))),
            "source": "Recovered " + time.strftime("%Y-%m-%d") + ": its details were lost.",
        }
        record = StyleRecord(
            id=style_id, filename=path.name, added=time.time(), width=info.width,
            height=info.height, sha256=digest, image_path=path,
            thumbnail_path=self.thumbs_dir / f"{style_id}.jpg",
            **clean_details(details),  # type: ignore[arg-type]
        )
        try:
            self._write_thumbnail(thumb, record.thumbnail_path)
            self._write("INSERT INTO styles ({}) VALUES ({})".format(
                ", ".join(gallery_db.COLUMNS), ", ".join("?" * len(gallery_db.COLUMNS))),
                gallery_db.row_from_record(record))
        except GalleryError as exc:
            if self._is_recorded(style_id):
                return  # another copy recovered it first
            report.problems.append(f"{path.name} could not be recovered: {exc}")
            return
        self._records[record.id] = record
        report.recovered.append(record)
        change.added.append(record)

    def _free_title(self, title: str) -> str:
        """``title``, or "title (2)", "(3)"...: images recovered from one minute (a whole
        gallery whose database was lost) must not all look the same in the grid."""
        taken = {r.title for r in self._records.values()}
        candidate, number = title, 2
        while candidate in taken:
            candidate, number = f"{title} ({number})", number + 1
        return candidate

    def _adopt(self, path: Path, report: SyncReport) -> None:
        """Add an image someone put into the images folder, then send their copy to the
        trash (the gallery now holds the same bytes)."""
        try:
            record = self.add(path)
        except DuplicateStyleError:
            trash.move_to_trash(path)  # the gallery lists these bytes; never past the trash
            return
        except NSTError as exc:
            report.problems.append(f"{path.name} in the gallery folder was not added: {exc}")
            with contextlib.suppress(OSError):  # hidden, so that later syncs skip it
                path.replace(path.with_name("." + path.name + ".not-an-image"))
            return
        trash.move_to_trash(path)  # the gallery holds a copy now; never past the trash
        report.adopted.append(record)

    def _seed_starter(self) -> None:
        for path, details in starter_styles():
            try:
                self.add(path, **details)
            except DuplicateStyleError:
                continue
            except NSTError as exc:
                log.warning("starter style %s not added: %s", path.name, exc)
        self._write_meta("starter_seeded", "1")

    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _write_meta(self, key: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _is_recorded(self, style_id: str) -> bool:
        if self._conn is None:
            return False
        try:
            return self._conn.execute("SELECT 1 FROM styles WHERE id=?",
                                      (style_id,)).fetchone() is not None
        except sqlite3.Error:
            return False

    def _live_twin(self, sha256: str) -> StyleRecord | None:
        """The listed style with these bytes, asking the database (another copy of the app
        may have added it since this one last looked)."""
        if not sha256 or self._conn is None:
            return None
        try:
            row = self._conn.execute(
                f"SELECT {', '.join(gallery_db.COLUMNS)} FROM styles "
                "WHERE sha256=? AND trashed IS NULL", (sha256,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        return gallery_db.record_from_row(row, self.images_dir, self.thumbs_dir)

    def _write(self, sql: str, args: tuple) -> None:
        self._write_many(sql, [args])

    def _write_many(self, sql: str, rows: list[tuple]) -> None:
        self._write_batch([(sql, rows)])

    def _write_batch(self, batch: list[tuple[str, list[tuple]]]) -> None:
        """Several statements in one transaction."""
        if self._conn is None:
            raise GalleryError("The gallery is closed.")
        try:
            with gallery_db.transaction(self._conn):
                for sql, rows in batch:
                    self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise _db_error(exc) from exc

    def _journal(self, sql: str, args: tuple) -> None:
        """Write the journal on a connection of its own: :meth:`prepare` runs on a worker
        thread, and SQLite connections stay on the thread that made them."""
        try:
            conn = sqlite3.connect(self.db_path, isolation_level=None,
                                   timeout=gallery_db.BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise _db_error(exc) from exc
        try:
            with gallery_db.transaction(conn):
                conn.execute(sql, args)
        except sqlite3.Error as exc:
            raise _db_error(exc) from exc
        finally:
            conn.close()

    def _forget_files(self, style_id: str, filename: str) -> None:
        """Remove this copy's own half-made import (the person's original is untouched)."""
        remove_quietly(self.images_dir / filename)
        remove_quietly(self.thumbs_dir / f"{style_id}.jpg")
        with contextlib.suppress(GalleryError):  # else finished by the next lone open
            self._journal("DELETE FROM pending WHERE id=?", (style_id,))
        with self._pending_lock:
            self._pending.discard(style_id)

    def _notify(self, change: StoreChange) -> None:
        for listener in list(self._listeners):
            listener(change)


@functools.lru_cache(maxsize=1)
def _starter_details() -> dict[str, dict[str, object]]:
    """The starter paintings' details by their images' hashes (a recovered starter painting
    gets its title back); read once, not once per recovered image: the files ship with the
    app and do not change while it runs."""
    found: dict[str, dict[str, object]] = {}
    for path, details in starter_styles():
        with contextlib.suppress(OSError):
            found[gallery_db.file_sha256(path)] = details
    return found


def _db_error(exc: sqlite3.Error) -> GalleryError:
    if gallery_db.error_name(exc).startswith("SQLITE_FULL"):
        return GalleryError("The disk is full: the gallery could not be saved.")
    return GalleryError(f"The gallery could not be saved: {exc}.")


def _os_error(what: str, exc: OSError) -> GalleryError:
    import errno

    if exc.errno == errno.ENOSPC:
        return GalleryError(f"{what}: the disk is full.")
    return GalleryError(f"{what}: {exc.strerror or exc}.")
