"""Looking at what a widget painted."""

from __future__ import annotations


def inked_pixels(widget) -> int:
    """How many pixels of ``widget`` (every second row and column) differ from its background,
    read at its bottom-left corner: text or a picture drawn on it."""
    image = widget.grab().toImage()
    background = image.pixel(2, image.height() - 3)
    return sum(image.pixel(x, y) != background
               for y in range(0, image.height(), 2) for x in range(0, image.width(), 2))


def luminance(colour) -> float:
    """WCAG 2 relative luminance of a QColor."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return (0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF()))


def contrast(a, b) -> float:
    """WCAG 2 contrast ratio of two QColors (4.5 is the least for body text)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
