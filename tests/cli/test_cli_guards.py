"""Every output option is checked before the run starts, and bad input is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import nst_desktop.engine as engine
from nst_desktop import cli
from tests.core.unprivileged import run_check

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--size", "32", "--iterations", "2", "--no-coarse-to-fine", "-q"]


@pytest.fixture
def runs(monkeypatch):
    """The runs the CLI started: a guard that fails, its run never starts."""
    started: list[object] = []
    real = engine.StyleTransfer

    def spy(*args, **kwargs):
        started.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "StyleTransfer", spy)
    return started


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nst-desktop-cli: error:") and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "output, extra, says",
    [
        ("out.png", ["--quality", "0"], "--quality must be from 1 to 100; got 0"),
        ("out.png", ["--quality", "101"], "--quality must be from 1 to 100; got 101"),
        ("out.jpg", ["--16-bit"], "--16-bit needs a .png or .tif output"),
        ("out.webp", ["--16-bit"], "--16-bit needs a .png or .tif output"),
        ("folder", [], "-o names the folder"),
        ("x" * 300 + ".png", [], "the file name is too long (304 bytes"),
        ("no/such/folder/out.png", [], "the folder no/such/folder does not exist"),
        ("out.bmp", [], "Cannot write .bmp"),
        ("out.png", ["--max-pixels", "-1"], "--max-pixels must be a number of pixels above 0"),
        ("out.png", ["--max-pixels", "0"], "--max-pixels must be a number of pixels above 0"),
        ("x" * 250 + ".png", ["--save-every", "1"], "the file name is too long"),
    ],
)
def test_a_bad_output_option_is_refused_before_the_run_starts(
        images, tmp_path, capsys, monkeypatch, runs, output, extra, says):
    """A 300-character name crashed the CLI with ENAMETOOLONG after the whole run;
    --quality 0 and --16-bit .jpg failed only at the save, after minutes of work."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    code = cli.main([str(images["c"]), str(images["s"]), "-o", output, *extra, *FAST])
    line = one_error_line(capsys)
    assert code == 2
    assert says in line
    assert runs == []  # refused before any run started
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png", "folder", "s.png"]


def test_a_folder_that_cannot_be_written_is_refused_before_the_run_starts(images, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        out = run_check(f"""
            import contextlib, io
            import nst_desktop.engine as engine
            from nst_desktop import cli

            def no_run(*args, **kwargs):
                raise AssertionError("the run started")

            engine.StyleTransfer = no_run
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = cli.main([{str(images['c'])!r}, {str(images['s'])!r},
                                 "-o", {str(locked / 'out.png')!r}, "-q"])
            print(code)
            print(err.getvalue().strip())
        """)
    finally:
        locked.chmod(0o755)
    code, *lines = out.strip().splitlines()
    assert code == "2" and len(lines) == 1, out
    assert "you do not have permission to write to" in lines[0] and str(locked) in lines[0]


def test_good_output_options_still_run(images, tmp_path, runs):
    out = tmp_path / "out.jpg"
    assert cli.main([str(images["c"]), str(images["s"]), "-o", str(out), "--quality", "1",
                     *FAST]) == 0
    assert len(runs) == 1 and out.is_file()


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI as a person starts it: Python's warnings printed to stderr as they would be."""
    return subprocess.run([sys.executable, "-m", "nst_desktop.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})


def test_a_diverging_run_says_one_line_not_numpy_warnings(tmp_path):
    """With previews on, the first frame of a diverged run printed numpy's "RuntimeWarning:
    invalid value encountered in cast" and its source line before the error. (Noise images:
    on them a style weight of 1e38 turns the pixels themselves to NaN at the first step.)"""
    rng = np.random.default_rng(0)
    for name, shape in (("noise-c.png", (24, 32, 3)), ("noise-s.png", (32, 32, 3))):
        Image.fromarray((rng.random(shape) * 255).astype(np.uint8)).save(tmp_path / name)
    done = run_cli("noise-c.png", "noise-s.png", "-o", "out.png", "--style-weight", "1e38",
                   "--save-every", "1", "--size", "32", "--iterations", "3",
                   "--no-coarse-to-fine", "-q", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "The optimisation diverged" in line
