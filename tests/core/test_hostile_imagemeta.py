"""Settings read from images that carry hostile metadata: read once, never rescanned."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image

from nst_desktop.core.imageio import load_image, read_params
from nst_desktop.core.imagemeta import build_xmp, params_from_xmp


def test_an_xmp_packet_of_unclosed_params_elements_is_read_in_one_pass():
    """A lazy regex retried from each of 80,000 unclosed openings: minutes for 1 MB."""
    packet = "<nstd:params>" * 80_000
    started = time.perf_counter()
    assert params_from_xmp(packet) is None
    assert params_from_xmp("nstd:params='" + "x" * 1_000_000) is None
    assert time.perf_counter() - started < 2  # the old scan took over 10 s for 8,000


def test_a_webp_with_a_hostile_xmp_packet_opens_and_its_settings_are_ignored(tmp_path):
    path = tmp_path / "hostile.webp"
    xmp = build_xmp(None).replace(b"</rdf:Description>",
                                  b"<nstd:params>" * 80_000 + b"</rdf:Description>")
    Image.fromarray(np.full((16, 16, 3), 70, np.uint8)).save(path, xmp=xmp, lossless=True)
    started = time.perf_counter()
    image = load_image(path)
    assert image.params is None and image.size == (16, 16)
    assert read_params(path) is None
    assert time.perf_counter() - started < 5


def test_settings_in_xmp_still_come_back():
    assert params_from_xmp(build_xmp('{"size": 64, "note": "a<b & c"}')) == \
        '{"size": 64, "note": "a<b & c"}'
    assert params_from_xmp(b"<d nstd:params='{&quot;size&quot;: 64}'/>") == '{"size": 64}'
