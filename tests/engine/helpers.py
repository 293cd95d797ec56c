"""Small helpers shared by the engine tests."""

from __future__ import annotations

import numpy as np
import torch

from nst_desktop.engine import Params, Result, StyleTransfer, build_network
from nst_desktop.engine.losses import gram
from nst_desktop.engine.run import to_tensor

TINY = dict(size=48, min_size=24, iterations=12, coarse_iterations=12, preview_every=0)


def tiny(**changes) -> Params:
    return Params(**{**TINY, **changes})


def run_to_end(params, content, styles, **kw) -> tuple[list, Result]:
    events = list(StyleTransfer(params, content, styles, **kw).events())
    assert isinstance(events[-1], Result)
    return events[:-1], events[-1]


_NET = {}


def gram_distance(image: np.ndarray, style: np.ndarray, layers=("relu1_1", "relu2_1", "relu3_1")):
    """Mean relative Gram error (like nst_score.py), at the image's own size."""
    if "net" not in _NET:
        _NET["net"] = build_network("original", ["relu1_1", "relu2_1", "relu3_1"])
    net = _NET["net"]
    with torch.no_grad():
        fa = net(to_tensor(image))
        fb = net(to_tensor(style))
    errs = [
        float((gram(fa[k]) - gram(fb[k])).pow(2).sum() / gram(fb[k]).pow(2).sum()) for k in layers
    ]
    return sum(errs) / len(errs)
