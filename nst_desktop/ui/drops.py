"""Reading images out of drag-and-drop and clipboard mime data.

A file manager drops file URLs; a web browser drops the image's bytes and/or
its http(s) URL. Local files and bytes are decoded here; a remote URL is only
reported (the window asks before fetching anything). Nothing here changes any
state: it reads the mime data and says what it found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage

from nst_desktop.core.imageio import LoadedImage, load_image, load_image_bytes
from nst_desktop.errors import ImageLoadError
from nst_desktop.ui.qt_images import qimage_to_png_bytes

# Raw encoded formats a browser or image editor may put in the mime data, best first.
IMAGE_MIME_TYPES = (
    "image/png",
    "image/webp",
    "image/jpeg",
    "image/tiff",
    "image/bmp",
    "image/gif",
)
REMOTE_SCHEMES = ("http", "https")


@dataclass
class DropOutcome:
    """What a drop or paste held: decoded images, remote URLs to ask about, or a refusal."""

    images: list[LoadedImage] = field(default_factory=list)
    remote_urls: list[str] = field(default_factory=list)
    refusal: str = ""  # non-empty when nothing usable was found
    skipped: str = ""  # non-empty when some images loaded and other items did not: why


def may_hold_image(mime: QMimeData | None) -> bool:
    """Whether a drag is worth accepting (the drop itself decides what it really is)."""
    if mime is None:
        return False
    return bool(mime.hasUrls() or mime.hasImage() or _raw_image_format(mime))


def accept_as_copy(event: QDropEvent) -> bool:
    """Accept a drag (enter, move) or a drop as a copy, whatever action its source proposes.

    A file manager proposes Move for a Shift-drag or a drag within one disk, and one that is
    told the drop was a Move deletes the person's original: a drop only ever reads the
    files. A source that does not offer Copy is refused. Returns whether it was accepted.
    """
    if not event.possibleActions() & Qt.DropAction.CopyAction:
        event.ignore()
        return False
    event.setDropAction(Qt.DropAction.CopyAction)
    event.accept()
    return True


def _raw_image_format(mime: QMimeData) -> str:
    for fmt in IMAGE_MIME_TYPES:
        if mime.hasFormat(fmt):
            return fmt
    return ""


def _url_name(url: QUrl) -> str:
    return Path(url.path()).name or url.host() or url.toString()


def read_images(mime: QMimeData | None, *, max_images: int = 16) -> DropOutcome:
    """Decode every image a drop or paste holds.

    Order of preference: local files (the original, with its metadata), then
    encoded image bytes, then a QImage, then remote URLs (reported, not
    fetched). Files that fail to load are reported in ``refusal`` when nothing
    else loaded, in ``skipped`` when something did.
    """
    out = DropOutcome()
    if mime is None:
        out.refusal = "There is nothing to paste."
        return out
    problems: list[str] = []
    remote: list[str] = []
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            path = url.toLocalFile()
            if Path(path).is_dir():
                problems.append(f"{Path(path).name or path} is a folder, not an image.")
                continue
            try:
                out.images.append(load_image(path))
            except ImageLoadError as exc:
                problems.append(str(exc))
            if len(out.images) >= max_images:
                break
        elif url.scheme().lower() in REMOTE_SCHEMES:
            remote.append(url.toString())
        else:
            problems.append(f"{url.toString()} is not a file or web address that can be opened.")
    if not out.images:
        # A browser sends the picture itself next to its URL: use the bytes, never fetch.
        fmt = _raw_image_format(mime)
        name = _url_name(QUrl(remote[0])) if remote else "the dropped image"
        try:
            if fmt:
                out.images.append(load_image_bytes(bytes(mime.data(fmt).data()), name=name))
            elif mime.hasImage():
                qimage = mime.imageData()
                if isinstance(qimage, QImage) and not qimage.isNull():
                    out.images.append(load_image_bytes(qimage_to_png_bytes(qimage), name=name))
        except ImageLoadError as exc:
            problems.append(str(exc))
    if out.images and problems:
        out.skipped = (
            problems[0]
            if len(problems) == 1
            else f"{len(problems)} of the dropped items were not opened: " + problems[0]
        )
    if not out.images:
        out.remote_urls = remote
    if not out.images and not out.remote_urls:
        if problems:
            out.refusal = (
                problems[0]
                if len(problems) == 1
                else (
                    f"None of the {len(problems)} dropped items is an image that can be read: "
                    + problems[0]
                )
            )
        elif mime.hasText():
            text = mime.text().strip().replace("\n", " ")
            short = text if len(text) <= 40 else text[:37] + "..."
            out.refusal = f"That is text ({short!r}), not an image."
        else:
            out.refusal = "That is not an image."
    return out
