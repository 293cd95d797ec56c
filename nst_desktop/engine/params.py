"""The frozen, versioned, JSON-serialisable description of one style-transfer run.

A :class:`Params` holds everything that determines a result: given the same
params (and the same content/style files) on the CPU, the engine produces the
same image. It is built and validated on the caller's thread and handed to the
engine, which never mutates it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nst_desktop import jsonsafe
from nst_desktop.errors import ParameterError

PARAMS_VERSION = 1
MAX_SIZE = 16384  # the largest output size (longest side, px)
# The most styles one blend takes: each is decoded and held on the device, and a blend of
# more is no longer telling apart; saved settings listing hundreds are refused unread.
MAX_STYLES = 16
MAX_PARAMS_JSON_BYTES = 1 << 20  # what the app writes is about 1 KB

# ReLU outputs of VGG-19, in network order.
VGG19_LAYERS: tuple[str, ...] = tuple(
    f"relu{block}_{conv}"
    for block, n in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4))
    for conv in range(1, n + 1)
)

DEFAULT_CONTENT_LAYERS = ("relu4_2",)
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")

OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "noise", "image")
COLOR_MODES = ("off", "luminance", "histogram")
POOLINGS = ("max", "avg")
DEVICES = ("auto", "cuda", "mps", "cpu")
PRECISIONS = ("auto", "fp32", "tf32", "bf16")
STYLE_LOSSES = ("gram", "w2")
LBFGS_HISTORY = 100  # L-BFGS curvature pairs kept (each pair: two image-sized tensors)
LOW_MEMORY_LBFGS_HISTORY = 10


@dataclass(frozen=True)
class StyleInput:
    """One style image and its share of the blend (weights are normalised)."""

    path: str = ""
    weight: float = 1.0


@dataclass(frozen=True)
class Params:
    """Everything that determines a result. See the README's parameter table."""

    version: int = PARAMS_VERSION
    # Inputs (paths are recorded so that a saved result can be reproduced).
    content: str = ""
    styles: tuple[StyleInput, ...] = ()
    # Output.
    size: int = 512  # longest side of the result, in pixels
    # Loss weights. Losses are normalised (relative errors), so the ratio
    # style_weight / content_weight is the "strength" of the style.
    content_weight: float = 1.0
    style_weight: float = 6.0
    tv_weight: float = 0.0
    content_layers: tuple[str, ...] = DEFAULT_CONTENT_LAYERS
    style_layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS
    style_layer_weights: tuple[float, ...] = ()  # empty: equal weights
    style_loss: str = "gram"
    # Optimisation.
    optimizer: str = "lbfgs"
    iterations: int = 40  # at the final (full) size
    coarse_iterations: int = 80  # at each coarser size of the schedule
    learning_rate: float = 0.02  # Adam step, in 0..1 pixel units
    coarse_to_fine: bool = True
    min_size: int = 128  # the coarsest size of the schedule
    average: bool = False  # average the iterates of the last part of each scale
    init: str = "content"
    init_image: str = ""
    seed: int = 0
    # Style.
    style_scale: float = 1.0
    preserve_color: str = "off"
    # Network and device.
    weights: str = "original"  # "original", "torchvision" or a path to a state dict
    pooling: str = "max"
    device: str = "auto"
    precision: str = "auto"
    # Low memory: run the network on strips of the image, one block at a time, recomputing
    # in the backward pass (exact; engine/strips.py), and keep a short L-BFGS history
    # (LOW_MEMORY_LBFGS_HISTORY), for large sizes on small GPUs.
    low_memory: bool = False
    # Reporting (does not change the result).
    preview_every: int = 10

    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # -- strength ---------------------------------------------------------
    @property
    def strength(self) -> float:
        """Style weight relative to content weight (the single 'strength' knob)."""
        return self.style_weight / self.content_weight

    def with_strength(self, strength: float) -> Params:
        """Return a copy whose style/content ratio is ``strength``."""
        return self.replace(style_weight=float(strength) * self.content_weight)

    def replace(self, **changes: Any) -> Params:
        return dataclasses.replace(self, **changes)

    # -- schedule ---------------------------------------------------------
    def schedule(self) -> list[tuple[int, int]]:
        """The (longest side, iterations) of each scale, coarsest first."""
        if not self.coarse_to_fine or self.size <= self.min_size:
            return [(self.size, self.iterations)]
        sizes = [self.size]
        while sizes[-1] // 2 >= self.min_size:
            sizes.append(sizes[-1] // 2)
        sizes.reverse()
        return [(s, self.coarse_iterations) for s in sizes[:-1]] + [(self.size, self.iterations)]

    @property
    def lbfgs_history(self) -> int:
        """L-BFGS curvature pairs kept: short in low-memory mode."""
        return LOW_MEMORY_LBFGS_HISTORY if self.low_memory else LBFGS_HISTORY

    def total_iterations(self) -> int:
        return sum(n for _, n in self.schedule())

    def blend(self) -> list[float]:
        """Normalised blend weights of the styles."""
        total = sum(s.weight for s in self.styles)
        if total <= 0:
            return [1.0 / len(self.styles)] * len(self.styles) if self.styles else []
        return [s.weight / total for s in self.styles]

    # -- validation -------------------------------------------------------
    def validate(self, *, need_inputs: bool = False) -> Params:
        """Raise :class:`ParameterError` with a readable message if anything is off."""

        def bad(msg: str) -> None:
            raise ParameterError(msg)

        def choice(name: str, value: str, options: tuple[str, ...]) -> None:
            if value not in options:
                bad(f"{name} must be one of {', '.join(options)}; got {value!r}.")

        if self.version > PARAMS_VERSION:
            bad(f"These parameters come from a newer nst_desktop (version {self.version}).")
        if not 16 <= self.size <= MAX_SIZE:
            bad(f"Output size must be between 16 and {MAX_SIZE} pixels; got {self.size}.")
        if not self.min_size >= 16:
            bad(f"The smallest coarse-to-fine size must be at least 16; got {self.min_size}.")
        for name in ("content_weight", "style_weight", "tv_weight", "learning_rate", "style_scale"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                bad(f"{name.replace('_', ' ')} must be a finite number >= 0; got {v!r}.")
        if self.content_weight == 0 and self.style_weight == 0:
            bad("Content and style weight cannot both be zero.")
        if not 0.05 <= self.style_scale <= 8:
            bad(f"Style scale must be between 0.05 and 8; got {self.style_scale}.")
        if self.optimizer == "adam" and self.learning_rate <= 0:
            bad("The Adam learning rate must be above zero.")
        if self.learning_rate > 1:  # a step past the whole 0..1 pixel range only overflows
            bad(f"The Adam learning rate must be at most 1; got {self.learning_rate}.")
        if not 0 <= self.iterations <= 100_000 or not 0 <= self.coarse_iterations <= 100_000:
            bad("Iterations must be between 0 and 100000.")
        if self.preview_every < 0:
            bad("Preview interval must be >= 0.")
        if not 0 <= self.seed < 2**63:
            bad(f"Seed must be between 0 and 2**63-1; got {self.seed}.")
        choice("optimizer", self.optimizer, OPTIMIZERS)
        choice("init", self.init, INITS)
        choice("colour preservation", self.preserve_color, COLOR_MODES)
        choice("pooling", self.pooling, POOLINGS)
        if not re.fullmatch(r"cuda:\d+", self.device):
            choice("device", self.device, DEVICES)
        choice("precision", self.precision, PRECISIONS)
        choice("style loss", self.style_loss, STYLE_LOSSES)
        from nst_desktop.errors import UnknownLayerError

        for layer in (*self.content_layers, *self.style_layers):
            if layer not in VGG19_LAYERS:
                raise UnknownLayerError(
                    f"Unknown VGG-19 layer {layer!r}; use one of {', '.join(VGG19_LAYERS)}."
                )
        if not self.style_layers and self.style_weight > 0:
            bad("At least one style layer is needed when the style weight is above zero.")
        if not self.content_layers and self.content_weight > 0:
            bad("At least one content layer is needed when the content weight is above zero.")
        if self.style_layer_weights and len(self.style_layer_weights) != len(self.style_layers):
            bad("Give one style layer weight per style layer.")
        if any(not math.isfinite(w) or w < 0 for w in self.style_layer_weights):
            bad("Style layer weights must be finite numbers >= 0.")
        if len(self.styles) > MAX_STYLES:
            bad(f"A blend takes at most {MAX_STYLES} style images; got {len(self.styles)}.")
        if any(s.weight < 0 or not math.isfinite(s.weight) for s in self.styles):
            bad("Style blend weights must be finite numbers >= 0.")
        if self.init == "image" and need_inputs and not self.init_image:
            bad("Initialisation 'image' needs an init image.")
        if need_inputs:
            if not self.content:
                bad("No content image given.")
            if not self.styles:
                bad("No style image given.")
        return self

    # -- JSON ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("extra")
        d["styles"] = [dataclasses.asdict(s) for s in self.styles]
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Params:
        """Params from a dict read from JSON; every field's type and range is checked
        before use, so damaged or hostile settings raise ParameterError naming the field."""
        if not isinstance(data, Mapping):
            raise ParameterError("Parameters must be a JSON object.")
        data = migrate(dict(data))
        known = {f.name: f for f in dataclasses.fields(cls) if f.name != "extra"}
        defaults = cls()
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                extra[key] = value
                continue
            kwargs[key] = _field_value(key, value, getattr(defaults, key))
        return cls(**kwargs, extra=extra).validate()

    @classmethod
    def from_json(cls, text: str | bytes) -> Params:
        try:
            data = jsonsafe.loads(text, what="The parameters", max_bytes=MAX_PARAMS_JSON_BYTES)
        except jsonsafe.JSONReadError as exc:
            raise ParameterError(str(exc)) from None
        return cls.from_dict(data)


def _field_value(key: str, value: Any, default: Any) -> Any:
    """``value`` as the type of the field ``key`` (whose default is ``default``)."""

    def invalid(what: str) -> ParameterError:
        big = isinstance(value, int) and value.bit_length() > 128  # repr of 5000 digits fails
        shown = "a number too long to show" if big else repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return ParameterError(f"Parameter {key!r} must be {what}; got {shown}.")

    def number(item: Any, what: str) -> float:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise invalid(what)
        try:
            result = float(item)
        except OverflowError:
            raise invalid(what) from None
        if not math.isfinite(result):
            raise invalid(what)
        return result

    if key == "styles":
        if not isinstance(value, (list, tuple)):
            raise invalid("a list of styles")
        if len(value) > MAX_STYLES:  # before anything looks at the paths
            raise ParameterError(f"A blend takes at most {MAX_STYLES} style images; "
                                 f"these settings list {len(value)}.")
        styles = []
        for item in value:
            if not isinstance(item, Mapping):
                raise invalid("a list of {path, weight} objects")
            path = item.get("path", "")
            if not isinstance(path, str):
                raise invalid("a list of styles whose paths are text")
            weight = number(item.get("weight", 1.0), "a list of styles with numeric weights")
            styles.append(StyleInput(path, weight))
        return tuple(styles)
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or len(value) > len(VGG19_LAYERS):
            raise invalid(f"a list of at most {len(VGG19_LAYERS)} items")
        if key == "style_layer_weights":
            return tuple(number(v, "a list of numbers") for v in value)
        if not all(isinstance(v, str) for v in value):
            raise invalid("a list of layer names")
        return tuple(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise invalid("true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise invalid("a whole number")
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise invalid("a whole number")
        if not -(2**63) <= value < 2**63:
            raise invalid("a whole number below 2**63")
        return int(value)
    if isinstance(default, float):
        return number(value, "a finite number")
    if isinstance(default, str) and not isinstance(value, str):
        raise invalid("text")
    return value


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a params dict from an older version to :data:`PARAMS_VERSION`."""
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ParameterError(f"Unknown parameters version {str(version)[:20]!r}.")
    # Version 1 is the first; later versions add their steps here.
    data["version"] = max(version, 1)
    return data
