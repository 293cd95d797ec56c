"""Sharing a set of styles as one zip archive: the images plus a JSON manifest.

Layout of an archive::

    styles.json          {"format": "nst-desktop-styles", "version": 1,
                          "styles": [{"file": "images/<name>", "title": ...}, ...]}
    images/<name>        the image files, byte for byte

An archive comes from strangers, so it is checked as a whole before anything
is unpacked: absolute paths, ``..``, drive letters, symbolic links, encrypted
members, too many members, members (or a total) that are too large, and
suspicious compression ratios are refused with an :class:`ArchiveError` that
says which member and why; so is a manifest with fields of the wrong type, more
entries than :data:`MAX_MEMBERS`, or one image named twice. Unpacking counts the
bytes it actually writes, per member and in all (:data:`MAX_TOTAL_BYTES`), instead
of trusting the sizes the archive declares.

Images are unpacked into a scratch folder ``nst-import-<pid>-<random>`` in the
system's temporary folder; one left by an import that was killed is removed by
:func:`clean_leftover_scratch` once its process is gone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nst_desktop.core.atomic_files import atomic_open
from nst_desktop.core.gallery_records import StyleRecord, clean_details
from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.errors import ArchiveError, DuplicateStyleError, GalleryError, NSTError
from nst_desktop.jsonsafe import JSONReadError
from nst_desktop.jsonsafe import loads as json_loads
from nst_desktop.text import counted

ARCHIVE_FORMAT = "nst-desktop-styles"
ARCHIVE_VERSION = 1
ARCHIVE_SUFFIX = ".nststyles.zip"
MANIFEST = "styles.json"
MAX_MEMBERS = 10_000  # files in an archive, and so styles in its manifest
MAX_MEMBER_BYTES = 512 * 1024 * 1024
# All an import may unpack, counted as written: 2 GiB is a hundred 20 MB paintings, far more
# than a shared set holds, and little enough that a hostile archive cannot fill a disk.
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_RATIO = 200  # uncompressed/compressed, for every member; images hardly compress at all
SCRATCH_PREFIX = "nst-import-"
DETAIL_FIELDS = ("title", "artist", "year", "source", "tags", "favourite")
_DRIVE = re.compile(r"^[A-Za-z]:")
# tempfile's random part has no "-", so an older "nst-import-<random>" never matches.
_SCRATCH_OWNER = re.compile(rf"^{SCRATCH_PREFIX}(\d+)-")


@dataclass
class ArchiveImportReport:
    added: list[StyleRecord] = field(default_factory=list)
    duplicates: list[StyleRecord] = field(default_factory=list)  # already in the gallery
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, readable reason)

    def summary(self) -> str:
        parts = [f"{counted(len(self.added), 'style')} imported"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} already in the gallery")
        if self.failed:
            parts.append(f"{len(self.failed)} could not be read")
        return ", ".join(parts) + "."


def export_styles(store: GalleryStore, style_ids: list[str], dest: Path) -> int:
    """Write the chosen styles to the archive ``dest`` (atomically); return how many."""
    records = [store.get(i) for i in dict.fromkeys(style_ids)]
    if not records:
        raise ArchiveError("Choose at least one style to export.")
    entries = []
    for record in records:
        entry = {"file": f"images/{record.filename}", **record.details()}
        entry["tags"] = list(record.tags)
        entries.append(entry)
    manifest = {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "exported": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "styles": entries,
    }
    dest = Path(dest)
    try:
        with atomic_open(dest) as handle, zipfile.ZipFile(handle, "w") as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False),
                             compress_type=zipfile.ZIP_DEFLATED)
            for record in records:
                # Images are compressed already: store them as they are.
                archive.write(record.image_path, f"images/{record.filename}",
                              compress_type=zipfile.ZIP_STORED)
    except FileNotFoundError as exc:
        raise ArchiveError(f"A style's image is missing, nothing was exported: {exc}.") from exc
    except OSError as exc:
        raise ArchiveError(f"The archive {dest.name} could not be written: "
                           f"{exc.strerror or exc}.") from exc
    return len(records)


def import_styles(store: GalleryStore, archive_path: Path) -> ArchiveImportReport:
    """Add the styles of an archive to the gallery. Raises ArchiveError if the
    archive is unreadable or unsafe; single bad images are reported, not raised."""
    report = ArchiveImportReport()
    with scratch_folder() as scratch:
        for path, details in unpack_archive(archive_path, scratch):
            try:
                report.added.append(store.add(path, **details))
            except DuplicateStyleError as dup:
                report.duplicates.append(dup.existing)  # type: ignore[arg-type]
            except NSTError as exc:
                report.failed.append((path.name, str(exc)))
            except Exception as exc:  # never a traceback after part of the archive is in
                report.failed.append((path.name, f"{path.name} could not be imported: {exc}"))
    return report


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A scratch folder for one import, removed afterwards; its name carries this process's
    id, so that :func:`clean_leftover_scratch` knows when its owner is gone."""
    clean_leftover_scratch()
    folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def clean_leftover_scratch(temp_dir: Path | None = None) -> int:
    """Remove scratch folders of imports whose process is gone (killed mid-import); they
    hold only copies of archive members. Returns how many were removed."""
    root = Path(temp_dir) if temp_dir is not None else Path(tempfile.gettempdir())
    removed = 0
    try:
        candidates = [p for p in root.iterdir() if p.name.startswith(SCRATCH_PREFIX)]
    except OSError:
        return 0
    for folder in candidates:
        owner = _SCRATCH_OWNER.match(folder.name)
        try:
            if not folder.is_dir() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
            if owner is not None:
                if _process_alive(int(owner.group(1))):
                    continue
            elif time.time() - folder.stat().st_mtime < 24 * 3600:
                continue  # a name from before pids were recorded: only when a day old
        except (OSError, AttributeError):  # AttributeError: no os.getuid on Windows
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += not folder.exists()
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would end the process there: keep the folder
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, someone else's
    return True


