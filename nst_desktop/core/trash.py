"""Sending files to the trash (recoverable), not deleting them.

The gallery's images are copies, but a person who deletes a style and then
regrets it past the undo history can still fetch the image from the trash.

With ``NST_DESKTOP_HOME`` set (a portable install, and every test) the app
keeps to that folder: deleted files go to ``<home>/trash/`` instead of the
operating system's trash. Where no trash is available (some network or
removable volumes) the file is deleted and the fact logged.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from nst_desktop.core.paths import HOME_ENV

log = logging.getLogger(__name__)


def private_trash_dir() -> Path | None:
    """The trash inside an overridden home, or None when the OS trash is used."""
    home = os.environ.get(HOME_ENV)
    return Path(home) / "trash" if home else None


def move_to_trash(path: Path) -> bool:
    """Move ``path`` (file or folder) to the trash; False if it had to be deleted instead."""
    path = Path(path)
    try:
        private = private_trash_dir()
        if private is not None:
            private.mkdir(parents=True, exist_ok=True)
            path.replace(private / f"{secrets.token_hex(4)}-{path.name}")
        else:
            from send2trash import send2trash

            send2trash(str(path))
        return True
    except Exception as exc:  # send2trash raises OSError and its own TrashPermissionError
        log.warning("could not move %s to the trash (%s); deleting it", path, exc)
        try:
            if path.is_dir():
                import shutil

                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError as unlink_error:
            log.warning("could not delete %s either: %s", path, unlink_error)
        return False
