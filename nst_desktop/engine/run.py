"""The optimisation loop, written as a generator of progress events.

    transfer = StyleTransfer(params, content, [style1, style2])
    for event in transfer.events():
        if isinstance(event, Progress): ...      # losses, ETA, maybe a preview
        elif isinstance(event, Result): ...      # the final (or partial) image

Images in and out are float32 numpy arrays (H, W, 3), RGB in 0..1. Cancel is
a flag (``transfer.cancel()``, safe from any thread) checked every iteration;
a cancelled run still ends with a :class:`Result` (``cancelled=True``) holding
the image as it was. The generator never touches Qt.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nst_desktop.engine import color, strips
from nst_desktop.engine.device import (
    autocast,
    available_memory,
    estimate_memory,
    free_memory,
    is_out_of_memory,
    no_autocast,
    precision_context,
    resolve_device,
    resolve_precision,
    size_that_fits,
)
from nst_desktop.engine.lbfgs import LBFGS, pairs_kept
from nst_desktop.engine.losses import StyleTarget, content_loss, moment_sums, moments, tv_loss
from nst_desktop.engine.params import MAX_SIZE, VGG19_LAYERS, Params
from nst_desktop.engine.timeleft import TimeLeft
from nst_desktop.engine.vgg import VGGFeatures, build_network
from nst_desktop.errors import OutOfMemoryError, ParameterError, TooThinError
from nst_desktop.text import format_bytes


@dataclass(frozen=True)
class Progress:
    """One optimisation step finished."""

    scale_index: int  # 0-based, coarsest first
    scale_count: int
    size: tuple[int, int]  # (height, width) at this scale
    iteration: int  # within this scale, 1-based
    scale_iterations: int
    step: int  # over the whole run, 1-based
    total_steps: int
    losses: dict[str, float]  # "content", "style", "tv", "total"
    elapsed: float  # seconds since the start
    eta: float | None  # seconds left, None until there is a basis for it
    # Pixel-iterations done and in all: a step has 4x the pixels of one a scale coarser
    # (16x two scales down), so the share of steps says little of the time gone.
    work_done: float
    work_total: float
    preview: np.ndarray | None = None  # uint8 (H, W, 3) when a frame was due

    @property
    def fraction(self) -> float:
        """The share of the run's work done, in pixel-iterations."""
        return self.work_done / self.work_total if self.work_total else 1.0


@dataclass(frozen=True)
class Result:
    """The run ended: ``image`` is float32 (H, W, 3) in 0..1."""

    image: np.ndarray
    params: Params
    elapsed: float
    device: str
    steps: int
    cancelled: bool = False
    losses: dict[str, float] = field(default_factory=dict)
    precision: str = ""  # what the run computed in ("fp32", "tf32", "bf16"), "auto" resolved
    # Seconds per step (after its first) by the pixels of each scale that ran two steps or more.
    step_times: dict[int, float] = field(default_factory=dict)

    def to_uint8(self) -> np.ndarray:
        return to_uint8(self.image)


def to_uint8(image: np.ndarray) -> np.ndarray:
    # NaN (a diverged run, refused right after this frame) casts to some byte; say nothing.
    with np.errstate(invalid="ignore"):
        return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def frame_on_device(image: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) in 0..1 -> (H, W, 3) uint8, converted where the image is: a GPU sends a
    quarter of the bytes and the CPU does none of the arithmetic. The same values as
    :func:`to_uint8`."""
    img = (image.detach()[0].clamp(0, 1).float() * 255 + 0.5).to(torch.uint8)
    return img.permute(1, 2, 0).contiguous().cpu().numpy()


def to_tensor(image: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(H, W, 3) float/uint8 array -> (1, 3, H, W) float32 tensor in 0..1."""
    if isinstance(image, torch.Tensor):
        t = image.detach().float()
        if t.dim() == 3:
            t = t[None]
        return t
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ParameterError(f"Expected an RGB image array (H, W, 3); got shape {arr.shape}.")
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
    return t.permute(2, 0, 1)[None].contiguous()


def to_numpy(image: torch.Tensor) -> np.ndarray:
    return image.detach().clamp(0, 1)[0].permute(1, 2, 0).float().cpu().numpy()


def scaled_shape(height: int, width: int, longest: int) -> tuple[int, int]:
    s = longest / max(height, width)
    return max(1, round(height * s)), max(1, round(width * s))


