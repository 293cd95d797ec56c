"""The style-transfer engine: PyTorch only, never Qt.

Public surface: :class:`Params` (what to do), :class:`StyleTransfer` (doing
it, as a generator of :class:`Progress` events ending in a :class:`Result`),
:func:`build_network` (VGG-19 with the chosen weights), device helpers.
"""

from nst_desktop.engine.device import (
    DeviceInfo,
    available_devices,
    estimate_memory,
    resolve_device,
    size_that_fits,
)
from nst_desktop.engine.params import (
    DEFAULT_CONTENT_LAYERS,
    DEFAULT_STYLE_LAYERS,
    PARAMS_VERSION,
    VGG19_LAYERS,
    Params,
    StyleInput,
)
from nst_desktop.engine.run import (
    Progress,
    Result,
    StyleTransfer,
    estimate_run_memory,
    scaled_shape,
    to_uint8,
)
from nst_desktop.engine.vgg import VGGFeatures, build_network

__all__ = [
    "DEFAULT_CONTENT_LAYERS",
    "DEFAULT_STYLE_LAYERS",
    "PARAMS_VERSION",
    "VGG19_LAYERS",
    "DeviceInfo",
    "Params",
    "Progress",
    "Result",
    "StyleInput",
    "StyleTransfer",
    "VGGFeatures",
    "available_devices",
    "build_network",
    "estimate_memory",
    "estimate_run_memory",
    "resolve_device",
    "scaled_shape",
    "size_that_fits",
    "to_uint8",
]
