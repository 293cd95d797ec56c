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
    if not head:
        return False
    if head.startswith(_SIGNATURES):
        return True
    if head[:2] == b"BM" and len(head) >= 18:
        return int.from_bytes(head[14:18], "little") in (12, 16, 40, 52, 56, 64, 108, 124)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp" in LOAD_SUFFIXES
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return ".avif" in LOAD_SUFFIXES
    return file_path.suffix.lower() in _NO_SIGNATURE_SUFFIXES
