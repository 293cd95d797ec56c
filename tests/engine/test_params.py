"""Parameters: validation, JSON, versions, the strength knob."""

from __future__ import annotations

import json
import re

import pytest

from nst_desktop.engine import PARAMS_VERSION, Params, StyleInput
from nst_desktop.engine.params import MAX_STYLES
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


# -- hostile settings: one ParameterError naming the problem, never another exception ------
HOSTILE_SETTINGS = [
    ('{"size": Infinity}', "Infinity"),
    ('{"size": NaN}', "NaN"),
    ('{"style_weight": -Infinity}', "Infinity"),
    ('{"style_weight": 1e400}', "out of range"),
    ('{"seed": ' + "9" * 5000 + "}", "5,000 digits"),
    ("[" * 100_000 + "]" * 100_000, "nested more than"),
    ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested more than"),
    ('{"style_layer_weights": ["1", "2", "3", "4", "5"]}', "style_layer_weights"),
    ('{"style_layer_weights": [1, 2, 3, 4, true]}', "style_layer_weights"),
    ('{"size": true}', "'size'"),
    ('{"size": 512.5}', "'size'"),
    ('{"size": 1e300}', "'size'"),
    ('{"seed": 100000000000000000000000000000}', "'seed'"),
    ('{"style_weight": "6"}', "'style_weight'"),
    ('{"styles": {"path": "a.png"}}', "'styles'"),
    ('{"styles": ["a.png"]}', "'styles'"),
    ('{"styles": [{"path": 5}]}', "'styles'"),
    ('{"styles": [{"path": "a.png", "weight": "heavy"}]}', "'styles'"),
    ('{"styles": [{"path": "a.png", "weight": null}]}', "'styles'"),
    ('{"content_layers": "relu4_2"}', "'content_layers'"),
    ('{"content_layers": [["relu4_2"]]}', "'content_layers'"),
    ('{"style_layers": {"relu1_1": 1}}', "'style_layers'"),
    ('{"coarse_to_fine": 1}', "'coarse_to_fine'"),
    ('{"optimizer": ["adam"]}', "'optimizer'"),
    ('{"version": true}', "version"),
    ('{"version": [1]}', "version"),
    ("null", "JSON object"),
    ('"size"', "JSON object"),
    ('{"content": "' + "x" * (2 << 20) + '"}', "too large"),
    # An unclosed string of escaped quotes: the depth scan once re-read it from each quote.
    ('{"content": "' + '\\"' * 400_000, "Unterminated string"),
    ('{"content": "' + '\\"' * 400_000 + "\\", "Unterminated string"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE_SETTINGS,
                         ids=[f"case{i}" for i in range(len(HOSTILE_SETTINGS))])
def test_hostile_settings_raise_one_parameter_error(text, message):
    with pytest.raises(ParameterError, match=re.escape(message)) as caught:
        Params.from_json(text)
    assert len(str(caught.value).splitlines()) == 1
    assert len(str(caught.value)) < 300


def test_hostile_settings_as_bytes_not_utf8():
    with pytest.raises(ParameterError, match="not UTF-8"):
        Params.from_json(b'{"content": "\xff\xfe"}')


def test_settings_listing_more_styles_than_a_blend_takes_are_refused():
    styles = [{"path": f"/nowhere/{i}.png", "weight": 1} for i in range(300)]
    with pytest.raises(ParameterError, match=f"at most {MAX_STYLES} style images"):
        Params.from_json(json.dumps({"styles": styles}))
    just = [{"path": f"/nowhere/{i}.png", "weight": 1} for i in range(MAX_STYLES)]
    assert len(Params.from_json(json.dumps({"styles": just})).styles) == MAX_STYLES


def test_from_dict_refuses_non_finite_values_given_directly():
    for data in ({"size": float("inf")}, {"style_layer_weights": [1, 1, 1, 1, float("nan")]},
                 {"styles": [{"path": "a", "weight": float("inf")}]}, {"size": 10**5000}):
        with pytest.raises(ParameterError):
            Params.from_dict(data)
