"""Hand-made PNG files, for layouts Pillow cannot write (16-bit colour, odd headers)."""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(samples: np.ndarray, *, extra_chunks: tuple[tuple[bytes, bytes], ...] = ()) -> bytes:
    """A PNG holding ``samples`` (H, W) or (H, W, C) uint8/uint16, rows filtered
    with Paeth so that the decoder's filter arithmetic is exercised."""
    array = samples if samples.ndim == 3 else samples[..., None]
    height, width, channels = array.shape
    depth = array.dtype.itemsize * 8
    big_endian = array.astype(array.dtype.newbyteorder(">"))
    rows = big_endian.view(np.uint8).reshape(height, -1).astype(np.int32)
    bpp = channels * depth // 8
    raw = bytearray()
    for y in range(height):
        row = rows[y]
        above = rows[y - 1] if y else np.zeros_like(row)
        left = np.concatenate([np.zeros(bpp, np.int32), row[:-bpp]])
        upper_left = np.concatenate([np.zeros(bpp, np.int32), above[:-bpp]])
        estimate = left + above - upper_left
        pa, pb, pc = abs(estimate - left), abs(estimate - above), abs(estimate - upper_left)
        predictor = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, above, upper_left))
        raw += b"\x04" + ((row - predictor) % 256).astype(np.uint8).tobytes()
    header = struct.pack(">IIBBBBB", width, height, depth, COLOUR_TYPES[channels], 0, 0, 0)
    return header_only_png(header, extra_chunks) + _finish(zlib.compress(bytes(raw)))


def header_only_png(ihdr: bytes, extra_chunks=()) -> bytes:
    """Signature, IHDR and extra chunks; callers append IDAT/IEND (or nothing)."""
    return SIGNATURE + chunk(b"IHDR", ihdr) + b"".join(chunk(k, d) for k, d in extra_chunks)


def _finish(compressed: bytes) -> bytes:
    return chunk(b"IDAT", compressed) + chunk(b"IEND", b"")


def size_only_png(width: int, height: int) -> bytes:
    """A PNG that claims a size but holds no pixel data (a decompression-bomb header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return header_only_png(ihdr) + chunk(b"IEND", b"")


def iccp_chunk(profile: bytes) -> tuple[bytes, bytes]:
    return b"iCCP", b"test profile\0\0" + zlib.compress(profile)


def chunks_of(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, data) chunks of a PNG file, in order."""
    assert data.startswith(SIGNATURE)
    position, found = len(SIGNATURE), []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        found.append((kind, data[position + 8 : position + 8 + length]))
        position += 12 + length
    return found
