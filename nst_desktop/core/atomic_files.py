"""Writing files so that a crash never leaves a half-written one behind.

Every write goes to a temporary file in the destination's folder (so that the
final ``os.replace`` is a rename on one file system, which is atomic), is
flushed and fsynced, then renamed over the destination; the folder is fsynced
so that the rename itself survives a power cut. Temporary files carry the
:data:`TEMP_PREFIX`, so a folder scan can recognise and remove the leftovers
of a process that was killed mid-write.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

TEMP_PREFIX = ".tmp-"


def write_error_reason(folder: Path, error: OSError) -> str:
    """Why a write into ``folder`` failed, in words fit to show ("the disk is full (no space
    left in /media/card)"), for a message that says what could not be written."""
    code = error.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"the disk is full (no space left in {folder})"
    if code == errno.EROFS:
        return f"the folder {folder} is on a read-only disk"
    if isinstance(error, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return f"you do not have permission to write to {folder}"
    if isinstance(error, FileNotFoundError):
        return f"the folder {folder} does not exist"
    if code == errno.ENAMETOOLONG:
        return "the file name is too long"
    return f"{error.strerror or error} (in {folder})"


def fsync_dir(folder: Path) -> None:
    """Make a rename/creation in ``folder`` durable (a no-op where unsupported)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _proc_umask() -> int | None:
    """The process's umask as Linux reports it (which, unlike os.umask, does not change it)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _umask_at_import() -> int:
    """Where /proc cannot say, the umask is set and restored once, here, at import, before
    any thread of the app writes a file."""
    mask = _proc_umask()
    if mask is None:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_AT_IMPORT = _umask_at_import()


def _read_umask() -> int:
    mask = _proc_umask()
    return _UMASK_AT_IMPORT if mask is None else mask


def file_mode_for(dest: Path) -> int:
    """The permissions a file written to ``dest`` gets: those of the file it replaces, else
    what a plain ``open()`` would give (0o666 less the umask; mkstemp's 0o600 would leave a
    saved picture unreadable to everyone else)."""
    try:
        return stat.S_IMODE(os.stat(dest).st_mode)
    except OSError:
        return 0o666 & ~_read_umask()


@contextlib.contextmanager
def atomic_open(dest: Path) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``dest`` only if the block ends normally; it gets
    :func:`file_mode_for` ``dest``'s permissions."""
    dest = Path(dest)
    mode = file_mode_for(dest)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=dest.suffix, dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        if hasattr(os, "fchmod"):
            with contextlib.suppress(OSError):
                os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(dest.parent)


def atomic_write_bytes(dest: Path, data: bytes) -> None:
    with atomic_open(dest) as handle:
        handle.write(data)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Replace ``path`` with ``data`` atomically, keeping the replaced file's permissions.

    Raises :class:`OSError` on failure; the previous file, if any, is then untouched.
    """
    target = Path(path)
    with atomic_open(target) as handle:
        view = memoryview(data)
        while view:  # unbuffered, so a full disk fails here, inside the atomic block
            view = view[os.write(handle.fileno(), view) :]
    return target


def atomic_write_text(dest: Path, text: str) -> None:
    atomic_write_bytes(dest, text.encode("utf-8"))


def atomic_copy(src: Path, dest: Path, *, on_chunk: Callable[[bytes], None] | None = None) -> int:
    """Copy ``src`` to ``dest`` atomically; return the number of bytes copied.

    ``on_chunk`` sees every block read (to hash the file in the same pass).
    """
    copied = 0
    with open(src, "rb") as source, atomic_open(dest) as target:
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                break
            if on_chunk is not None:
                on_chunk(chunk)
            target.write(chunk)
            copied += len(chunk)
    return copied


def atomic_replace_dir(staging: Path, dest: Path) -> None:
    """Rename a fully written ``staging`` folder to ``dest`` (which must not exist)."""
    for child in staging.iterdir():
        if child.is_file():
            with open(child, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(staging)
    os.replace(staging, dest)
    fsync_dir(dest.parent)


def remove_quietly(path: Path) -> None:
    """Remove a file or folder if it exists; errors are ignored (best-effort cleanup)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX)
