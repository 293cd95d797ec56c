"""Help ▸ About: the version, what runs it, and links to the person's own folders."""

from __future__ import annotations

import html
import re

import PySide6
import torch
from PySide6.QtCore import QUrl, qVersion
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QMessageBox

from nst_desktop import __version__
from nst_desktop.core import paths
from nst_desktop.engine import DeviceInfo
from nst_desktop.ui.about import about_html


def links(text: str) -> list[str]:
    return [QUrl(html.unescape(href)).toLocalFile()
            for href in re.findall(r'href="([^"]+)"', text)]


def test_about_says_the_versions_and_links_the_folders_that_hold_the_persons_work(
        monkeypatch, tmp_path):
    home = tmp_path / "Tom & Jerry <art>"  # a folder name that must be escaped, not parsed
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    settings_file = paths.config_dir() / "settings.ini"
    text = about_html([DeviceInfo("cpu", "CPU")], settings_file)
    shown = QTextDocument()
    shown.setHtml(text)
    plain = shown.toPlainText()
    for part in (f"NST Desktop {__version__}", f"PyTorch {torch.__version__}",
                 f"Qt {qVersion()}", f"PySide6 {PySide6.__version__}", "CPU (", "Gatys"):
        assert part in plain, part
    for folder in (paths.gallery_dir(), paths.history_dir(), paths.config_dir()):
        assert str(folder) in plain  # as the person reads it
    assert links(text) == [str(paths.gallery_dir()), str(paths.history_dir()),
                           str(paths.config_dir())]


def test_about_names_every_device_and_the_first_ones_precision():
    devices = [DeviceInfo("cuda:0", "NVIDIA RTX 4090", 24 * 2**30), DeviceInfo("cpu", "CPU")]
    shown = QTextDocument()
    shown.setHtml(about_html(devices, paths.config_dir() / "settings.ini"))
    assert "NVIDIA RTX 4090 (TF32), CPU" in shown.toPlainText()


def test_help_about_shows_it_over_the_window(window, monkeypatch):
    seen = []
    monkeypatch.setattr(QMessageBox, "about",
                        lambda parent, title, text: seen.append((parent, title, text)))
    window.show_about()
    [(parent, title, text)] = seen
    assert parent is window and title == "About NST Desktop"
    assert links(text)[0] == str(paths.gallery_dir())
