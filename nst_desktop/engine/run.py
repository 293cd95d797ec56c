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

import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

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
from nst_desktop.engine.params import Params
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
                size_that_fits(budget, w / h, precision) if budget is not None
                else max(64, int(p.size * 0.7) // 16 * 16)
            )
            suggested = min(suggested, max(16, int(p.size * 0.9)))
            raise OutOfMemoryError(
                f"The {device.type.upper()} ran out of memory at {p.size} px. "
                f"Try an output size of {suggested} px or less, or use the CPU.",
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
        layer_w = list(p.style_layer_weights) or [1.0] * len(p.style_layers)
        lw_total = sum(layer_w) or 1.0
        layer_w = [w / lw_total for w in layer_w]
        content_full = self._content.to(device)
        styles_full = [s.to(device) for s in self._styles]
        if p.preserve_color == "histogram":
            styles_full = [color.match_histogram(s, content_full) for s in styles_full]

        ch, cw = content_full.shape[-2:]
        schedule = p.schedule()
        shapes = [scaled_shape(ch, cw, s) for s, _ in schedule]
        work = [n * h * w for (_, n), (h, w) in zip(schedule, shapes)]
        total_steps = sum(n for _, n in schedule)
        done_work = 0.0
        step = 0
        image: torch.Tensor | None = None
        losses: dict[str, float] = {}
        preview_every = p.preview_every

        for scale_index, ((longest, iterations), shape) in enumerate(zip(schedule, shapes)):
            content = resize(content_full, shape)
            with torch.no_grad(), autocast(precision, device):
                c_feats = net(content)
            c_targets = {k: c_feats[k].float().detach() for k in p.content_layers}
            c_scales = {k: float(v.pow(2).sum().clamp_min(1e-12)) for k, v in c_targets.items()}
            del c_feats
            style_longest = max(16, round(longest * p.style_scale))
            per_style: list[dict[str, torch.Tensor]] = []
            for s in styles_full:
                sh = scaled_shape(s.shape[-2], s.shape[-1], style_longest)
                with torch.no_grad(), autocast(precision, device):
                    feats = net(resize(s, sh))
                per_style.append({k: feats[k].float() for k in p.style_layers})
                del feats
            with torch.no_grad():
                s_targets = {
                    k: StyleTarget.blend(p.style_loss, [f[k] for f in per_style], blend)
                    for k in p.style_layers
                }
            del per_style

            if image is None:
                image = self._initial_image(content, generator, device)
            else:
                image = F.interpolate(image, size=shape, mode="bicubic", align_corners=False)
            image = image.detach().clamp(0, 1).contiguous().requires_grad_(True)
            optimizer = self._make_optimizer(image)
            average: torch.Tensor | None = None
            averaged = 0
            avg_start = iterations // 2

            def closure() -> torch.Tensor:
                optimizer.zero_grad(set_to_none=True)
                with autocast(precision, device):
                    feats = net(image)
                c_loss = sum(
                    content_loss(feats[k].float(), c_targets[k], c_scales[k])
                    for k in p.content_layers
                )
                s_loss = sum(
                    w * s_targets[k].loss(feats[k].float())
                    for k, w in zip(p.style_layers, layer_w)
                )
                t_loss = tv_loss(image) if p.tv_weight > 0 else image.new_zeros(())
                total = p.content_weight * c_loss + p.style_weight * s_loss + p.tv_weight * t_loss
                total.backward()
                closure.parts = (c_loss, s_loss, t_loss, total)  # type: ignore[attr-defined]
                return total

            for it in range(1, iterations + 1):
                if self._cancel.is_set():
                    break
                optimizer.step(closure)
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
                c_l, s_l, t_l, tot = closure.parts  # type: ignore[attr-defined]
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
            del optimizer, c_targets, s_targets
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
            history_size=100,
            tolerance_grad=-1,
            tolerance_change=-1,
        )

    def _finish(self, image: torch.Tensor) -> np.ndarray:
        img = image.detach().clamp(0, 1)
        if self.params.preserve_color == "luminance":
            content = self._content.to(img.device)
            img = color.luminance_transfer(img, content)
        return to_numpy(img)


def estimate_run_memory(params: Params, content_shape: tuple[int, int]) -> int:
    h, w = scaled_shape(content_shape[0], content_shape[1], params.size)
    device = resolve_device(params.device)
    return estimate_memory(h, w, resolve_precision(params.precision, device))
