"""Text the person reads: counts say "1 style" and "3 styles", never "style(s)"."""

from __future__ import annotations

import pytest

from nst_desktop.text import counted


@pytest.mark.parametrize(
    ("n", "noun", "plural", "expected"),
    [
        (0, "style", None, "0 styles"),
        (1, "style", None, "1 style"),
        (2, "style", None, "2 styles"),
        (1, "new image", None, "1 new image"),
        (3, "new image", None, "3 new images"),
        (2, "entry", "entries", "2 entries"),
        (1, "entry", "entries", "1 entry"),
    ],
)
def test_a_count_agrees_with_its_noun(n, noun, plural, expected):
    assert counted(n, noun, plural) == expected
