"""Who else has a folder open: a shared lock while it is in use, exclusive only to clean up.

Every copy of the app that opens the gallery holds a *shared* lock on a file in
it for as long as it has the gallery open. Clean-up that destroys anything (the
half-written files of an interrupted add, trash left by an earlier session) is
done only by a copy that can take the lock *exclusively* without waiting, that
is, when no other copy has the folder open, so one copy never removes what
another is still writing. A process killed with ``kill -9`` loses its lock with
it, so its leftovers are cleaned by the next copy that finds itself alone.

``fcntl.flock`` locks belong to an open file, so two stores in one process also
see each other (as the tests open them). fasteners' InterProcessReaderWriterLock
was measured unfit: it uses ``fcntl.lockf``, whose locks belong to the process (a
second store in the same process looks alone, and closing any descriptor of the
file drops them all), and it needs pywin32 on Windows. Where ``flock`` does not
exist (Windows) a copy is never alone: it never cleans up, which is always safe.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

SHARED_WAIT_S = 10.0  # how long to wait for another copy to finish its clean-up


class FolderLockError(OSError):
    """The lock could not be taken in time (another copy is cleaning up, or hangs)."""


class FolderLock:
    """A lock file; :meth:`open` takes it, returning whether this copy is alone."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def open(self, *, wait_s: float = SHARED_WAIT_S) -> bool:
        """Take the lock: exclusively when nobody else holds it (returns True: the caller
        may clean up, then must call :meth:`share`), else shared (returns False)."""
        if fcntl is None:
            return False
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if self._try(fcntl.LOCK_EX):
                return True
            deadline = time.monotonic() + wait_s
            while not self._try(fcntl.LOCK_SH):
                if time.monotonic() > deadline:
                    raise FolderLockError(
                        f"{self.path.parent} is held by another copy of the app that does "
                        "not let go")
                time.sleep(0.01)  # another copy is cleaning up: that takes milliseconds
        except BaseException:
            self.close()
            raise
        return False

    def share(self) -> None:
        """Turn an exclusive lock into a shared one (clean-up done)."""
        if fcntl is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_SH)

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing the file releases its lock
            self._fd = None

    def __del__(self) -> None:
        self.close()

    def _try(self, kind: int) -> bool:
        try:
            fcntl.flock(self._fd, kind | fcntl.LOCK_NB)  # type: ignore[arg-type]
        except BlockingIOError:
            return False
        return True
