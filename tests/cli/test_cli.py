"""The command-line front end: runs, reproduces, reports, and fails politely."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from nst_desktop import cli
from nst_desktop.core.imageio import load_image, read_params
from tests.conftest import save_png

FAST = ["--size", "32", "--iterations", "3", "--no-coarse-to-fine", "-q"]


@pytest.fixture
def images(images, tmp_path, style_image_2):
    """The shared photo and style, and a second style t."""
    return {**images, "t": save_png(style_image_2, tmp_path / "t.png")}


def test_a_run_writes_the_result_with_its_parameters(images, tmp_path):
    out = tmp_path / "out.png"
    code = cli.main([str(images["c"]), str(images["s"]), str(images["t"]), "-o", str(out),
                     "--blend", "3", "1", "--seed", "5", "--strength", "40", *FAST])
    assert code == 0
    img = load_image(out)
    assert img.size == (32, 24)
    p = read_params(out)
    assert p.seed == 5 and p.size == 32 and p.strength == pytest.approx(40)
    assert [s.weight for s in p.styles] == [3.0, 1.0]
    assert p.content == str(images["c"])


def test_params_from_a_png_reproduces_the_result(images, tmp_path):
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    assert cli.main([str(images["c"]), str(images["s"]), "-o", str(first), "--init", "noise",
                     *FAST]) == 0
    assert cli.main(["--params-from", str(first), "-o", str(second), "-q"]) == 0
    assert np.array_equal(load_image(first).to_uint8(), load_image(second).to_uint8())


def test_progress_bar_and_intermediate_saves(images, tmp_path, capsys):
    out = tmp_path / "out.png"
    code = cli.main([str(images["c"]), str(images["s"]), "-o", str(out), "--size", "32",
                     "--iterations", "4", "--no-coarse-to-fine", "--save-every", "2"])
    assert code == 0
    err = capsys.readouterr().err
    assert "100.0%" in err and "step 4/4" in err
    assert (tmp_path / "out-0002.png").is_file() and (tmp_path / "out-0004.png").is_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["--content", "{c}", "--style", "{s}", "{t}"],  # as the window takes them
        ["--content", "{c}", "{s}", "{t}"],  # with --content every positional is a style
        ["--style", "{s}", "{t}", "--content", "{c}"],
        ["{c}", "{s}", "--style", "{t}"],
        ["{c}", "--style", "{s}", "--style", "{t}"],
    ],
)
def test_the_photo_and_paintings_can_be_named_as_the_window_takes_them(images, argv):
    """`nst-desktop --content photo.jpg --style painting.jpg` opens the window; the same words
    given to the CLI said "ambiguous option: --content could match --content-weight,
    --content-layers". Every way names the same run as `nst-desktop-cli photo a b`."""
    fmt = {k: str(v) for k, v in images.items()}
    args = cli.build_parser().parse_args([a.format(**fmt) for a in argv] + ["-o", "x.png"])
    params = cli.params_from_args(args)
    assert params.content == fmt["c"]
    assert [st.path for st in params.styles] == [fmt["s"], fmt["t"]]
    assert [st.weight for st in params.styles] == [1.0, 1.0]


