"""Engine fixtures: the network's layout on the CPU."""

from __future__ import annotations

import pytest

from nst_desktop.engine import device

# The layouts a CPU network can take, each with the float32 rounding its convolutions show
# between one shape and another (a strip against the whole image): channels-last kernels
# sum in a different order per shape, within 1e-5 of the activations' largest magnitude
# (measured: 1.5e-6 at worst), where the contiguous ones agree to the last bits or so.
LAYOUTS = {"contiguous": False, "channels_last": True}


@pytest.fixture(params=list(LAYOUTS))
def layout(request, monkeypatch) -> str:
    """Run the test with the CPU network in each layout (channels-last is the default)."""
    monkeypatch.setitem(device.CHANNELS_LAST, "cpu", LAYOUTS[request.param])
    return request.param


@pytest.fixture
def contiguous_layout(monkeypatch) -> None:
    """A CPU network in PyTorch's default layout, as independent implementations use."""
    monkeypatch.setitem(device.CHANNELS_LAST, "cpu", False)