def unpack_archive(archive_path: Path, dest: Path) -> list[tuple[Path, dict[str, object]]]:
    """Check a whole archive, then unpack its images into ``dest``; return each image's
    path with its details (for :meth:`GalleryStore.add`). Touches no gallery, so it
    may run on a worker thread. Raises ArchiveError."""
    archive_path = Path(archive_path)
    name = archive_path.name
    unpacked: list[tuple[Path, dict[str, object]]] = []
    with _open_regular(archive_path, name) as handle:
        try:
            archive = zipfile.ZipFile(handle)  # type: ignore[call-overload]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ArchiveError(f"{name} is not a style archive (not a readable zip: "
                               f"{exc}).") from None
        with archive:
            members = check_members(archive, name)
            entries = _read_manifest(archive, members, name)  # all checked before any write
            written = 0
            for index, (file, details) in enumerate(entries):
                member = members[file]
                # One folder per entry keeps the member's own name for messages.
                target = dest / f"{index:05d}" / PurePosixPath(member.filename).name
                target.parent.mkdir(parents=True)
                written += _extract(archive, member, target, name, MAX_TOTAL_BYTES - written)
                unpacked.append((target, details))
    return unpacked


@contextmanager
def _open_regular(path: Path, name: str) -> Iterator[object]:
    """The archive opened for reading, if it is a regular file: a FIFO, a device such as
    /dev/zero, or a folder is refused at once instead of blocking or reading without end."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ArchiveError(f"{name} does not exist.") from None
    except IsADirectoryError:
        raise ArchiveError(f"{name} is a folder, not a style archive.") from None
    except OSError as exc:
        raise ArchiveError(f"{name} cannot be opened: {exc.strerror or exc}.") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ArchiveError(f"{name} is a folder, not a style archive.")
        if not stat.S_ISREG(mode):
            raise ArchiveError(f"{name} is not a style archive: it is not a regular file.")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        yield handle


def check_members(archive: zipfile.ZipFile, name: str) -> dict[str, zipfile.ZipInfo]:
    """Every member by name, or ArchiveError for the first unsafe one."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"{name} has {len(infos)} files; at most {MAX_MEMBERS} are accepted.")
    total = 0
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        member = info.filename
        parts = member.replace("\\", "/").split("/")
        if member.startswith(("/", "\\")) or _DRIVE.match(member):
            raise ArchiveError(f"{name} is unsafe: {member!r} is an absolute path.")
        if ".." in parts:
            raise ArchiveError(f"{name} is unsafe: {member!r} points outside the archive.")
        if "\\" in member or "\x00" in member:
            raise ArchiveError(f"{name} is unsafe: {member!r} is not a plain file name.")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f"{name} is unsafe: {member!r} is a symbolic link.")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{name} has encrypted files ({member!r}); they cannot be read.")
        if info.file_size > MAX_MEMBER_BYTES:
            raise ArchiveError(f"{name} is refused: {member!r} is too large "
                               f"({info.file_size // 2**20} MiB).")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveError(f"{name} is refused: {member!r} expands suspiciously "
                               "(a 'zip bomb').")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise ArchiveError(f"{name} is refused: it unpacks to more than "
                               f"{_size(MAX_TOTAL_BYTES)}.")
        if member in members:
            raise ArchiveError(f"{name} is unsafe: {member!r} appears twice.")
        members[member] = info
    return members