def test_a_run_named_as_the_window_takes_it_writes_its_result(images, tmp_path):
    out = tmp_path / "out.png"
    code = cli.main(["--content", str(images["c"]), "--style", str(images["s"]),
                     "--blend", "2", "-o", str(out), *FAST])
    assert code == 0
    p = read_params(out)
    assert p.content == str(images["c"]) and [s.path for s in p.styles] == [str(images["s"])]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["{missing}", "{s}", "-o", "{out}"], "no such file"),
        (["{c}", "{notimage}", "-o", "{out}"], "not an image"),
        (["{c}", "{s}", "-o", "{out}", "--style-layers", "relu9_1"], "Unknown VGG-19 layer"),
        (["{c}", "{s}", "-o", "{out}", "--size", "2"], "Output size"),
        (["{c}", "{s}", "-o", "{out}", "--strength", "-1"], "--strength must be"),
        (["{c}", "{s}", "-o", "{out}", "--strength", "nan"], "--strength must be"),
        (["{c}", "{s}", "-o", "{tmp}/no/such/dir/out.png"], "does not exist"),
        (["{c}", "{s}", "-o", "{tmp}/out.xyz"], "Cannot write .xyz"),
        (["{c}", "{s}", "{s}", "-o", "{out}", "--blend", "1"], "--blend has 1 weights"),
        (["{c}", "{s}"], "-o OUT"),
        (["{c}", "-o", "{out}"], "No style image"),
        (["--params-from", "{s}", "-o", "{out}"], "holds no nst_desktop parameters"),
        (["--style", "{s}", "{c}", "-o", "{out}"], "--style takes every image after it"),
    ],
)
def test_bad_input_exits_2_with_one_line(images, tmp_path, capsys, argv, message):
    (tmp_path / "notes.txt").write_text("hello")
    fmt = {"missing": tmp_path / "missing.jpg", "s": images["s"], "c": images["c"],
           "out": tmp_path / "out.png", "tmp": tmp_path, "notimage": tmp_path / "notes.txt"}
    code = cli.main([a.format(**fmt) for a in argv] + ["-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("nst-desktop-cli: error:")
    assert message in err
    assert not (tmp_path / "out.png").exists()


def test_module_entry_point_and_help():
    out = subprocess.run([sys.executable, "-m", "nst_desktop.cli", "--help"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    for option in ("--strength", "--style-loss", "--preserve-color", "--params-from",
                   "--save-every", "--device", "--precision", "--pooling", "--init"):
        assert option in out.stdout
    # Each option's default said once, and never the parser's "not given" None.
    text = " ".join(out.stdout.split())
    assert "None" not in text and "(default: False)" not in text
    assert not re.search(r"default[^()]*\) \(default", text)
    assert "longest side of the result (default 512)" in text
    assert "JPEG/WebP quality (default 95)" in text


def test_low_memory_flag_reaches_the_run_and_the_saved_parameters(images, tmp_path):
    out = tmp_path / "low.png"
    assert cli.main([str(images["c"]), str(images["s"]), "-o", str(out), "--low-memory",
                     *FAST]) == 0
    assert read_params(out).low_memory is True
    plain = cli.params_from_args(cli.build_parser().parse_args(["c", "s", "-o", "x.png"]))
    assert plain.low_memory is False


@pytest.mark.parametrize("precision", ["auto", "fp32", "bf16"])
def test_the_summary_says_the_precision_the_run_computed_in(images, tmp_path, capsys, precision):
    import json

    import torch

    from nst_desktop.engine.device import resolve_precision

    out = tmp_path / "out.png"
    assert cli.main([str(images["c"]), str(images["s"]), "-o", str(out), "--device", "cpu",
                     "--precision", precision, "--json", *FAST]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["device"] == "cpu"
    assert summary["precision"] == resolve_precision(precision, torch.device("cpu"))
    assert summary["precision"] in ("fp32", "bf16")
    assert read_params(out).precision == precision  # what was asked for is what is kept


def test_two_fresh_processes_give_the_same_image_for_a_seed(images, tmp_path):
    """A seeded run reproduces in a new process as the person would start it (no MKL_CBWR of
    their own): on Intel CPUs MKL's threaded matrix products changed the image between two
    runs unless the package pins their reduction order before torch loads."""
    env = {k: v for k, v in os.environ.items() if k != "MKL_CBWR"}
    env["OMP_NUM_THREADS"] = "2"  # threads are what made MKL's order vary
    outs = [tmp_path / "a.png", tmp_path / "b.png"]
    for out in outs:
        done = subprocess.run(
            [sys.executable, "-m", "nst_desktop.cli", str(images["c"]), str(images["s"]),
             "-o", str(out), "--size", "48", "--min-size", "24", "--iterations", "8",
             "--coarse-iterations", "8", "--seed", "3", "--device", "cpu", "-q"],
            capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stderr
    a, b = (load_image(p).to_uint8() for p in outs)
    assert a.shape == (36, 48, 3)
    assert np.array_equal(a, b)


def test_a_run_larger_than_the_free_memory_exits_with_one_line(images, tmp_path, capsys,
                                                               monkeypatch):
    from nst_desktop.engine import run as run_mod

    monkeypatch.setattr(run_mod, "available_memory", lambda device: 300 * 2**20)
    out = tmp_path / "out.png"
    code = cli.main([str(images["c"]), str(images["s"]), "-o", str(out), "--size", "1024",
                     "--device", "cpu", "-q"])
    assert code == 2 and not out.exists()
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "A 1024 px run needs about" in line and "300 MB free" in line
    assert re.search(r"choose an output size of \d+ px or less", line)



@pytest.mark.parametrize("kind", ["native", "emulated", "reference"])
@pytest.mark.parametrize("precision", ["bf16", "fp32"])
def test_a_bf16_run_where_bfloat16_is_slowest_is_warned_about(images, tmp_path, capsys,
                                                              monkeypatch, kind, precision):
    from nst_desktop.engine import device as device_mod

    monkeypatch.setattr(device_mod, "cpu_bf16_kind", lambda: kind)
    out = tmp_path / "out.png"
    assert cli.main([str(images["c"]), str(images["s"]), "-o", str(out), "--device", "cpu",
                     "--precision", precision, "--size", "32", "--iterations", "2",
                     "--no-coarse-to-fine"]) == 0
    err = capsys.readouterr().err
    assert ("warning: this CPU has no fast bfloat16" in err) is (
        kind == "reference" and precision == "bf16"), err
    assert out.exists()
