"""Write a file so that a crash or a full disk never leaves half of it behind.

The bytes go to a temporary file in the target's folder, are flushed to the
disk (fsync), and only then replace the target (``os.replace`` is atomic on
one file system). On any failure the temporary file is removed and the
previous file, if there was one, is untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; raises :class:`OSError` on failure."""
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    # 0o666 lets the user's umask decide the permissions, as for any new file.
    fd = os.open(temp, flags, 0o666)
    try:
        try:
            _keep_mode_of(target, fd)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_folder(target.parent)
    return target


def _keep_mode_of(target: Path, fd: int) -> None:
    """Give the new file the permissions of the one it replaces."""
    if not hasattr(os, "fchmod"):
        return
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.fchmod(fd, mode)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); best effort elsewhere."""
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