def _read_manifest(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
                   name: str) -> list[tuple[str, dict[str, object]]]:
    """Each style's member name and checked details; ArchiveError for anything off."""
    info = members.get(MANIFEST)
    if info is None:
        raise ArchiveError(f"{name} is not a style archive: it has no {MANIFEST}.")
    if info.file_size > MAX_MANIFEST_BYTES:
        raise ArchiveError(f"{name} is refused: its {MANIFEST} is too large.")
    damaged = f"{name} has a damaged {MANIFEST}"
    try:
        with archive.open(info) as handle:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)
        manifest = json_loads(raw, what=f"The {MANIFEST} of {name}",
                              max_bytes=MAX_MANIFEST_BYTES)
    except JSONReadError as exc:
        raise ArchiveError(str(exc)) from None
    except (ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArchiveError(f"{damaged}: {exc}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
        raise ArchiveError(f"{name} is not an nst_desktop style archive.")
    version = manifest.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version > ARCHIVE_VERSION:
        shown = version if isinstance(version, int) and abs(version) < 10**6 else "?"
        raise ArchiveError(f"{name} was made by a newer nst_desktop (format {shown!r}).")
    entries = manifest.get("styles")
    if not isinstance(entries, list):
        raise ArchiveError(f"{damaged}: 'styles' is not a list.")
    if len(entries) > MAX_MEMBERS:
        raise ArchiveError(f"{name} is refused: it lists {len(entries):,} styles; at most "
                           f"{MAX_MEMBERS:,} are accepted.")
    checked: list[tuple[str, dict[str, object]]] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, 1):
        file = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(file, str) or not file.startswith("images/") or file not in members:
            shown = file if isinstance(file, str) and len(file) < 100 else type(file).__name__
            raise ArchiveError(f"{damaged}: it names {shown!r}, "
                               "which is not an image in the archive.")
        if file in seen:
            raise ArchiveError(f"{name} is refused: its {MANIFEST} names {file!r} twice.")
        seen.add(file)
        details = {k: entry[k] for k in DETAIL_FIELDS if k in entry}
        tags = details.get("tags")
        if "tags" in details and not (isinstance(tags, str) or (
                isinstance(tags, list) and all(isinstance(t, str) for t in tags))):
            raise ArchiveError(f"{damaged}: the tags of style {number} are not a list of text.")
        if "favourite" in details and not isinstance(details["favourite"], bool):
            raise ArchiveError(f"{damaged}: 'favourite' of style {number} is not true or false.")
        try:
            clean_details(dict(details))
        except GalleryError as exc:
            raise ArchiveError(f"{damaged}: style {number}: {exc}") from None
        checked.append((file, details))
    return checked


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, name: str,
             budget: int) -> int:
    """Unpack one member, counting real bytes (declared sizes can lie), at most ``budget``
    of them (what is left of :data:`MAX_TOTAL_BYTES`); returns how many were written."""
    limit = min(info.file_size, MAX_MEMBER_BYTES)
    written = 0
    try:
        with archive.open(info) as source, atomic_open(target) as sink:
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > limit:
                    raise ArchiveError(f"{name} is refused: {info.filename!r} is larger "
                                       "than it claims.")
                if written > budget:
                    raise ArchiveError(f"{name} is refused: it unpacks to more than "
                                       f"{_size(MAX_TOTAL_BYTES)}.")
                sink.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ArchiveError(f"{info.filename} in {name} is damaged: {exc}.") from None
    return written


def _size(count: int) -> str:
    return f"{count // 2**30} GiB" if count >= 2**30 else f"{count:,} bytes"
