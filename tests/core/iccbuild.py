"""Hand-made ICC v2 profiles: an Adobe-RGB-like matrix profile and a CMYK printer
profile with made-up inks, plus the colour maths that predicts their sRGB values."""

from __future__ import annotations

import struct

import numpy as np

D50 = (0.9642, 1.0, 0.8249)
# Columns: the red, green and blue primaries in XYZ (D50), as in ICC profiles.
SRGB_D50 = np.array(
    [
        [0.4360747, 0.3850649, 0.1430804],
        [0.2225045, 0.7168786, 0.0606169],
        [0.0139322, 0.0971045, 0.7141733],
    ]
)
ADOBE_D50 = np.array(
    [[0.60974, 0.20528, 0.14919], [0.31111, 0.62567, 0.06322], [0.01947, 0.06087, 0.74457]]
)
ADOBE_GAMMA = 563 / 256
# sRGB colour of each ink printed alone on white paper.
INKS = {"C": (0.0, 0.62, 0.85), "M": (0.85, 0.1, 0.5), "Y": (1.0, 0.93, 0.0), "K": (0.12,) * 3}


def srgb_decode(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def srgb_encode(values) -> np.ndarray:
    v = np.clip(np.asarray(values, dtype=float), 0, 1)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def adobe_to_srgb(rgb) -> np.ndarray:
    """Expected sRGB (0..1) of Adobe RGB values (0..1), (..., 3)."""
    linear = np.asarray(rgb, dtype=float) ** ADOBE_GAMMA
    xyz = linear @ ADOBE_D50.T
    return srgb_encode(np.linalg.solve(SRGB_D50, xyz.T).T)


def inks_to_srgb(c: int, m: int, y: int, k: int) -> np.ndarray:
    """Expected sRGB (0..1) of full-strength inks (each 0 or 1) printed together."""
    linear = np.ones(3)
    for on, ink in zip((c, m, y, k), "CMYK", strict=True):
        if on:
            linear = linear * srgb_decode(INKS[ink])
    return srgb_encode(linear)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(values) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in values)


def _desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return (
        b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text
        + struct.pack(">II", 0, 0) + b"\0\0\0" + b"\0" * 67
    )


def _gamma_curve(gamma: float) -> bytes:
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))


def _profile(device_class: bytes, space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, payload in tags:
        data += b"\0" * (-(offset + len(data)) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(payload))
        data += payload
    body = struct.pack(">I", len(tags)) + table + data
    header = (
        struct.pack(">I", 128 + len(body)) + b"\0" * 4 + struct.pack(">I", 0x02100000)
        + device_class + space + b"XYZ " + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp" + b"\0" * 28 + b"".join(_s15(v) for v in D50) + b"\0" * 48
    )
    assert len(header) == 128
    return header + body


def adobe_rgb_profile() -> bytes:
    """A matrix/TRC RGB profile with Adobe RGB (1998) primaries and gamma."""
    return _profile(
        b"mntr",
        b"RGB ",
        [
            (b"desc", _desc("Adobe-like RGB (test)")),
            (b"wtpt", _xyz(D50)),
            (b"rXYZ", _xyz(ADOBE_D50[:, 0])),
            (b"gXYZ", _xyz(ADOBE_D50[:, 1])),
            (b"bXYZ", _xyz(ADOBE_D50[:, 2])),
            (b"rTRC", _gamma_curve(ADOBE_GAMMA)),
            (b"gTRC", _gamma_curve(ADOBE_GAMMA)),
            (b"bTRC", _gamma_curve(ADOBE_GAMMA)),
        ],
    )


def cmyk_profile() -> bytes:
    """A CMYK printer profile (lut16 A2B0, 2-point grid) printing :data:`INKS`."""
    grid: list[int] = []
    for c in (0, 1):
        for m in (0, 1):
            for y in (0, 1):
                for k in (0, 1):
                    xyz = SRGB_D50 @ srgb_decode(inks_to_srgb(c, m, y, k))
                    grid.extend(min(65535, round(v * 32768)) for v in xyz)  # v2 XYZ encoding
    identity = b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    lut = (
        b"mft2\0\0\0\0" + bytes([4, 3, 2, 0]) + identity + struct.pack(">HH", 2, 2)
        + struct.pack(">8H", *([0, 65535] * 4)) + struct.pack(f">{len(grid)}H", *grid)
        + struct.pack(">6H", *([0, 65535] * 3))
    )
    return _profile(
        b"prtr", b"CMYK", [(b"desc", _desc("Test inks CMYK")), (b"wtpt", _xyz(D50)), (b"A2B0", lut)]
    )


def grey_profile(gamma: float) -> bytes:
    """A greyscale display profile with a pure gamma curve (1.0: linear light)."""
    return _profile(
        b"mntr",
        b"GRAY",
        [(b"desc", _desc("Grey (test)")), (b"wtpt", _xyz(D50)), (b"kTRC", _gamma_curve(gamma))],
    )
