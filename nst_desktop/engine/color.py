"""Colour preservation (Gatys et al., "Preserving colour in neural artistic style transfer").

``luminance``  the result keeps the content's chroma: the stylised luminance is
               recombined with the content's I/Q (YIQ) channels.
``histogram``  before the run, each style image's colours are mapped by an affine
               transform so that their mean and covariance match the content's.
All images are float tensors (N, 3, H, W) or (3, H, W), RGB in 0..1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from nst_desktop.engine.losses import from_host, host_float64, to_host64

_RGB_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]]
)
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)


def _apply(matrix: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    m = matrix.to(image.device, image.dtype)
    return torch.einsum("ij,...jhw->...ihw", m, image)


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    return _apply(_RGB_TO_YIQ, image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    return _apply(_YIQ_TO_RGB, image)


def luminance_transfer(stylised: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Stylised luminance + content chroma. ``content`` is resized to match."""
    if content.shape[-2:] != stylised.shape[-2:]:
        squeeze = content.dim() == 3
        c = content[None] if squeeze else content
        c = F.interpolate(c, size=stylised.shape[-2:], mode="bicubic", align_corners=False)
        content = c[0] if squeeze else c
    y = rgb_to_yiq(stylised)
    iq = rgb_to_yiq(content)
    out = torch.cat([y[..., :1, :, :], iq[..., 1:, :, :]], dim=-3)
    return yiq_to_rgb(out).clamp(0, 1)


def _sqrt_and_inv_sqrt(cov: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    vals, vecs = torch.linalg.eigh(cov)
    vals = vals.clamp_min(1e-6)
    return (vecs @ torch.diag(vals.sqrt()) @ vecs.T, vecs @ torch.diag(vals.rsqrt()) @ vecs.T)


def match_histogram(source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Affine colour transform of ``source`` so its mean/covariance match ``reference``'s.
    The statistics are float32 sums where the images are; the 3 x 3 algebra is float64 on
    the host (:func:`nst_desktop.engine.losses.host_float64`)."""

    def stats(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        px = img.reshape(3, -1).float()
        mu = px.mean(dim=1, keepdim=True)
        centred = px - mu
        return mu, centred @ centred.T / px.shape[1]

    squeeze = source.dim() == 4
    src = source[0] if squeeze else source
    ref = reference[0] if reference.dim() == 4 else reference
    mu_s, cov_s = stats(src)
    mu_r, cov_r = stats(ref)
    px = src.reshape(3, -1).float()
    with host_float64():
        _, inv_sqrt_s = _sqrt_and_inv_sqrt(to_host64(cov_s))
        sqrt_r, _ = _sqrt_and_inv_sqrt(to_host64(cov_r))
        transform64 = sqrt_r @ inv_sqrt_s
        shift64 = to_host64(mu_r) - transform64 @ to_host64(mu_s)
        transform, shift = from_host(transform64, px), from_host(shift64, px)
    out = (transform @ px + shift).reshape(src.shape).to(src.dtype).clamp(0, 1)
    return out[None] if squeeze else out
