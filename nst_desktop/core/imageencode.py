"""Encode float images into the bytes of a PNG, JPEG, WebP or TIFF file.

Pillow encodes 8-bit PNG, JPEG and WebP. It has no 16-bit-per-channel colour
mode, so 16-bit PNG and all TIFF files are written here directly: both
formats are simple containers around zlib-compressed rows.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, PngImagePlugin

from nst_desktop.core.imagemeta import PARAMS_KEY, SOFTWARE, build_xmp

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# zlib level for PNG and TIFF: on photos, level 6 (the usual default) takes about
# twice as long as level 4 for files a few percent smaller.
ZLIB_LEVEL = 4
_EXIF_SOFTWARE = 0x0131


def quantize(values: np.ndarray, bit_depth: int) -> np.ndarray:
    """0..1 floats to uint8 or uint16, rounded to nearest."""
    top = 255 if bit_depth == 8 else 65535
    scaled = np.clip(values, 0.0, 1.0) * np.float32(top) + np.float32(0.5)
    return scaled.astype(np.uint8 if bit_depth == 8 else np.uint16)


def encode(
    fmt: str,
    rgb: np.ndarray,
    alpha: np.ndarray | None,
    *,
    params_json: str | None,
    quality: int,
    bit_depth: int,
) -> bytes:
    """The file bytes for ``rgb`` (H, W, 3) and optional ``alpha`` (H, W), floats in 0..1."""
    if fmt == "JPEG" and alpha is not None:
        # JPEG has no alpha channel: show the image as it would look on a white page.
        a = alpha[..., None]
        rgb = rgb * a + (1.0 - a)
        alpha = None
    pixels = rgb if alpha is None else np.concatenate([rgb, alpha[..., None]], axis=-1)
    if fmt == "PNG":
        if bit_depth == 16:
            return encode_png16(quantize(pixels, 16), params_json)
        return _encode_png8(quantize(pixels, 8), params_json)
    if fmt == "TIFF":
        return encode_tiff(quantize(pixels, bit_depth), params_json)
    if fmt == "JPEG":
        return _encode_with_pillow(
            quantize(pixels, 8),
            "JPEG",
            params_json,
            quality=quality,
            # Chroma subsampling smears the fine colour strokes of a painting.
            subsampling=0 if quality >= 90 else 2,
            optimize=True,
        )
    if fmt == "WEBP":
        return _encode_with_pillow(
            quantize(pixels, 8),
            "WEBP",
            params_json,
            quality=quality,
            lossless=quality >= 100,
            method=4,
            exact=True,  # keep the colour of fully transparent pixels
        )
    raise ValueError(f"unknown format {fmt!r}")


def _exif_bytes() -> bytes:
    exif = Image.Exif()
    exif[_EXIF_SOFTWARE] = SOFTWARE
    return exif.tobytes()


def _encode_with_pillow(pixels: np.ndarray, fmt: str, params_json: str | None, **options) -> bytes:
    image = Image.fromarray(pixels)
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=_exif_bytes(), xmp=build_xmp(params_json), **options)
    return buffer.getvalue()


def _encode_png8(pixels: np.ndarray, params_json: str | None) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add(b"sRGB", b"\x00")  # perceptual intent: the pixels are sRGB
    if params_json is not None:
        info.add_itxt(PARAMS_KEY, params_json)
    info.add_text("Software", SOFTWARE)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", pnginfo=info, compress_level=ZLIB_LEVEL)
    return buffer.getvalue()


# -- 16-bit PNG -------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png16(pixels: np.ndarray, params_json: str | None) -> bytes:
    """A 16-bit RGB or RGBA PNG from a uint16 (H, W, 3|4) array."""
    height, width, channels = pixels.shape
    colour_type = {3: 2, 4: 6}[channels]
    bpp = 2 * channels
    # Contiguous in C order before its bytes are viewed: an engine result is a view of a
    # (C, H, W) tensor, and astype keeps a view's strides.
    rows = np.ascontiguousarray(pixels, dtype=">u2").view(np.uint8).reshape(height, width * bpp)
    # PNG "Sub" filter on every row: each byte minus the same byte of the pixel
    # to its left, which makes smooth photos and paintings compress well.
    filtered = rows.copy()
    filtered[:, bpp:] -= rows[:, :-bpp]
    scanlines = np.concatenate([np.ones((height, 1), np.uint8), filtered], axis=1)
    compressed = zlib.compress(scanlines.tobytes(), ZLIB_LEVEL)

    parts = [
        PNG_SIGNATURE,
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)),
        _png_chunk(b"sRGB", b"\x00"),
    ]
    if params_json is not None:
        # iTXt: keyword, no compression, no language tag, no translated keyword, UTF-8 text.
        itxt = PARAMS_KEY.encode("latin-1") + b"\0\0\0\0\0" + params_json.encode("utf-8")
        parts.append(_png_chunk(b"iTXt", itxt))
    parts.append(_png_chunk(b"tEXt", b"Software\0" + SOFTWARE.encode("latin-1")))
    step = 1 << 20
    parts.extend(
        _png_chunk(b"IDAT", compressed[start : start + step])
        for start in range(0, max(len(compressed), 1), step)
    )
    parts.append(_png_chunk(b"IEND", b""))
    return b"".join(parts)


# -- TIFF ---------------------------------------------------------------------

_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL = 1, 2, 3, 4, 5
_TYPE_FORMAT = {_BYTE: "B", _ASCII: "B", _SHORT: "H", _LONG: "I", _RATIONAL: "I"}


def encode_tiff(pixels: np.ndarray, params_json: str | None) -> bytes:
    """A deflate-compressed RGB or RGBA TIFF (little-endian, strips, horizontal
    predictor) from a uint8 or uint16 (H, W, 3|4) array."""
    height, width, channels = pixels.shape
    bits = pixels.dtype.itemsize * 8
    samples = pixels.astype(pixels.dtype.newbyteorder("<"))
    # Predictor 2: every sample minus the same channel's sample to its left.
    predicted = samples.copy()
    predicted[:, 1:] -= samples[:, :-1]
    row_bytes = width * channels * pixels.dtype.itemsize
    rows_per_strip = max(1, min(height, (256 * 1024) // row_bytes))
    raw = predicted.tobytes()

    body = bytearray(b"II*\x00\x00\x00\x00\x00")
    strip_offsets: list[int] = []
    strip_counts: list[int] = []
    for top in range(0, height, rows_per_strip):
        strip = zlib.compress(raw[top * row_bytes : (top + rows_per_strip) * row_bytes], ZLIB_LEVEL)
        strip_offsets.append(len(body))
        strip_counts.append(len(strip))
        body += strip
        if len(body) % 2:
            body += b"\0"

    tags: list[tuple[int, int, list[int] | bytes]] = [
        (256, _LONG, [width]),
        (257, _LONG, [height]),
        (258, _SHORT, [bits] * channels),
        (259, _SHORT, [8]),  # Adobe deflate
        (262, _SHORT, [2]),  # RGB
        (273, _LONG, strip_offsets),
        (277, _SHORT, [channels]),
        (278, _LONG, [rows_per_strip]),
        (279, _LONG, strip_counts),
        (282, _RATIONAL, [72, 1]),
        (283, _RATIONAL, [72, 1]),
        (284, _SHORT, [1]),  # chunky (interleaved) samples
        (296, _SHORT, [2]),  # resolution in inches
        (305, _ASCII, SOFTWARE.encode("ascii") + b"\0"),
        (317, _SHORT, [2]),  # horizontal differencing predictor
    ]
    if channels == 4:
        tags.append((338, _SHORT, [2]))  # unassociated (straight) alpha
    tags.append((700, _BYTE, build_xmp(params_json)))

    ifd_offset = len(body)
    extra_offset = ifd_offset + 2 + 12 * len(tags) + 4
    entries = bytearray(struct.pack("<H", len(tags)))
    extra = bytearray()
    for tag, kind, values in tags:
        if isinstance(values, bytes):
            payload, count = values, len(values)
        else:
            payload = struct.pack(f"<{len(values)}{_TYPE_FORMAT[kind]}", *values)
            count = len(values) // 2 if kind == _RATIONAL else len(values)
        if len(payload) <= 4:
            field = payload.ljust(4, b"\0")
        else:
            field = struct.pack("<I", extra_offset + len(extra))
            extra += payload
            if len(extra) % 2:
                extra += b"\0"
        entries += struct.pack("<HHI", tag, kind, count) + field
    entries += b"\0\0\0\0"  # no next IFD
    body += entries + extra
    if len(body) >= 2**32:
        raise OverflowError("image too large for a TIFF file (4 GB)")
    body[4:8] = struct.pack("<I", ifd_offset)
    return bytes(body)
