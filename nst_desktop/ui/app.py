"""Application setup: QApplication identity, icon, theme, command line, the window."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from nst_desktop import __version__
from nst_desktop.cli import split_inputs
from nst_desktop.core.paths import APP_ID, APP_NAME
from nst_desktop.ui.icons import app_icon
from nst_desktop.ui.inputs import unopened_warning
from nst_desktop.ui.library import attach_library
from nst_desktop.ui.main_window import MainWindow
from nst_desktop.ui.theme import ThemeController


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=APP_NAME, description="Neural style transfer: turn a photo into a painting."
    )
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="images to open: the first is the photo, any others are paintings",
    )
    parser.add_argument("--content", metavar="PATH", help="open this photo")
    parser.add_argument(
        "--style",
        metavar="PATH",
        nargs="+",
        action="extend",
        default=[],
        help="open these paintings as styles",
    )
    parser.add_argument("--size", type=int, metavar="PX", help="output size (longest side)")
    parser.add_argument("--run", action="store_true", help="start a run once the window is open")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--self-test", action="store_true", help="run a headless check of this installation"
    )
    parser.add_argument(
        "--quit-after-start", action="store_true", help=argparse.SUPPRESS
    )  # for install tests: open the window, then quit
    return parser.parse_args(list(argv))


def make_application(argv: Sequence[str]) -> QApplication:
    QGuiApplication.setDesktopFileName(APP_ID)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else APP_NAME, *argv])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("NST Desktop")
    app.setOrganizationName(APP_NAME)
    app.setOrganizationDomain("nst-desktop.github.io")
    app.setApplicationVersion(__version__)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
    return app


def open_window(args: argparse.Namespace, theme: ThemeController | None = None) -> MainWindow:
    """The application's window: its panes, the style gallery and the run history, and
    the images named on the command line."""
    window = MainWindow(theme=theme)
    attach_library(window)
    content, styles = split_inputs(args.content, args.files, args.style)
    named = [(content, "content")] if content else []
    named += [(style, "style") for style in styles]
    # A file that cannot be opened is said once the window is there, all such files in one
    # message: a launcher's %F with two damaged files showed two dialogs over no window.
    problems = [
        problem
        for path, kind in named
        if (problem := window.inputs.open_quietly(str(Path(path).expanduser()), kind))
    ]
    if problems:
        window.warn_when_shown(*unopened_warning(problems))
    if args.size:
        window.model.set_value("size", int(args.size))
    window.show_startup_problems()  # again: opening the images said other things since
    return window


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = make_application([])
    theme = ThemeController(app)
    window = open_window(args, theme)
    theme.set_appearance(str(window.settings.value("window/appearance", "system")))
    window.fit_screen()
    window.show()
    if args.run:
        QTimer.singleShot(0, window.runner.start)
    if args.quit_after_start:
        QTimer.singleShot(0, app.quit)
    app.aboutToQuit.connect(window.runner.controller.shutdown)
    return app.exec()
