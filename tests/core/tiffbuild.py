"""A hand-made uncompressed 16-bit TIFF in either byte order (Pillow cannot write one)."""

from __future__ import annotations

import struct

import numpy as np


def tiff16_bytes(samples: np.ndarray, byte_order: bytes) -> bytes:
    """An uncompressed RGB or RGBA TIFF of uint16 ``samples`` (H, W, 3|4); ``byte_order``
    is b"II" (little-endian) or b"MM" (big-endian)."""
    endian = ">" if byte_order == b"MM" else "<"
    height, width, channels = samples.shape
    pixels = samples.astype(f"{endian}u2").tobytes()
    tags = [
        (256, "I", [width]),
        (257, "I", [height]),
        (258, "H", [16] * channels),
        (259, "H", [1]),  # no compression
        (262, "H", [2]),  # RGB
        (273, "I", [8]),  # the pixels follow the 8-byte header
        (277, "H", [channels]),
        (278, "I", [height]),
        (279, "I", [len(pixels)]),
        (284, "H", [1]),
    ]
    if channels == 4:
        tags.append((338, "H", [2]))  # unassociated alpha
    ifd_offset = 8 + len(pixels)
    extra_offset = ifd_offset + 2 + 12 * len(tags) + 4
    entries, extra = struct.pack(f"{endian}H", len(tags)), b""
    for tag, kind, values in tags:
        payload = struct.pack(f"{endian}{len(values)}{kind}", *values)
        if len(payload) <= 4:
            field = payload.ljust(4, b"\0")
        else:
            field = struct.pack(f"{endian}I", extra_offset + len(extra))
            extra += payload
        entries += struct.pack(f"{endian}HHI", tag, 3 if kind == "H" else 4, len(values)) + field
    header = byte_order + struct.pack(f"{endian}HI", 42, ifd_offset)
    return header + pixels + entries + b"\0\0\0\0" + extra
