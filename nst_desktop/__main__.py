"""``nst-desktop`` and ``python -m nst_desktop``: open the window."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--version" in args or "-V" in args:
        # Answer without importing Qt or torch: fast, and works without a display.
        from nst_desktop import __version__

        print(f"nst-desktop {__version__}")
        return 0
    if "--self-test" in args:
        # Headless check of an installed or frozen copy: engine steps, metadata, Qt plugins.
        from nst_desktop.selftest import run_self_test

        return run_self_test()
    # Before Qt is imported: without the X11 libraries Qt's xcb plugin needs, importing
    # QtGui or creating the QApplication aborts the process with a page about plugins.
    from nst_desktop.qt_check import platform_problem

    problem = platform_problem(argv=args)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from nst_desktop.ui.app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
