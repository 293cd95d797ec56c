"""Decode image files and dropped bytes into :class:`LoadedImage`: float sRGB, upright, alpha apart.

Every failure a file can cause is an :class:`ImageLoadError` (or
:class:`ImageTooLargeError`) whose message names the file and the problem;
the size is checked from the header, before any pixel is decoded.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from nst_desktop.core import imagedecode, imageencode
from nst_desktop.core.imagemeta import ignored_settings_note, params_text
from nst_desktop.core.imagesniff import has_image_signature, header_size
from nst_desktop.errors import ImageLoadError, ImageTooLargeError, ParameterError

if TYPE_CHECKING:
    from nst_desktop.engine.params import Params

DEFAULT_MAX_PIXELS: int = 178_956_970  # Pillow's own decompression-bomb limit


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare by identity
class LoadedImage:
    """A decoded image: upright, sRGB, floats in 0..1."""

    rgb: np.ndarray  # float32 (H, W, 3), sRGB, 0..1, EXIF orientation applied
    alpha: np.ndarray | None  # float32 (H, W) 0..1, or None when the image is opaque
    path: str  # absolute path; "" when loaded from bytes
    mode: str  # Pillow's mode of the file ("RGB", "CMYK", "I;16", "P", "LA", ...);
    #            16-bit colour files, which Pillow cannot hold, are "RGB;16", "RGBA;16", "LA;16"
    bit_depth: int  # 8 or 16 bits per channel in the file
    params: Params | None  # the Params embedded by nst_desktop, if any
    format: str = ""  # Pillow's format name: "PNG", "JPEG", "WEBP", "TIFF", ...
    notes: tuple[str, ...] = field(default=())  # things worth telling: ignored profile, bad params

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.rgb.shape[1]), int(self.rgb.shape[0])

    @property
    def has_alpha(self) -> bool:
        return self.alpha is not None

    def to_uint8(self) -> np.ndarray:
        """(H, W, 3) uint8 colour, without alpha."""
        return imageencode.quantize(self.rgb, 8)

    def to_rgba_uint8(self) -> np.ndarray:
        """(H, W, 4) uint8 with straight (not premultiplied) alpha; opaque if none."""
        alpha = np.ones(self.rgb.shape[:2], np.float32) if self.alpha is None else self.alpha
        return imageencode.quantize(np.concatenate([self.rgb, alpha[..., None]], -1), 8)


def load_image(
    path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> LoadedImage:
    """Decode the image file at ``path``; raises :class:`ImageLoadError` with a readable message."""
    file_path = Path(path)
    label = _quoted(file_path.name or str(file_path))
    _check_readable_file(file_path, label)

    def reopen() -> ImageFile.ImageFile:
        return open_image(file_path, label, max_pixels)

    with _open_file(file_path, label) as stream:
        return _load(stream, reopen, label, os.path.abspath(file_path), max_pixels)


def load_image_bytes(
    data: bytes, *, name: str = "", max_pixels: int = DEFAULT_MAX_PIXELS
) -> LoadedImage:
    """Decode an image held in memory (dropped or pasted); ``name`` is used in messages."""
    label = _quoted(name) if name else "The image data"
    if not data:
        raise ImageLoadError(f"{label} is empty (0 bytes).")
    data = bytes(data)

    def reopen() -> ImageFile.ImageFile:
        return open_image(io.BytesIO(data), label, max_pixels)

    return _load(io.BytesIO(data), reopen, label, "", max_pixels)


def read_params(path: str | os.PathLike[str]) -> Params | None:
    """The Params saved in an image by nst_desktop, or None when it holds none.

    Raises :class:`ImageLoadError` when the file cannot be read and
    :class:`ParameterError` when the stored params are invalid.
    """
    file_path = Path(path)
    label = _quoted(file_path.name or str(file_path))
    _check_readable_file(file_path, label)
    with _open_file(file_path, label) as stream:
        image = open_image(stream, label, None)
        try:
            text = params_text(image.info)
            if text is None and image.format == "PNG":
                image.load()  # text chunks after the pixel data are read only now
                text = params_text(image.info)
        except Exception as error:
            raise ImageLoadError(damaged_message(label, error)) from None
    if text is None:
        return None
    try:
        return _params_from_json(text)
    except ParameterError as error:
        raise ParameterError(f"The settings stored in {label} cannot be used: {error}") from None


def _load(
    stream: IO[bytes],
    reopen: Callable[[], ImageFile.ImageFile],
    label: str,
    path: str,
    max_pixels: int,
) -> LoadedImage:
    image = open_image(stream, label, max_pixels)
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageLoadError(f"{label} has no pixels ({width} × {height}).")
    if width * height > max_pixels:
        raise ImageTooLargeError(too_large_message(label, width, height, max_pixels))
    tiles = list(image.tile)
    load_pixels(image, label)
    try:
        decoded = imagedecode.decode(image, tiles, reopen)
    except (ImageLoadError, ImageTooLargeError):
        raise
    except MemoryError:
        raise ImageLoadError(
            f"There is not enough memory to open {label} ({width} × {height} pixels)."
        ) from None
    except Exception as error:
        raise ImageLoadError(damaged_message(label, error)) from None
    params, notes = _embedded_params(image, label)
    return LoadedImage(
        rgb=decoded.rgb,
        alpha=decoded.alpha,
        path=path,
        mode=decoded.mode,
        bit_depth=decoded.bit_depth,
        params=params,
        format=image.format or "",
        notes=tuple(decoded.notes + notes),
    )


def _params_from_json(text: str) -> Params:
    # Imported here: the engine package pulls in torch, which plain image I/O does not need.
    from nst_desktop.engine.params import Params

    return Params.from_json(text)


def _embedded_params(image: Image.Image, label: str) -> tuple[Params | None, list[str]]:
    """Params in the file; invalid ones are noted, never a reason not to load the image."""
    try:
        text = params_text(image.info)
        return (_params_from_json(text) if text is not None else None), []
    except Exception as error:
        return None, [ignored_settings_note(label, error)]


# -- opening, with messages a person can act on ----------------------------------------


def _quoted(name: str) -> str:
    return f"“{name}”"


def _check_readable_file(path: Path, label: str) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        folder = path.parent if str(path.parent) not in ("", ".") else Path.cwd()
        raise ImageLoadError(f"Cannot open {label}: there is no such file in {folder}.") from None
    except OSError as error:
        raise ImageLoadError(_os_error_message(label, error)) from None
    if path.is_dir():
        raise ImageLoadError(f"{label} is a folder, not an image file.")
    if info.st_size == 0:
        raise ImageLoadError(f"Cannot open {label}: the file is empty (0 bytes).")


def _open_file(path: Path, label: str) -> IO[bytes]:
    try:
        return open(path, "rb")  # noqa: SIM115 (closed by the caller's with, or by Pillow)
    except OSError as error:
        raise ImageLoadError(_os_error_message(label, error)) from None


def _os_error_message(label: str, error: OSError) -> str:
    if isinstance(error, PermissionError):
        return f"Cannot open {label}: you do not have permission to read this file."
    if isinstance(error, FileNotFoundError):
        return f"Cannot open {label}: the file does not exist."
    if isinstance(error, IsADirectoryError):
        return f"{label} is a folder, not an image file."
    return f"Cannot open {label}: {error.strerror or error}."


@contextmanager
def pillow_limit(max_pixels: int | None) -> Iterator[None]:
    """Pillow's own decompression-bomb check held to ``max_pixels`` (None: the app's
    default limit), silently.

    Pillow warns between its limit (89.5 MP) and twice it, and refuses beyond. Here its
    limit is ours and its warning an error: an image within the limit opens without a word
    printed, one past it is refused with one message. Other warnings are kept quiet as in
    :func:`~nst_desktop.core.imagedecode.quiet_pillow`, whose lock guards Pillow's globals."""
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    with imagedecode.quiet_pillow():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        saved = Image.MAX_IMAGE_PIXELS
        if saved is not None:
            Image.MAX_IMAGE_PIXELS = max(saved, limit)
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def open_image(
    source: IO[bytes] | Path, label: str, max_pixels: int | None
) -> ImageFile.ImageFile:
    """Read the header only; no pixels are decoded yet. A stream is closed on failure.

    The one way the panes, the CLI and the gallery open a file: the same limit, the same
    words for the same damage. Read the EXIF orientation with
    :func:`~nst_desktop.core.imagedecode.exif_orientation` once the pixels are loaded
    (Pillow loads a PNG to look for its EXIF, and that function hides failures)."""
    try:
        with pillow_limit(max_pixels):
            image = Image.open(source)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        head = head_of(source)
        _close(source)
        limit = max_pixels or DEFAULT_MAX_PIXELS
        claimed = header_size(head)
        if claimed is not None:
            raise ImageTooLargeError(too_large_message(label, *claimed, limit)) from None
        pixels = re.search(r"\((\d+) pixels\)", str(error))
        size = f" ({int(pixels.group(1)) / 1e6:.1f} megapixels)" if pixels else ""
        raise ImageTooLargeError(
            f"{label} is too large to open{size}; the limit is {limit / 1e6:.1f} megapixels."
        ) from None
    except UnidentifiedImageError:
        head = head_of(source)
        _close(source)
        raise ImageLoadError(unrecognised_message(label, head)) from None
    except (PermissionError, FileNotFoundError, IsADirectoryError) as error:
        raise ImageLoadError(_os_error_message(label, error)) from None
    except Exception as error:
        _close(source)
        raise ImageLoadError(damaged_message(label, error)) from None
    return image


