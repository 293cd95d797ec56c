"""Running a block of VGG-19 on horizontal strips of an image, exactly.

A block is 3x3 convolutions with one pixel of zero padding and ReLUs, ending in a 2x2,
stride-2 pooling (the last block in use may end without one). A row of the block's
output depends on the input rows within one row per convolution of it. So a strip of
rows ``[start, stop)`` computed from a slice that reaches ``halo`` rows further up and
down (where the image has them) has, once those extra rows are cropped off, the very
values the whole image would give: the wrong values that the padding puts at the slice's
inner edges move inwards one row per convolution and never reach the strip's own rows.
Strip edges and halos are even, so pooling pairs the same rows as on the whole image.

Low-memory mode holds one strip's activations at a time instead of the whole image's:
the memory the network needs stops growing with the image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

Block = Sequence[tuple[str, nn.Module]]
# Called with (layer name, activation cropped to the strip's own rows, the first of those
# rows in the whole activation).
Visit = Callable[[str, torch.Tensor, int], None]

# Elements (channels x pixels) of one activation of a strip: 2**24 float32 = 64 MiB. A
# block holds a handful of such tensors at once in its backward pass.
STRIP_ELEMENTS = 2**24

# Runs of this many pixels or more compute the first LEAN_BLOCKS blocks on strips even
# outside low-memory mode: those blocks are a quarter of VGG-19's arithmetic but hold
# two thirds of its activations (64 and 128 channels at full and half resolution).
LEAN_BLOCKS = 2
LEAN_PIXELS = 2**20


def network_mode(pixels: int, low_memory: bool, lean_pixels: int = LEAN_PIXELS) -> str:
    """How a run of this many pixels computes the network: "plain" (every activation kept
    for the backward pass), "lean" (the first LEAN_BLOCKS blocks on strips, recomputed) or
    "low" (low-memory mode: every block on strips, recomputed)."""
    if low_memory:
        return "low"
    return "lean" if pixels >= lean_pixels else "plain"


@dataclass(frozen=True)
class Strip:
    """Own rows ``[start, stop)`` of a block's input, with ``top`` / ``bottom`` extra rows."""

    start: int
    stop: int
    top: int
    bottom: int

    @property
    def rows(self) -> slice:
        """The rows of the block's input to compute from."""
        return slice(self.start - self.top, self.stop + self.bottom)


def halo(block: Block) -> int:
    """Extra rows each side that make a strip's own rows exact: one per convolution,
    rounded up to even so that pooling keeps its pairs."""
    convs = sum(isinstance(m, nn.Conv2d) for _, m in block)
    return convs + convs % 2


def width_of(block: Block) -> int:
    """The most channels any activation of the block has."""
    return max((m.out_channels for _, m in block if isinstance(m, nn.Conv2d)), default=1)


def plan(block: Block, shape: Sequence[int], elements: int = STRIP_ELEMENTS) -> list[Strip]:
    """Strips covering an input of ``shape`` (N, C, H, W), each holding about ``elements``
    values per activation (at least two rows)."""
    height, width = int(shape[-2]), int(shape[-1])
    rows = max(2, elements // max(1, width_of(block) * width))
    rows -= rows % 2
    if rows >= height:
        return [Strip(0, height, 0, 0)]
    h = halo(block)
    strips = []
    for start in range(0, height, rows):
        stop = min(height, start + rows)
        strips.append(Strip(start, stop, min(h, start), min(h, height - stop)))
    return strips


def run(block: Block, x: torch.Tensor, strip: Strip, visit: Visit | None = None
        ) -> tuple[torch.Tensor, int]:
    """The block on ``x``, the rows ``strip.rows`` of its input: (the output's own rows,
    the first of them in the whole output). ``visit`` sees every layer's own rows."""
    t = x
    top, start, count = strip.top, strip.start, strip.stop - strip.start
    for name, module in block:
        t = module(t)
        if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            first = start // 2
            count = (start + count) // 2 - first
            start, top = first, top // 2
        if visit is not None:
            visit(name, t[..., top : top + count, :], start)
    return t[..., top : top + count, :], start


def output_shape(block: Block, shape: Sequence[int]) -> tuple[int, int, int, int]:
    """(N, C, H, W) of the block's output for an input of ``shape``."""
    n, c, h, w = (int(v) for v in shape)
    for _, module in block:
        if isinstance(module, nn.Conv2d):
            c = module.out_channels
        elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            h, w = h // 2, w // 2
    return n, c, h, w
