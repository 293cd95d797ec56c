"""Which files are images: the suffixes offered in open dialogs and a cheap header check.

:func:`is_image_file` reads at most 32 bytes, so a drop target can call it on
every hovered file; it never raises.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import features

# Suffixes of the formats Pillow reads here, in the order an open dialog lists them.
LOAD_SUFFIXES: tuple[str, ...] = tuple(
    suffix
    for suffix, available in (
        (".png", True),
        (".jpg", True),
        (".jpeg", True),
        (".jpe", True),
        (".jfif", True),
        (".webp", features.check("webp")),
        (".tif", True),
        (".tiff", True),
        (".bmp", True),
        (".gif", True),
        (".avif", features.check("avif")),
        (".jp2", features.check("jpg_2000")),
        (".tga", True),
        (".ppm", True),
        (".pgm", True),
        (".pbm", True),
        (".pnm", True),
        (".psd", True),
        (".qoi", True),
    )
    if available
)

IMAGE_FILE_FILTER: str = "Images (" + " ".join(f"*{s}" for s in LOAD_SUFFIXES) + ")"

_SIGNATURES: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"II+\x00",  # BigTIFF
    b"MM\x00+",
    b"8BPS",  # Photoshop
    b"qoif",
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000
    b"\xff\x4f\xff\x51",  # JPEG 2000 codestream
    *(b"P%d%c" % (n, space) for n in range(1, 7) for space in b" \t\r\n"),  # PBM, PGM, PPM
)
_NO_SIGNATURE_SUFFIXES = (".tga",)  # Targa files have no magic number


def is_image_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a readable file that looks like an image Pillow can open."""
    file_path = Path(path)
    try:
        with open(file_path, "rb") as stream:
            head = stream.read(32)
    except OSError:
        return False
    return bool(head) and (
        has_image_signature(head) or file_path.suffix.lower() in _NO_SIGNATURE_SUFFIXES
    )


def has_image_signature(head: bytes) -> bool:
    """True when the first bytes of a file are those of an image format read here."""
    if head.startswith(_SIGNATURES):
        return True
    if head[:2] == b"BM" and len(head) >= 18:
        return int.from_bytes(head[14:18], "little") in (12, 16, 40, 52, 56, 64, 108, 124)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp" in LOAD_SUFFIXES
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return ".avif" in LOAD_SUFFIXES
    return False


def header_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) as written in a PNG, GIF or BMP header, or None.

    Pillow refuses to open an image whose header gives a size of zero, and
    says only that it cannot identify the file; this lets the message say why.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR" and len(head) >= 24:
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    if head[:2] == b"BM" and len(head) >= 26 and int.from_bytes(head[14:18], "little") >= 40:
        width = int.from_bytes(head[18:22], "little", signed=True)
        height = int.from_bytes(head[22:26], "little", signed=True)
        return abs(width), abs(height)
    return None
