"""Content, style and total-variation losses.

All losses are *relative* errors, the same quantities that
``shared/tools/nst_score.py`` reports, so that weights mean the same thing
at every layer, every image size and every style:

    content = ||F - Fc||^2 / ||Fc||^2
    style   = ||G - Gs||^2 / ||Gs||^2            (G = F F^T / (H W))   "gram"
    style   = W2(N(mu, C), N(mu_s, C_s)) / tr(C_s + mu_s mu_s^T)       "w2"

The Wasserstein-2 distance between the Gaussians fitted to the features
matches means and covariances jointly and gives smoother, more faithful
textures than the Gram loss for the same content error.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import torch

W2_EPS = 1e-5  # covariance regulariser, relative to the mean variance
SQRTM_GRAD_FLOOR = 1e-2  # relative to the largest singular value


def gram(feat: torch.Tensor) -> torch.Tensor:
    """(1, C, H, W) -> (C, C), normalised by H*W."""
    return moments(feat)[1]


def moment_sums(feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum of f, sum of f f^T) over the positions of a (1, C, H, W) activation: additive,
    so a strip at a time gives the same totals as the whole."""
    _, c, h, w = feat.shape
    if not feat.is_contiguous() and feat.is_contiguous(memory_format=torch.channels_last):
        m = feat.permute(0, 2, 3, 1).reshape(h * w, c)  # a view: positions x channels
        return m.sum(dim=0), m.t() @ m
    m = feat.reshape(c, h * w)
    return m.sum(dim=1), m @ m.t()


def moments(feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, second moment E[f f^T]) over positions: every style loss is a function of
    these two, which is what lets low-memory mode compute it strip by strip."""
    _, _, h, w = feat.shape
    s1, s2 = moment_sums(feat)
    return s1 / (h * w), s2 / (h * w)


_HOST = threading.local()


@contextlib.contextmanager
def host_float64() -> Iterator[None]:
    """The one place float64 arithmetic happens: small matrices (C x C statistics, 3 x 3
    colour transforms) copied to the CPU with :func:`to_host64` and returned with
    :func:`from_host`. Apple's GPU has no float64 at all and no ``linalg.eigh`` kernel, a
    consumer CUDA card runs float64 at 1/64 speed, and a host-side eigh costs one transfer
    instead of a device sync per scalar read. (Tests watch for float64 outside it.)"""
    _HOST.depth = getattr(_HOST, "depth", 0) + 1
    try:
        yield
    finally:
        _HOST.depth -= 1


def in_host_float64() -> bool:
    """Whether the calling thread is inside :func:`host_float64`."""
    return getattr(_HOST, "depth", 0) > 0


def to_host64(t: torch.Tensor) -> torch.Tensor:
    """A float64 CPU copy of a small tensor: moved first, converted on the host (an MPS
    tensor cannot be converted to float64 where it is)."""
    return t.detach().cpu().double()


def from_host(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``t`` (on the host) in ``like``'s dtype, converted before it moves to ``like``'s
    device."""
    return t.to(like.dtype).to(like.device)


class _SqrtmEig(torch.autograd.Function):
    """Symmetric PSD matrix square root with a stable backward (Sylvester form), computed on
    the host in float64."""

    @staticmethod
    def forward(ctx, a):
        with host_float64():
            # float64: the spectrum spans many decades and float32 eigh loses the small end.
            vals, vecs = torch.linalg.eigh(to_host64(a))
            vals = vals.clamp_min(0)
            ctx.save_for_backward(vals, vecs)
            root = vecs @ torch.diag_embed(vals.sqrt()) @ vecs.transpose(-2, -1)
            return from_host(root, a)

    @staticmethod
    def backward(ctx, grad):
        vals, vecs = ctx.saved_tensors
        with host_float64():
            d = vals.sqrt()
            denom = d[:, None] + d[None, :]
            # Near-null directions (dead ReLU channels, fewer positions than channels) would
            # get gradients ~1/sqrt(eps); flooring the denominator keeps the step meaningful.
            # (On the host: reading d.max() costs no device sync.)
            denom = denom.clamp_min(SQRTM_GRAD_FLOOR * float(d.max()) + 1e-12)
            vt = vecs.transpose(-2, -1)
            g = to_host64(grad)
            g = (g + g.transpose(-2, -1)) / 2
            return from_host(vecs @ ((vt @ g @ vecs) / denom) @ vt, grad)


def sqrtm(a: torch.Tensor) -> torch.Tensor:
    return _SqrtmEig.apply(a)


@dataclass
class StyleTarget:
    """Per-layer target statistics of the (blended) style."""

    kind: str
    gram: torch.Tensor | None = None
    mean: torch.Tensor | None = None
    cov: torch.Tensor | None = None
    cov_sqrt: torch.Tensor | None = None
    scale: float = 1.0  # the normaliser that makes the loss relative

    @classmethod
    def blend(
        cls, kind: str, stats: list[tuple[torch.Tensor, torch.Tensor]], weights: list[float]
    ) -> StyleTarget:
        """The target of several styles' (mean, second moment) statistics, blended."""
        second = sum(w * s for (_, s), w in zip(stats, weights))
        assert isinstance(second, torch.Tensor)
        if kind == "gram":
            return cls(kind, gram=second, scale=float(second.pow(2).sum().clamp_min(1e-12)))
        mean = sum(w * m for (m, _), w in zip(stats, weights))
        assert isinstance(mean, torch.Tensor)
        # Moment-matched mixture: the blend's covariance includes the spread of the means.
        cov = second - torch.outer(mean, mean)
        eye = torch.eye(cov.shape[0], device=cov.device, dtype=cov.dtype)
        cov = cov + eye * W2_EPS * cov.diagonal().mean().clamp_min(1e-8)
        cov_sqrt = sqrtm(cov)
        scale = float((cov.diagonal().sum() + mean.pow(2).sum()).clamp_min(1e-12))
        return cls(kind, mean=mean, cov=cov, cov_sqrt=cov_sqrt, scale=scale)

    def loss(self, mean: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """The relative style error of an activation with these statistics (see
        :func:`moments`)."""
        if self.kind == "gram":
            assert self.gram is not None
            return (second - self.gram).pow(2).sum() / self.scale
        assert self.mean is not None and self.cov is not None and self.cov_sqrt is not None
        cov = second - torch.outer(mean, mean)
        eye = torch.eye(cov.shape[0], device=cov.device, dtype=cov.dtype)
        cov = cov + eye * W2_EPS * self.cov.diagonal().mean()
        cross = sqrtm(self.cov_sqrt @ cov @ self.cov_sqrt)
        w2 = (mean - self.mean).pow(2).sum() + (
            cov.diagonal().sum() + self.cov.diagonal().sum() - 2 * cross.diagonal().sum()
        )
        return w2.clamp_min(0) / self.scale


def content_loss(feat: torch.Tensor, target: torch.Tensor, scale: float) -> torch.Tensor:
    return (feat - target).pow(2).sum() / scale


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of neighbouring pixels (0..1 units)."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.pow(2).mean() + dy.pow(2).mean()
