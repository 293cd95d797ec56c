"""Entry point of the frozen (PyInstaller) app, shared by both executables.

``nst-desktop`` opens the window; ``nst-desktop-cli`` is the command-line front
end (the same program under another name, a console executable on Windows).
Either runs the headless self-test when given ``--self-test``. Imports are
lazy so that ``--self-test`` never loads Qt widgets it does not need.
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path


def main() -> int:
    multiprocessing.freeze_support()  # a frozen app must call it before anything else
    if "--self-test" in sys.argv[1:]:
        from nst_desktop.selftest import run_self_test

        return run_self_test()
    if Path(sys.executable).stem.endswith("-cli"):
        from nst_desktop.cli import main as cli_main

        return cli_main()
    from nst_desktop.__main__ import main as gui_main

    return gui_main()


if __name__ == "__main__":
    sys.exit(main())