def too_thin_error(height: int, width: int, size: int, layer: str, smallest: int) -> TooThinError:
    """Why a ``width`` x ``height`` photo cannot be made ``size`` px long, and what size can."""
    h, w = scaled_shape(height, width, size)
    message = (
        f"At {size} px this {width} × {height} image would be {w} × {h} px, too thin for "
        f"layer {layer}, which needs at least {smallest} px on the shorter side."
    )
    # The least size whose shorter side reaches ``smallest`` (rounding decides the last px).
    need = max(size, smallest * max(height, width) // max(1, min(height, width)))
    while need <= MAX_SIZE and min(scaled_shape(height, width, need)) < smallest:
        need += 1
    if need <= MAX_SIZE:
        return TooThinError(message + f" Choose a size of {need} px or more.", need)
    return TooThinError(
        message + " Crop it to a less elongated shape, or leave out the deepest style layers."
    )


def smallest_side(params: Params) -> tuple[str, int]:
    """The deepest layer the losses read and the shorter side (px) it needs: at least one
    pixel after its pooling layers."""
    layers = [*params.content_layers, *params.style_layers]
    deepest = VGG19_LAYERS[max(VGG19_LAYERS.index(n) for n in layers)]
    return deepest, 2 ** int(deepest[4]) // 2


def thinness(params: Params, height: int, width: int) -> TooThinError | None:
    """Why a ``width`` x ``height`` photo cannot be made ``params.size`` long, or None."""
    layer, smallest = smallest_side(params)
    if min(scaled_shape(height, width, params.size)) >= smallest:
        return None
    return too_thin_error(height, width, params.size, layer, smallest)


def resize(image: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    if tuple(image.shape[-2:]) == tuple(shape):
        return image
    shrinking = shape[0] < image.shape[-2]
    return F.interpolate(
        image, size=shape, mode="bicubic", align_corners=False, antialias=shrinking
    ).clamp(0, 1)


def shrunk(image: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """``image`` resized to ``shape`` where that makes it smaller, else ``image`` itself."""
    h, w = image.shape[-2:]
    return resize(image, shape) if shape[0] < h and shape[1] < w else image


class Objective:
    """The loss at one scale: targets computed once, then ``objective(image)`` backpropagates.

    ``parts`` holds the detached (content, style, tv, total) of the last call. In low-memory
    mode everything the network computes is computed strip by strip (see
    :mod:`nst_desktop.engine.strips`): the same values, one strip's activations at a time;
    a large plain run does so for its first blocks (``strips.network_mode``).
    """

    strip_elements = strips.STRIP_ELEMENTS
    # Above this many pixels a plain run too computes the first LEAN_BLOCKS blocks (a quarter
    # of the network's work, two thirds of its activations) strip by strip and recomputes
    # them in the backward pass; the deeper blocks keep their activations as usual.
    lean_pixels = strips.LEAN_PIXELS

    def __init__(
        self,
        net: VGGFeatures,
        params: Params,
        content: torch.Tensor,
        styles: list[torch.Tensor],
        blend: list[float],
        precision: str,
        device: torch.device,
    ) -> None:
        self.net, self.p, self.precision, self.device = net, params, precision, device
        blocks = len(net.segments())
        pixels = content.shape[-2] * content.shape[-1]
        # Leading blocks computed strip by strip and recomputed in the backward pass.
        mode = strips.network_mode(pixels, params.low_memory, self.lean_pixels)
        self.recomputed = {"plain": 0, "lean": min(strips.LEAN_BLOCKS, blocks), "low": blocks}[
            mode
        ]
        layer_w = list(params.style_layer_weights) or [1.0] * len(params.style_layers)
        total_w = sum(layer_w) or 1.0
        self.layer_weights = [w / total_w for w in layer_w]
        with torch.no_grad():
            self.c_targets, _ = self._features(content, params.content_layers, ())
            self.c_scales = {
                k: float(v.pow(2).sum().clamp_min(1e-12)) for k, v in self.c_targets.items()
            }
            per_style = [self._features(s, (), params.style_layers)[1] for s in styles]
            self.s_targets = {
                k: StyleTarget.blend(params.style_loss, [st[k][:2] for st in per_style], blend)
                for k in params.style_layers
            }
        self.parts: list[torch.Tensor] = []

    def closure(self, image: torch.Tensor, optimizer: torch.optim.Optimizer) -> torch.Tensor:
        """What ``optimizer.step`` calls: zero the gradient, evaluate, backpropagate."""
        optimizer.zero_grad(set_to_none=True)
        return self(image)

    def _features(
        self,
        image: torch.Tensor,
        keep: Sequence[str],
        stats: Collection[str],
        inputs: list[torch.Tensor | None] | None = None,
        upto: int | None = None,
    ) -> tuple[dict[str, torch.Tensor], dict[str, tuple[torch.Tensor, torch.Tensor, int]]]:
        """Without autograd: ({layer: float32 activation} for ``keep``, {layer: (mean,
        second moment, positions)} for ``stats``). In low-memory mode, or when ``inputs`` is
        given, strip by strip; ``inputs`` then receives the input of each of the first
        ``upto`` blocks (all by default) and of the block after them."""
        if not self.p.low_memory and inputs is None:
            with autocast(self.precision, self.device):
                feats = self.net(image)
            kept = {k: feats[k].float() for k in keep}
            found = {}
            for k in stats:
                feat = feats[k].float()
                found[k] = (*moments(feat), feat.shape[-2] * feat.shape[-1])
            return kept, found
        pieces: dict[str, list[torch.Tensor]] = {k: [] for k in keep}
        sums: dict[str, list[Any]] = {k: [0, 0, 0] for k in stats}

        def visit(name: str, feat: torch.Tensor, _row: int) -> None:
            if name in pieces:
                pieces[name].append(feat.float())
            if name in sums:
                with no_autocast(self.device):
                    s1, s2 = moment_sums(feat.float())
                acc = sums[name]
                acc[0], acc[1] = acc[0] + s1, acc[1] + s2
                acc[2] += feat.shape[-2] * feat.shape[-1]

        wanted = set(keep) | set(stats)
        blocks = self.net.segments()
        upto = len(blocks) if upto is None else upto
        with autocast(self.precision, self.device):
            x = self.net.norm(image)
            for i, block in enumerate(blocks):
                if inputs is not None:
                    inputs.append(x)
                if (not wanted and inputs is None) or i == upto:
                    break
                last = i + 1 == len(blocks)
                out = None if last else torch.empty(
                    strips.output_shape(block, x.shape), dtype=x.dtype, device=x.device,
                    memory_format=self.net.memory_format)
                for strip in strips.plan(block, x.shape, self.strip_elements):
                    y, row = strips.run(block, x[..., strip.rows, :], strip, visit)
                    if out is not None:
                        out[..., row : row + y.shape[-2], :] = y
                    del y
                wanted -= {name for name, _ in block}
                if out is None:
                    break
                x = out
            del x
        kept = {k: torch.cat(v, dim=2) for k, v in pieces.items()}
        return kept, {k: (s1 / n, s2 / n, n) for k, (s1, s2, n) in sums.items()}

    def _layer_loss(self, name: str, feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(content term, weighted style term) of one layer's activation, unweighted by
        content_weight / style_weight. In float32 even inside a bf16 :func:`autocast` region
        (the deep blocks of a lean run): autocast would compute the moments and the W2
        loss's matrix products in bfloat16, off by 4 % to 354 % at 256 channels."""
        with no_autocast(self.device):
            feat = feat.float()
            zero = feat.new_zeros(())
            c = content_loss(feat, self.c_targets[name], self.c_scales[name]) if (
                name in self.c_targets
            ) else zero
            s = zero
            if name in self.s_targets:
                s = self._style_weight(name) * self.s_targets[name].loss(*moments(feat))
        return c, s

    def _style_weight(self, name: str) -> float:
        return self.layer_weights[self.p.style_layers.index(name)]

    def _segmented(self, image: torch.Tensor) -> torch.Tensor:
        """The same loss and gradient as the plain path, holding one strip of one block's
        activations at a time for the first ``self.recomputed`` blocks.

        A forward pass without autograd keeps each of those blocks' input and sums each
        style layer's statistics; the style loss is a function of those statistics alone,
        so its gradient with respect to them (a few small matrices) is all a strip needs to
        know of the rest of the image. The blocks after them (if any) run once with
        autograd, as on the plain path. Then each recomputed block, from the deepest up, is
        recomputed strip by strip with autograd: its layers' content losses, the style
        statistics' gradient and the gradient arriving from the block after it,
        backpropagated to its input."""
        p = self.p
        blocks = self.net.segments()
        first = self.recomputed
        early = {name for block in blocks[:first] for name, _ in block}
        inputs: list[torch.Tensor | None] = []
        with torch.no_grad():
            _, stats = self._features(
                image, (), [k for k in self.s_targets if k in early], inputs, upto=first
            )
        leaves = {
            k: (m.requires_grad_(True), s.requires_grad_(True), n)
            for k, (m, s, n) in stats.items()
        }
        with torch.enable_grad():
            s_total = image.new_zeros(())
            for k, (mean, second, _) in leaves.items():
                s_total = s_total + self._style_weight(k) * self.s_targets[k].loss(mean, second)
            if s_total.requires_grad:
                (p.style_weight * s_total).backward()
        s_grads = {k: (m.grad, s.grad, n) for k, (m, s, n) in leaves.items()}
        s_total = s_total.detach()
        c_total = [image.new_zeros(())]
        grad: torch.Tensor | None = None
        if first < len(blocks):  # the deeper blocks, in one piece, with autograd
            x_in = inputs[first]
            assert x_in is not None
            inputs[first] = None
            x_in = x_in.detach().requires_grad_(True)
            deep_terms: list[torch.Tensor] = []
            with autocast(self.precision, self.device):
                x = x_in
                for block in blocks[first:]:
                    for name, module in block:
                        x = module(x)
                        if name in self.c_targets or name in self.s_targets:
                            c, s = self._layer_loss(name, x)
                            c_total[0] = c_total[0] + c.detach()
                            s_total = s_total + s.detach()
                            deep_terms.append(p.content_weight * c + p.style_weight * s)
            if deep_terms:
                torch.stack([t.float() for t in deep_terms]).sum().backward()
            grad = x_in.grad.float() if x_in.grad is not None else torch.zeros_like(x_in).float()
            del x, x_in, deep_terms
        for i in reversed(range(first)):
            x_in = inputs[i]
            assert x_in is not None
            inputs[i] = None
            grad_in = torch.zeros_like(x_in, dtype=torch.float32)  # and x_in's layout
            for strip in strips.plan(blocks[i], x_in.shape, self.strip_elements):
                piece = x_in[..., strip.rows, :].detach().requires_grad_(True)
                terms: list[torch.Tensor] = []

                def visit(name: str, feat: torch.Tensor, row: int,
                          terms: list[torch.Tensor] = terms) -> None:
                    with no_autocast(self.device):
                        feat = feat.float()
                        if name in self.c_targets:
                            target = self.c_targets[name][..., row : row + feat.shape[-2], :]
                            c = content_loss(feat, target, self.c_scales[name])
                            c_total[0] = c_total[0] + c.detach()
                            terms.append(p.content_weight * c)
                        if name in s_grads:
                            g1, g2, n = s_grads[name]
                            s1, s2 = moment_sums(feat)
                            t = (s2 * g2).sum() if g2 is not None else feat.new_zeros(())
                            if g1 is not None:
                                t = t + (s1 * g1).sum()
                            terms.append(t / n)

                with autocast(self.precision, self.device):
                    out, row = strips.run(blocks[i], piece, strip, visit)
                if grad is not None:
                    terms.append((out.float() * grad[..., row : row + out.shape[-2], :]).sum())
                if terms:
                    torch.stack([t.float() for t in terms]).sum().backward()
                if piece.grad is not None:
                    grad_in[..., strip.rows, :] += piece.grad.float()
                del out, piece, terms
            grad = grad_in
            del x_in, grad_in
        assert grad is not None
        t_loss = tv_loss(image) if p.tv_weight > 0 else image.new_zeros(())
        with autocast(self.precision, self.device):
            normalised = self.net.norm(image)
        ((normalised.float() * grad).sum() + p.tv_weight * t_loss).backward()
        total = p.content_weight * c_total[0] + p.style_weight * s_total + p.tv_weight * t_loss
        self.parts = [v.detach() for v in (c_total[0], s_total, t_loss, total)]
        return total.detach()

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        p = self.p
        if self.recomputed:
            return self._segmented(image)
        with autocast(self.precision, self.device):
            feats = self.net(image)
        c_loss = image.new_zeros(())
        s_loss = image.new_zeros(())
        for name, feat in feats.items():
            c, s = self._layer_loss(name, feat)
            c_loss = c_loss + c
            s_loss = s_loss + s
        t_loss = tv_loss(image) if p.tv_weight > 0 else image.new_zeros(())
        total = p.content_weight * c_loss + p.style_weight * s_loss + p.tv_weight * t_loss
        total.backward()
        self.parts = [v.detach() for v in (c_loss, s_loss, t_loss, total)]
        return total


class StyleTransfer:
    """One run of the optimisation. Create it, iterate :meth:`events`, read the :class:`Result`."""

    def __init__(
        self,
        params: Params,
        content: np.ndarray | torch.Tensor,
        styles: Sequence[np.ndarray | torch.Tensor],
        init_image: np.ndarray | torch.Tensor | None = None,
        network: VGGFeatures | None = None,
        step_cost: Callable[[int], float] | None = None,
    ) -> None:
        """``step_cost``: a step's cost by its pixels, relative (timeleft.TimeLeft's cost), for
        the time left where the scales timed give no fit (one of them, or flat steps)."""
        params.validate()
        if not styles:
            raise ParameterError("At least one style image is needed.")
        if params.styles and len(params.styles) != len(styles):
            raise ParameterError(
                f"{len(params.styles)} style weights were given for {len(styles)} style images."
            )
        if params.init == "image" and init_image is None:
            raise ParameterError("Initialisation 'image' needs an init image.")
        self.params = params
        self._content = to_tensor(content)
        self._styles = [to_tensor(s) for s in styles]
        self._init = to_tensor(init_image) if init_image is not None else None
        self._content_out: torch.Tensor | None = None  # the photo at the output size, on the device
        self._network = network
        self._step_cost = step_cost
        self._cancel = threading.Event()
        self._preview_requested = threading.Event()
        self._current: torch.Tensor | None = None
        self._lock = threading.Lock()

    # -- control, safe from any thread ------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def request_preview(self) -> None:
        self._preview_requested.set()

    def current_image(self) -> np.ndarray | None:
        """The image as it stands (float32 (H, W, 3)), or None before the first step."""
        with self._lock:
            cur = self._current
        return None if cur is None else self._finish(cur)

    # -- the run ------------------------------------------------------------
    def events(self) -> Iterator[Progress | Result]:
        p = self.params
        device = resolve_device(p.device)
        precision = resolve_precision(p.precision, device)
        if device.type in ("cpu", "mps"):  # no allocator of their own says no: they swap
            self._check_memory(device, precision)
        ran_out = False
        try:
            with precision_context(precision, device):
                yield from self._run(device, precision)
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            ran_out = True
        finally:
            if not ran_out:
                free_memory(device)
        if ran_out:
            # Measured here, out of the except block: inside it the traceback holds every
            # frame of the run (image, L-BFGS history, activations), nothing could be freed
            # and the suggestion came out at 16 px; and the error raised here carries no
            # __context__ that would hold the device's memory while the person reads it.
            self._content_out = None
            free_memory(device)
            name = "GPU" if device.type in ("cuda", "mps") else "CPU"
            raise self._out_of_memory(
                f"The {name} ran out of memory at {p.size} px", device, precision
            )

    def _check_memory(self, device: torch.device, precision: str) -> None:
        """Refuse, before allocating anything, a CPU run that needs more memory than the
        computer has free: the system would swap for hours or end the app. (The CPU
        estimate is measured to be within a few per cent; a GPU's allocator says so itself.)"""
        available = available_memory(device)
        if available is None:
            return
        h, w = self._content.shape[-2:]
        needed = estimate_run_memory(self.params, (h, w))
        if needed > available:
            raise self._out_of_memory(
                f"A {self.params.size} px run needs about {format_bytes(needed)} of memory,"
                f" but the computer has {format_bytes(available)} free",
                device, precision, available,
            )

    def _out_of_memory(self, headline: str, device: torch.device, precision: str,
                       available: int | None = None) -> OutOfMemoryError:
        """The error for a run that does not fit: what to change, a size that fits what
        ``device`` has free, and whether Low memory would let this size fit."""
        p = self.params
        h, w = self._content.shape[-2:]
        if available is None:
            available = available_memory(device)
        budget = int(available * 0.9) if available is not None else None
        suggested = (
            size_that_fits(budget, w / h, precision, **memory_options(p),
                           device_type=device.type)
            if budget is not None
            else max(64, int(p.size * 0.7) // 16 * 16)
        )
        suggested = min(suggested, max(16, int(p.size * 0.9)))
        low_memory_fits = (
            not p.low_memory
            and budget is not None
            and estimate_run_memory(p.replace(low_memory=True), (h, w)) <= budget
        )
        advice = [f"choose an output size of {suggested} px or less"]
        if not p.low_memory:
            advice.append("turn on Low memory (Advanced)" + (
                f", which fits {p.size} px" if low_memory_fits else ""))
        if device.type != "cpu":
            advice.append("use the CPU")
        choices = ", ".join(advice[:-1]) + (", or " if len(advice) > 1 else "") + advice[-1]
        return OutOfMemoryError(f"{headline}: {choices}.", suggested_size=suggested,
                                low_memory_fits=low_memory_fits)

    def _run(self, device: torch.device, precision: str) -> Iterator[Progress | Result]:
        p = self.params
        start = time.perf_counter()
        generator = torch.Generator().manual_seed(p.seed)
        torch.manual_seed(p.seed)
        layers = list(dict.fromkeys([*p.content_layers, *p.style_layers]))
        net = self._network
        if net is None or net.layers != tuple(layers):
            net = build_network(p.weights, layers, p.pooling, device)
        else:
            net = net.placed(device)

        blend = p.blend() or [1.0 / len(self._styles)] * len(self._styles)
        # A run needs the photo at the output size at most and each painting at its largest
        # style size: shrunk once, on the host, before anything goes to the device (a
        # 48-megapixel photo is 576 MB in float32, which the device would otherwise hold
        # through the whole run, outside the memory estimate). The shapes of the scales
        # still come from the photo's own size.
        ch, cw = self._content.shape[-2:]
        content_full = shrunk(self._content, scaled_shape(ch, cw, p.size)).to(device)
        self._content_out = content_full
        style_longest = max(16, round(p.size * p.style_scale))
        styles_full = [
            shrunk(s, scaled_shape(s.shape[-2], s.shape[-1], style_longest)).to(device)
            for s in self._styles
        ]
        if p.preserve_color == "histogram":
            styles_full = [color.match_histogram(s, content_full) for s in styles_full]

        thin = thinness(p, ch, cw)
        if thin is not None:
            raise thin
        _, smallest = smallest_side(p)
        schedule = [
            (s, n)
            for s, n in p.schedule()
            if min(scaled_shape(ch, cw, s)) >= smallest or s == p.size
        ]
        shapes = [scaled_shape(ch, cw, s) for s, _ in schedule]
        work_total = float(sum(n * h * w for (_, n), (h, w) in zip(schedule, shapes)))
        total_steps = sum(n for _, n in schedule)
        time_left = TimeLeft([h * w for h, w in shapes], [n for _, n in schedule],
                             self._step_cost)
        done_work = 0.0
        step = 0
        image: torch.Tensor | None = None
        losses: dict[str, float] = {}
        preview_every = p.preview_every

        for scale_index, ((longest, iterations), shape) in enumerate(zip(schedule, shapes)):
            content = resize(content_full, shape)
            style_longest = max(16, round(longest * p.style_scale))
            styles = [
                resize(s, scaled_shape(s.shape[-2], s.shape[-1], style_longest))
                for s in styles_full
            ]
            objective = Objective(net, p, content, styles, blend, precision, device)
            del styles

            if image is None:
                image = self._initial_image(content, generator, device)
            else:
                image = F.interpolate(image, size=shape, mode="bicubic", align_corners=False)
            image = image.detach().clamp(0, 1).contiguous().requires_grad_(True)
            optimizer = self._make_optimizer(image, iterations)
            average: torch.Tensor | None = None
            averaged = 0
            avg_start = iterations // 2

            closure = functools.partial(objective.closure, image, optimizer)

            for it in range(1, iterations + 1):
                if self._cancel.is_set():
                    break
                optimizer.step(closure)  # type: ignore[arg-type]
                if p.optimizer == "adam":
                    with torch.no_grad():
                        image.clamp_(0, 1)
                if p.average and it > avg_start:
                    with torch.no_grad():
                        averaged += 1
                        if average is None:
                            average = image.detach().clone()
                        else:
                            average.add_(image.detach() - average, alpha=1.0 / averaged)
                step += 1
                done_work += shape[0] * shape[1]
                with self._lock:
                    self._current = (average if average is not None else image).detach()
                want_preview = self._preview_requested.is_set() or (
                    preview_every > 0 and (it % preview_every == 0 or it == 1)
                )
                preview = None
                if want_preview:
                    self._preview_requested.clear()
                    preview = self._frame(self._current)
                # The step's one read from the device: the four losses in one copy.
                values = torch.stack([v.float() for v in objective.parts]).tolist()
                losses = dict(zip(("content", "style", "tv", "total"), values))
                if not all(math.isfinite(v) for v in losses.values()):
                    if device.type == "mps":
                        # A Metal command buffer that ran out of memory leaves NaNs behind.
                        raise MemoryError("MPS: the loss is not a number (out of memory?)")
                    raise ParameterError(
                        "The optimisation diverged (the loss is not a number). "
                        "Lower the learning rate or the style weight."
                    )
                now = time.perf_counter()
                elapsed = now - start
                eta = time_left.step_done(scale_index, it, now)
                yield Progress(
                    scale_index=scale_index,
                    scale_count=len(schedule),
                    size=shape,
                    iteration=it,
                    scale_iterations=iterations,
                    step=step,
                    total_steps=total_steps,
                    losses=losses,
                    elapsed=elapsed,
                    eta=eta,
                    work_done=done_work,
                    work_total=work_total,
                    preview=preview,
                )
            if average is not None:
                image = average
            image = image.detach()
            del optimizer, objective
            if self._cancel.is_set():
                break
            if scale_index + 1 < len(schedule):
                free_memory(device)

        assert image is not None
        with self._lock:
            self._current = image
        final = self._finish(image)
        yield Result(
            image=final,
            params=p,
            elapsed=time.perf_counter() - start,
            device=str(device),
            steps=step,
            cancelled=self._cancel.is_set(),
            losses=losses,
            precision=precision,
            step_times=time_left.timed,
        )

    # -- helpers --------------------------------------------------------------
    def _initial_image(
        self, content: torch.Tensor, generator: torch.Generator, device: torch.device
    ) -> torch.Tensor:
        p = self.params
        if p.init == "noise":
            noise = torch.rand(content.shape, generator=generator)
            return (0.5 + 0.5 * (noise.to(device) - 0.5)).to(content.dtype)
        if p.init == "image" and self._init is not None:
            return resize(self._init.to(device), tuple(content.shape[-2:]))  # type: ignore[arg-type]
        return content.clone()

    def _make_optimizer(self, image: torch.Tensor, steps: int) -> torch.optim.Optimizer:
        p = self.params
        if p.optimizer == "adam":
            return torch.optim.Adam([image], lr=p.learning_rate)
        return LBFGS([image], history_size=p.lbfgs_history, steps=steps)

    def _finished(self, image: torch.Tensor) -> torch.Tensor:
        """The image as the person gets it (clamped, colours kept if asked), on its device."""
        img = image.detach().clamp(0, 1)
        if self.params.preserve_color == "luminance":
            content = self._content if self._content_out is None else self._content_out
            img = color.luminance_transfer(img, content.to(img.device))
        return img

    def _finish(self, image: torch.Tensor) -> np.ndarray:
        return to_numpy(self._finished(image))

    def _frame(self, image: torch.Tensor) -> np.ndarray:
        """A preview frame, (H, W, 3) uint8."""
        img = self._finished(image)
        if img.device.type == "cpu":  # numpy is faster at this than torch's CPU kernels
            return to_uint8(to_numpy(img))
        return frame_on_device(img)


def memory_options(params: Params, steps: int | None = None) -> dict[str, Any]:
    """What besides the image's shape and the precision decides a run's memory, for a scale
    of ``steps`` iterations (the full-size scale's by default)."""
    steps = params.iterations if steps is None else steps
    return {
        "low_memory": params.low_memory,
        "optimizer": params.optimizer,
        "history": pairs_kept(params.lbfgs_history, steps),
    }


def estimate_run_memory(params: Params, content_shape: tuple[int, int]) -> int:
    """Peak memory of a run on ``content_shape``: the most any of its scales needs."""
    device = resolve_device(params.device)
    precision = resolve_precision(params.precision, device)
    return max(
        estimate_memory(*scaled_shape(content_shape[0], content_shape[1], size), precision,
                        **memory_options(params, steps), device_type=device.type)
        for size, steps in params.schedule()
    )
