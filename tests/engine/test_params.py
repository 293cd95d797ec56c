"""Parameters: validation, JSON, versions, the strength knob."""

from __future__ import annotations

import json

import pytest

from nst_desktop.engine import PARAMS_VERSION, Params, StyleInput
from nst_desktop.errors import ParameterError, UnknownLayerError


def test_defaults_are_valid_and_frozen():
    p = Params().validate()
    with pytest.raises(AttributeError):
        p.size = 3  # type: ignore[misc]
    assert p.version == PARAMS_VERSION


def test_json_roundtrip_keeps_everything():
    p = Params(
        size=300,
        styles=(StyleInput("a.jpg", 0.3), StyleInput("b.jpg", 0.7)),
        style_layers=("relu1_1", "relu3_1"),
        style_layer_weights=(1.0, 2.0),
        preserve_color="luminance",
        optimizer="adam",
        seed=42,
    )
    text = p.to_json()
    assert json.loads(text)["styles"][1] == {"path": "b.jpg", "weight": 0.7}
    assert Params.from_json(text) == p


def test_strength_knob_sets_the_style_to_content_ratio():
    p = Params(content_weight=2.0).with_strength(30)
    assert p.style_weight == 60 and p.strength == 30


def test_blend_weights_are_normalised():
    p = Params(styles=(StyleInput("a", 1), StyleInput("b", 3)))
    assert p.blend() == [0.25, 0.75]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"size": 8}, "Output size"),
        ({"style_weight": -1}, "style weight"),
        ({"tv_weight": float("nan")}, "tv weight"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"preserve_color": "sepia"}, "colour preservation"),
        ({"device": "tpu"}, "device"),
        ({"iterations": -5}, "Iterations"),
        ({"style_scale": 100.0}, "Style scale"),
        ({"style_layer_weights": (1.0,)}, "one style layer weight"),
        ({"content_weight": 0, "style_weight": 0}, "both be zero"),
    ],
)
def test_invalid_values_raise_readable_errors(changes, message):
    with pytest.raises(ParameterError, match=message):
        Params(**changes).validate()


def test_unknown_layer_names_are_refused():
    with pytest.raises(UnknownLayerError, match="relu6_1"):
        Params(style_layers=("relu6_1",)).validate()


def test_bad_json_is_a_parameter_error():
    with pytest.raises(ParameterError):
        Params.from_json("{not json")
    with pytest.raises(ParameterError):
        Params.from_json("[1, 2]")
    with pytest.raises(ParameterError, match="size"):
        Params.from_json('{"size": "big"}')
    with pytest.raises(ParameterError, match="newer"):
        Params.from_json(json.dumps({"version": PARAMS_VERSION + 1}))


def test_unknown_keys_from_a_newer_minor_version_are_kept_aside():
    p = Params.from_json('{"size": 64, "future_knob": 3}')
    assert p.size == 64 and p.extra == {"future_knob": 3}


def test_schedule_spends_coarse_iterations_on_smaller_sizes():
    p = Params(size=512, min_size=128, iterations=100, coarse_iterations=200)
    assert p.schedule() == [(128, 200), (256, 200), (512, 100)]
    assert p.total_iterations() == 500
    assert p.replace(coarse_to_fine=False).schedule() == [(512, 100)]


def test_a_numbered_cuda_device_is_a_valid_choice():
    assert Params(device="cuda:1").validate().device == "cuda:1"
    with pytest.raises(ParameterError, match="device"):
        Params(device="cuda:x").validate()