def load_pixels(image: ImageFile.ImageFile, label: str) -> None:
    """Decode every pixel of an opened ``image`` now, or say why it cannot be.

    The one rule of what is damaged, for the panes, the CLI and the gallery alike: an image
    is refused when its pixels cannot all be decoded (cut off, a broken stream), and not
    for a wrong checksum on data that decodes whole. A PNG whose IDAT CRC is wrong shows
    in most viewers and Pillow decodes it; only ``Image.verify`` (which the gallery
    used to call) refused it, so the same file opened in a pane and not in the gallery."""
    width, height = image.size
    try:
        image.load()  # a truncated file fails here, not later
    except MemoryError:
        raise ImageLoadError(
            f"There is not enough memory to open {label} ({width} × {height} pixels)."
        ) from None
    except Exception as error:
        raise ImageLoadError(damaged_message(label, error)) from None


def head_of(source: IO[bytes] | Path) -> bytes:
    """The first bytes of the file, to explain why Pillow did not recognise it."""
    try:
        if isinstance(source, Path):
            with open(source, "rb") as stream:
                return stream.read(32)
        source.seek(0)
        return source.read(32)
    except (OSError, ValueError):
        return b""


def _close(source: IO[bytes] | Path) -> None:
    if not isinstance(source, Path):
        source.close()


def too_large_message(label: str, width: int, height: int, max_pixels: int) -> str:
    return (
        f"{label} is too large: {width} × {height} pixels "
        f"({width * height / 1e6:.1f} megapixels; the limit is {max_pixels / 1e6:.1f})."
    )


def unrecognised_message(label: str, head: bytes) -> str:
    """Why Pillow did not recognise a file whose first bytes are ``head``."""
    claimed = header_size(head)
    if claimed is not None and 0 in claimed:
        width, height = claimed
        return f"{label} has no pixels ({width} × {height})."
    if has_image_signature(head):
        return f"{label} is damaged: it starts like an image, but its header cannot be read."
    return f"{label} is not an image file, or not a kind of image this app can read."


def damaged_message(label: str, error: BaseException) -> str:
    """Why an image that opened could not be decoded (a cut-off download, a broken stream)."""
    detail = str(error).strip().rstrip(".")
    lowered = detail.lower()  # Pillow says "image file is truncated" and "Truncated File Read"
    if isinstance(error, EOFError) or "truncated" in lowered or "broken data stream" in lowered:
        return f"{label} is incomplete or damaged: the image data ends too early."
    detail = f" ({detail})" if detail else ""
    return f"{label} is damaged and cannot be decoded{detail}."
