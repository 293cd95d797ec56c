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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nst_desktop.engine import color
from nst_desktop.engine.device import (
    autocast,
    estimate_memory,
    free_memory,
    is_out_of_memory,
    precision_context,
    resolve_device,
    resolve_precision,
    size_that_fits,
)
from nst_desktop.engine.losses import StyleTarget, content_loss, tv_loss
from nst_desktop.engine.params import VGG19_LAYERS, Params
from nst_desktop.engine.vgg import VGGFeatures, build_network
from nst_desktop.errors import OutOfMemoryError, ParameterError


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
    preview: np.ndarray | None = None  # uint8 (H, W, 3) when a frame was due

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0


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

    def to_uint8(self) -> np.ndarray:
        return to_uint8(self.image)


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


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


def resize(image: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    if tuple(image.shape[-2:]) == tuple(shape):
        return image
    shrinking = shape[0] < image.shape[-2]
    return F.interpolate(
        image, size=shape, mode="bicubic", align_corners=False, antialias=shrinking
    ).clamp(0, 1)


class Objective:
    """The loss at one scale: targets computed once, then ``objective(image)`` backpropagates.

    ``parts`` holds the detached (content, style, tv, total) of the last call.
    """

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
        layer_w = list(params.style_layer_weights) or [1.0] * len(params.style_layers)
        total_w = sum(layer_w) or 1.0
        self.layer_weights = [w / total_w for w in layer_w]
        with torch.no_grad(), autocast(precision, device):
            feats = net(content)
            self.c_targets = {k: feats[k].float() for k in params.content_layers}
            self.c_scales = {
                k: float(v.pow(2).sum().clamp_min(1e-12)) for k, v in self.c_targets.items()
            }
            del feats
            per_style: list[dict[str, torch.Tensor]] = []
            for s in styles:
                feats = net(s)
                per_style.append({k: feats[k].float() for k in params.style_layers})
                del feats
        with torch.no_grad():
            self.s_targets = {
                k: StyleTarget.blend(params.style_loss, [f[k] for f in per_style], blend)
                for k in params.style_layers
            }
        self.parts: list[torch.Tensor] = []

    def closure(self, image: torch.Tensor, optimizer: torch.optim.Optimizer) -> torch.Tensor:
        """What ``optimizer.step`` calls: zero the gradient, evaluate, backpropagate."""
        optimizer.zero_grad(set_to_none=True)
        return self(image)

    def _layer_loss(self, name: str, feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(content term, weighted style term) of one layer's activation, unweighted by
        content_weight / style_weight."""
        p = self.p
        zero = feat.new_zeros((), dtype=torch.float32)
        c = content_loss(feat.float(), self.c_targets[name], self.c_scales[name]) if (
            name in self.c_targets
        ) else zero
        s = zero
        if name in self.s_targets:
            w = self.layer_weights[p.style_layers.index(name)]
            s = w * self.s_targets[name].loss(feat.float())
        return c, s

    def _segmented(self, image: torch.Tensor) -> torch.Tensor:
        """The same loss and gradient as the plain path, holding one network block's
        activations at a time: a no-grad forward keeps each block's input, then each block
        is recomputed with autograd from the deepest up, its layers' losses backpropagated
        together with the gradient arriving from the block after it."""
        p = self.p
        segments = self.net.segments()
        wanted = set(self.c_targets) | set(self.s_targets)
        inputs: list[torch.Tensor | None] = []
        with torch.no_grad(), autocast(self.precision, self.device):
            x = self.net.norm(image)
            for i, seg in enumerate(segments):
                inputs.append(x)
                if i + 1 < len(segments):
                    for _, module in seg:
                        x = module(x)
            del x
        c_total = image.new_zeros(())
        s_total = image.new_zeros(())
        grad: torch.Tensor | None = None
        for i in reversed(range(len(segments))):
            x_in = inputs[i]
            assert x_in is not None
            inputs[i] = None
            x_in = x_in.detach().requires_grad_(True)
            terms: list[torch.Tensor] = []
            with autocast(self.precision, self.device):
                x = x_in
                for name, module in segments[i]:
                    x = module(x)
                    if name in wanted:
                        c, s = self._layer_loss(name, x)
                        c_total = c_total + c.detach()
                        s_total = s_total + s.detach()
                        terms.append(p.content_weight * c + p.style_weight * s)
            if grad is not None:
                terms.append((x.float() * grad).sum())
            if terms:
                torch.stack([t.float() for t in terms]).sum().backward()
            grad = x_in.grad.float() if x_in.grad is not None else torch.zeros_like(x_in).float()
            del x, x_in, terms
        assert grad is not None
        t_loss = tv_loss(image) if p.tv_weight > 0 else image.new_zeros(())
        with autocast(self.precision, self.device):
            normalised = self.net.norm(image)
        ((normalised.float() * grad).sum() + p.tv_weight * t_loss).backward()
        total = p.content_weight * c_total + p.style_weight * s_total + p.tv_weight * t_loss
        self.parts = [v.detach() for v in (c_total, s_total, t_loss, total)]
        return total.detach()

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        p = self.p
        if p.low_memory:
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
    ) -> None:
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
        self._network = network
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
        try:
            with precision_context(precision, device):
                yield from self._run(device, precision)
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            free_memory(device)
            h, w = self._content.shape[-2:]
            budget = None
            if device.type == "cuda":
                free, _total = torch.cuda.mem_get_info(device)
                budget = int(free * 0.9)
            suggested = (
                size_that_fits(budget, w / h, precision, **memory_options(p))
                if budget is not None
                else max(64, int(p.size * 0.7) // 16 * 16)
            )
            suggested = min(suggested, max(16, int(p.size * 0.9)))
            advice = "" if p.low_memory else ", turn on Low memory (Advanced)"
            raise OutOfMemoryError(
                f"The {device.type.upper()} ran out of memory at {p.size} px. "
                f"Try an output size of {suggested} px or less{advice}, or use the CPU.",
                suggested_size=suggested,
            ) from None
        finally:
            free_memory(device)

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
            net = net.to(device)

        blend = p.blend() or [1.0 / len(self._styles)] * len(self._styles)
        content_full = self._content.to(device)
        styles_full = [s.to(device) for s in self._styles]
        if p.preserve_color == "histogram":
            styles_full = [color.match_histogram(s, content_full) for s in styles_full]

        ch, cw = content_full.shape[-2:]
        # The deepest layer needs at least one pixel after its pooling layers.
        deepest = max(VGG19_LAYERS.index(n) for n in layers)
        smallest = 2 ** int(VGG19_LAYERS[deepest][4]) // 2
        schedule = [
            (s, n)
            for s, n in p.schedule()
            if min(scaled_shape(ch, cw, s)) >= smallest or s == p.size
        ]
        shapes = [scaled_shape(ch, cw, s) for s, _ in schedule]
        if min(shapes[-1]) < smallest:
            raise ParameterError(
                f"At {p.size} px this image is too small for layer {VGG19_LAYERS[deepest]}: "
                f"its shorter side must be at least {smallest} px."
            )
        work = [n * h * w for (_, n), (h, w) in zip(schedule, shapes)]
        total_steps = sum(n for _, n in schedule)
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
            optimizer = self._make_optimizer(image)
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
                    preview = to_uint8(self._finish(self._current))
                c_l, s_l, t_l, tot = objective.parts
                # .item() syncs the device; only pay for it when an event carries numbers
                # that someone will read (every iteration on the CPU is free anyway).
                losses = {
                    "content": float(c_l),
                    "style": float(s_l),
                    "tv": float(t_l),
                    "total": float(tot),
                }
                if not all(math.isfinite(v) for v in losses.values()):
                    raise ParameterError(
                        "The optimisation diverged (the loss is not a number). "
                        "Lower the learning rate or the style weight."
                    )
                elapsed = time.perf_counter() - start
                remaining = sum(work) - done_work
                eta = elapsed / done_work * remaining if step >= 2 and done_work else None
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

    def _make_optimizer(self, image: torch.Tensor) -> torch.optim.Optimizer:
        p = self.params
        if p.optimizer == "adam":
            return torch.optim.Adam([image], lr=p.learning_rate)
        return torch.optim.LBFGS(
            [image],
            lr=1.0,
            max_iter=1,
            history_size=p.lbfgs_history,
            tolerance_grad=-1,
            tolerance_change=-1,
        )

    def _finish(self, image: torch.Tensor) -> np.ndarray:
        img = image.detach().clamp(0, 1)
        if self.params.preserve_color == "luminance":
            content = self._content.to(img.device)
            img = color.luminance_transfer(img, content)
        return to_numpy(img)


def memory_options(params: Params) -> dict[str, Any]:
    """What besides the image's shape and the precision decides a run's memory."""
    return {
        "low_memory": params.low_memory,
        "optimizer": params.optimizer,
        "history": params.lbfgs_history,
    }


def estimate_run_memory(params: Params, content_shape: tuple[int, int]) -> int:
    """Peak memory of a run at full size (the largest scale) on ``content_shape``."""
    h, w = scaled_shape(content_shape[0], content_shape[1], params.size)
    device = resolve_device(params.device)
    precision = resolve_precision(params.precision, device)
    return estimate_memory(h, w, precision, **memory_options(params))
