"""Looking at what a widget painted."""

from __future__ import annotations


def inked_pixels(widget) -> int:
    """How many pixels of ``widget`` (every second row and column) differ from its background,
    read at its bottom-left corner: text or a picture drawn on it."""
    image = widget.grab().toImage()
    background = image.pixel(2, image.height() - 3)
    return sum(image.pixel(x, y) != background
               for y in range(0, image.height(), 2) for x in range(0, image.width(), 2))
