"""Weights that cannot be had: each is one clear line from the CLI, and a download ends."""

from __future__ import annotations

import contextlib
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from nst_desktop import cli
from nst_desktop.engine import vgg as vgg_mod

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--size", "32", "--iterations", "2", "--no-coarse-to-fine", "-q"]


@pytest.fixture
def silent_server():
    """A server on 127.0.0.1 that accepts connections and never answers; it lets them go
    after 8 s at most, so that a client without a timeout fails the test, not hangs it."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        deadline = time.monotonic() + 8
        while not stop.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])
        for conn in held:
            conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/vgg19.pth"
    stop.set()
    thread.join(10)
    listener.close()


def error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nst-desktop-cli: error:") and "Traceback" not in err
    return lines[0]


def test_a_server_that_never_answers_ends_the_download_with_one_line(
        images, tmp_path, capsys, monkeypatch, silent_server):
    """`--weights torchvision` waited forever on a server that accepted the connection and
    sent nothing: torch.hub's download has no timeout."""
    monkeypatch.setenv(vgg_mod.TORCHVISION_URL_ENV, silent_server)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(vgg_mod, "DOWNLOAD_TIMEOUT_S", 0.5)
    start = time.monotonic()
    code = cli.main([str(images["c"]), str(images["s"]), "-o", str(tmp_path / "out.png"),
                     "--weights", "torchvision", *FAST])
    assert time.monotonic() - start < 6
    assert code == 2
    line = error_line(capsys)
    assert "Could not download the torchvision VGG-19 weights" in line
    assert "the server did not answer within 0.5 s" in line
    assert not list((tmp_path / "torch" / "hub" / "checkpoints").iterdir())  # no part left


def test_the_download_timeout_is_30_seconds():
    assert vgg_mod.DOWNLOAD_TIMEOUT_S == 30


def _weights_error(images, tmp_path, capsys, weights: Path) -> str:
    code = cli.main([str(images["c"]), str(images["s"]), "-o", str(tmp_path / "out.png"),
                     "--weights", str(weights), *FAST])
    assert code == 2
    return error_line(capsys)


def test_an_empty_weights_file_says_it_is_empty(images, tmp_path, capsys):
    """A 0-byte file was "cannot be read as a PyTorch state dict: " and nothing after."""
    (tmp_path / "empty.pth").write_bytes(b"")
    line = _weights_error(images, tmp_path, capsys, tmp_path / "empty.pth")
    assert line.endswith("empty.pth is empty (0 bytes).")


def test_weights_with_other_objects_are_one_line_that_never_suggests_unsafe_loading(
        images, tmp_path, capsys):
    """torch's refusal ran to eight lines and said that weights_only=False "will likely
    succeed", which runs whatever code the file holds."""
    torch.save({"features.0.weight": np.zeros((64, 3, 3, 3))}, tmp_path / "numpy.pth")
    line = _weights_error(images, tmp_path, capsys, tmp_path / "numpy.pth")
    assert "holds Python objects besides tensors" in line
    assert "weights_only" not in line and "torch.save(model.state_dict(), path)" in line


def test_a_weights_folder_is_not_said_not_to_exist(images, tmp_path, capsys):
    folder = tmp_path / "weights"
    folder.mkdir()
    line = _weights_error(images, tmp_path, capsys, folder)
    assert "does not exist" not in line
    assert "is a folder, not a weights file: it holds no .pth or .pt file" in line
    (folder / "vgg19.pth").write_bytes(b"")
    line = _weights_error(images, tmp_path, capsys, folder)
    assert "name one of the files in it (vgg19.pth)" in line


def test_a_pickle_torch_warns_about_is_one_line_from_the_cli(images, tmp_path):
    """A plain pickle made torch print a two-line UserWarning ("Detected pickle protocol 4")
    before the error, in the CLI as a person runs it."""
    with open(tmp_path / "plain.pth", "wb") as handle:
        pickle.dump({"features.0.weight": [0.0] * 3}, handle, protocol=4)
    done = subprocess.run(
        [sys.executable, "-m", "nst_desktop.cli", str(images["c"]), str(images["s"]),
         "-o", str(tmp_path / "out.png"), "--weights", str(tmp_path / "plain.pth"), *FAST],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "plain.pth cannot be read: it is not a state dict saved with torch.save" in line
