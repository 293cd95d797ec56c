"""--params-from with damaged or hostile settings: exit 2 with one line, never a traceback,
and never minutes of decoding before saying so."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from nst_desktop import cli
from nst_desktop.core import imageio
from nst_desktop.core.imagemeta import PARAMS_KEY
from nst_desktop.engine.params import MAX_STYLES


def png_with_settings(path, text: str):
    """A small PNG carrying ``text`` where saved results keep their settings."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt(PARAMS_KEY, text)
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(path, pnginfo=info)
    return path


def good_settings(tmp_path, **changes) -> dict:
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((24, 32, 3), 120, np.uint8)).save(photo)
    data = {"content": str(photo), "styles": [{"path": str(photo), "weight": 1.0}],
            "size": 32, "iterations": 2, "coarse_to_fine": False}
    data.update(changes)
    return data


HOSTILE = {
    "size Infinity": '{"size": Infinity}',
    "1e400": '{"style_weight": 1e400}',
    "5000 digits": '{"seed": ' + "7" * 5000 + "}",
    "string layer weight": '{"style_layer_weights": ["a", "b", "c", "d", "e"]}',
    "deep nesting": '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "size as bool": '{"size": true}',
    "styles a dict": '{"styles": {"path": "a.png"}}',
    "NaN weight": '{"styles": [{"path": "a.png", "weight": NaN}]}',
}


def run_cli(argv, capsys):
    code = cli.main([*argv, "-q"])
    return code, capsys.readouterr().err.strip()


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_settings_exit_2_with_one_line(tmp_path, capsys, case):
    source = png_with_settings(tmp_path / "hostile.png", HOSTILE[case])
    out = tmp_path / "out.png"
    code, err = run_cli(["--params-from", str(source), "-o", str(out)], capsys)
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("nst-desktop-cli: error:")
    assert "hostile.png" in err
    assert not out.exists()


def test_deep_nesting_in_a_subprocess_prints_no_traceback(tmp_path):
    source = png_with_settings(tmp_path / "deep.png", "[" * 100_000 + "]" * 100_000)
    done = subprocess.run([sys.executable, "-m", "nst_desktop.cli", "--params-from",
                           str(source), "-o", str(tmp_path / "out.png"), "-q"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "nested more than" in done.stderr


@pytest.fixture
def decoded(monkeypatch) -> list:
    """The images the CLI decoded (each call of imageio.load_image), still decoded."""
    calls: list = []
    real = imageio.load_image
    monkeypatch.setattr(imageio, "load_image", lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def test_settings_listing_300_styles_are_refused_before_decoding_any(tmp_path, capsys,
                                                                       decoded):
    data = good_settings(tmp_path)
    data["styles"] = [{"path": data["content"], "weight": 1.0}] * 300
    source = png_with_settings(tmp_path / "many.png", json.dumps(data))
    code, err = run_cli(["--params-from", str(source), "-o", str(tmp_path / "out.png")], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert f"at most {MAX_STYLES} style images" in err
    assert decoded == []


def test_a_missing_style_is_found_before_any_image_is_decoded(tmp_path, capsys, decoded):
    data = good_settings(tmp_path)
    data["styles"] = [{"path": data["content"], "weight": 1.0},
                      {"path": str(tmp_path / "gone.png"), "weight": 1.0}]
    source = png_with_settings(tmp_path / "gone-style.png", json.dumps(data))
    code, err = run_cli(["--params-from", str(source), "-o", str(tmp_path / "out.png")], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "gone.png" in err and "no such file" in err
    assert decoded == []


def test_a_style_path_naming_a_fifo_is_refused_without_opening_it(tmp_path, capsys):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    data = good_settings(tmp_path)
    data["styles"] = [{"path": str(fifo), "weight": 1.0}]
    source = png_with_settings(tmp_path / "fifo-style.png", json.dumps(data))
    code, err = run_cli(["--params-from", str(source), "-o", str(tmp_path / "out.png")], capsys)
    assert code == 2 and "not a regular file" in err


def test_good_settings_still_run(tmp_path, capsys):
    source = png_with_settings(tmp_path / "good.png", json.dumps(good_settings(tmp_path)))
    out = tmp_path / "out.png"
    code, err = run_cli(["--params-from", str(source), "-o", str(out)], capsys)
    assert code == 0, err
    assert imageio.load_image(out).size == (32, 24)


def test_a_learning_rate_that_would_overflow_is_one_line_before_the_run(tmp_path, capsys):
    """--learning-rate 1e38 ran and ended in torch's overflow traceback (exit 1)."""
    from tests.gallery_helpers import make_image

    photo = make_image(tmp_path / "photo.png", seed=1, size=(32, 32))
    style = make_image(tmp_path / "style.png", seed=2, size=(32, 32))
    code = cli.main([str(photo), "--style", str(style), "--optimizer", "adam",
                     "--learning-rate", "1e38", "-o", str(tmp_path / "out.png")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "learning rate must be at most 1" in err
    assert not (tmp_path / "out.png").exists()
