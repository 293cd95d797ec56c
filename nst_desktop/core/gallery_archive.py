"""Sharing a set of styles as one zip archive: the images plus a JSON manifest.

Layout of an archive::

    styles.json          {"format": "nst-desktop-styles", "version": 1,
                          "styles": [{"file": "images/<name>", "title": ...}, ...]}
    images/<name>        the image files, byte for byte

An archive comes from strangers, so it is checked as a whole before anything
is unpacked: absolute paths, ``..``, drive letters, symbolic links, encrypted
members, too many members, members (or a total) that are too large, and
suspicious compression ratios are refused with an :class:`ArchiveError` that
says which member and why. Unpacking counts the bytes it actually reads
instead of trusting the sizes the archive declares.
"""

from __future__ import annotations

import json
import re
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nst_desktop.core.atomic_files import atomic_open
from nst_desktop.core.gallery_records import StyleRecord
from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.errors import ArchiveError, DuplicateStyleError, NSTError
from nst_desktop.text import counted

ARCHIVE_FORMAT = "nst-desktop-styles"
ARCHIVE_VERSION = 1
ARCHIVE_SUFFIX = ".nststyles.zip"
MANIFEST = "styles.json"
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_RATIO = 200  # uncompressed/compressed; images hardly compress at all
_DRIVE = re.compile(r"^[A-Za-z]:")


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
    with tempfile.TemporaryDirectory(prefix="nst-import-") as scratch:
        for path, details in unpack_archive(archive_path, Path(scratch)):
            try:
                report.added.append(store.add(path, **details))
            except DuplicateStyleError as dup:
                report.duplicates.append(dup.existing)  # type: ignore[arg-type]
            except NSTError as exc:
                report.failed.append((path.name, str(exc)))
    return report


def unpack_archive(archive_path: Path, dest: Path) -> list[tuple[Path, dict[str, object]]]:
    """Check a whole archive, then unpack its images into ``dest``; return each image's
    path with its details (for :meth:`GalleryStore.add`). Touches no gallery, so it
    may run on a worker thread. Raises ArchiveError."""
    archive_path = Path(archive_path)
    name = archive_path.name
    try:
        archive = zipfile.ZipFile(archive_path)
    except FileNotFoundError:
        raise ArchiveError(f"{name} does not exist.") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(f"{name} is not a style archive (not a readable zip: {exc}).") from None
    unpacked: list[tuple[Path, dict[str, object]]] = []
    with archive:
        members = check_members(archive, name)
        for index, entry in enumerate(_read_manifest(archive, members, name)):
            member = members[entry["file"]]
            # One folder per entry keeps the member's own name for messages.
            target = dest / f"{index:05d}" / PurePosixPath(member.filename).name
            target.parent.mkdir(parents=True)
            _extract(archive, member, target, name)
            details = {k: entry[k] for k in
                       ("title", "artist", "year", "source", "tags", "favourite") if k in entry}
            unpacked.append((target, details))
    return unpacked


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
        if info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveError(f"{name} is refused: {member!r} expands suspiciously "
                               "(a 'zip bomb').")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise ArchiveError(f"{name} is refused: it unpacks to more than "
                               f"{MAX_TOTAL_BYTES // 2**30} GiB.")
        if member in members:
            raise ArchiveError(f"{name} is unsafe: {member!r} appears twice.")
        members[member] = info
    return members


def _read_manifest(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
                   name: str) -> list[dict]:
    info = members.get(MANIFEST)
    if info is None:
        raise ArchiveError(f"{name} is not a style archive: it has no {MANIFEST}.")
    if info.file_size > MAX_MANIFEST_BYTES:
        raise ArchiveError(f"{name} is refused: its {MANIFEST} is too large.")
    try:
        with archive.open(info) as handle:
            manifest = json.loads(handle.read(MAX_MANIFEST_BYTES + 1).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{name} has a damaged {MANIFEST}: {exc}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
        raise ArchiveError(f"{name} is not an nst_desktop style archive.")
    version = manifest.get("version")
    if not isinstance(version, int) or version > ARCHIVE_VERSION:
        raise ArchiveError(f"{name} was made by a newer nst_desktop (format {version!r}).")
    entries = manifest.get("styles")
    if not isinstance(entries, list):
        raise ArchiveError(f"{name} has a damaged {MANIFEST}: 'styles' is not a list.")
    for entry in entries:
        file = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(file, str) or not file.startswith("images/") or file not in members:
            raise ArchiveError(f"{name} has a damaged {MANIFEST}: it names {file!r}, "
                               "which is not an image in the archive.")
    return entries


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, name: str) -> None:
    """Unpack one member, counting real bytes (declared sizes can lie)."""
    limit = min(info.file_size, MAX_MEMBER_BYTES)
    written = 0
    try:
        with archive.open(info) as source, atomic_open(target) as sink:
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > limit:
                    raise ArchiveError(f"{name} is refused: {info.filename!r} is larger "
                                       "than it claims.")
                sink.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ArchiveError(f"{info.filename} in {name} is damaged: {exc}.") from None
