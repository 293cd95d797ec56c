"""Before ``QApplication``: can Qt's platform plugin load here? Qt-free.

Without the X11 libraries that Qt 6.5+'s xcb plugin links (``libxcb-cursor0`` and
others, which a fresh Debian or Ubuntu lacks), Qt prints a paragraph about plugins and
aborts the process (exit 134, no window, sometimes a core file). This module decides
which platform Qt will use, the way Qt does, tries to load the shared libraries that
platform needs, and when some cannot be loaded says which, with the command that
installs them, so that the app can exit with that one message instead.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Library:
    soname: str
    deb: str  # Debian and Ubuntu package
    rpm: str  # Fedora package


# What the xcb platform plugin (libqxcb.so, libQt6XcbQpa, libQt6Gui, libQt6DBus) links
# beyond what PySide6 ships, from `ldd` of PySide6 6.11's plugin: one library per package
# that a minimal Debian (debootstrap with python3, python3-venv and git) lacks; the
# packages pull the rest (libxcb1, libx11-6, libfreetype6, ...). The README's first command
# installs exactly these packages (tests/packaging/test_readme_commands.py checks).
XCB_LIBRARIES: tuple[Library, ...] = (
    Library("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    Library("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    Library("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    Library("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    Library("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    Library("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    Library("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    Library("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    Library("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    Library("libEGL.so.1", "libegl1", "libglvnd-egl"),
    Library("libGL.so.1", "libgl1", "libglvnd-glx"),
    Library("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    Library("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    Library("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
)
# The Wayland plugin's own libraries; only asked for to know whether Qt falls back to xcb.
WAYLAND_LIBRARIES: tuple[Library, ...] = (
    Library("libwayland-client.so.0", "libwayland-client0", "libwayland-client"),
    Library("libwayland-cursor.so.0", "libwayland-cursor0", "libwayland-cursor"),
    Library("libwayland-egl.so.1", "libwayland-egl1", "libwayland-egl"),
    Library("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
)
PLATFORM_LIBRARIES: dict[str, tuple[Library, ...]] = {
    "xcb": XCB_LIBRARIES,
    "wayland": WAYLAND_LIBRARIES,
}


def qt_platforms(env: Mapping[str, str], argv: Sequence[str] = ()) -> list[str]:
    """The platform plugins Qt will try, in order, as QGuiApplication decides on Linux.

    ``-platform NAME`` beats ``QT_QPA_PLATFORM``, which beats the default: "wayland;xcb"
    in a Wayland session (``XDG_SESSION_TYPE=wayland`` or ``WAYLAND_DISPLAY`` set), else
    "xcb". A name may carry options ("xcb:dpi=96"); a list falls back left to right.
    """
    named = ""
    for i, arg in enumerate(argv):
        if arg in ("-platform", "--platform") and i + 1 < len(argv):
            named = argv[i + 1]
        elif arg.startswith("-platform="):
            named = arg.split("=", 1)[1]
    named = named or env.get("QT_QPA_PLATFORM", "")
    if not named:
        wayland = env.get("XDG_SESSION_TYPE") == "wayland" or bool(env.get("WAYLAND_DISPLAY"))
        named = "wayland;xcb" if wayland else "xcb"
    return [part.split(":", 1)[0].strip() for part in named.split(";") if part.strip()]


def _bundled_dirs() -> list[Path]:
    """Folders a frozen app carries libraries in (found by Qt through its RUNPATH)."""
    base = getattr(sys, "_MEIPASS", None)
    return [Path(base)] if getattr(sys, "frozen", False) and base else []


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname`` and everything it links."""
    for candidate in [*(str(d / soname) for d in _bundled_dirs()), soname]:
        if os.sep in candidate and not os.path.exists(candidate):
            continue
        try:
            ctypes.CDLL(candidate)
        except OSError:
            continue
        return True
    return False


def missing_libraries(
    platform: str, loader: Callable[[str], bool] | None = None
) -> list[Library]:
    """The libraries of ``platform`` that cannot be loaded ([] for platforms not known)."""
    load = loader or can_load
    return [lib for lib in PLATFORM_LIBRARIES.get(platform, ()) if not load(lib.soname)]


def install_commands(libraries: Sequence[Library]) -> tuple[str, str]:
    """The apt (Debian, Ubuntu) and dnf (Fedora) commands that install ``libraries``."""
    debs = " ".join(dict.fromkeys(lib.deb for lib in libraries))
    rpms = " ".join(dict.fromkeys(lib.rpm for lib in libraries))
    return f"sudo apt-get install -y {debs}", f"sudo dnf install -y {rpms}"


def platform_problem(
    env: Mapping[str, str] | None = None,
    argv: Sequence[str] = (),
    loader: Callable[[str], bool] | None = None,
    system: str | None = None,
) -> str | None:
    """Why Qt's platform plugin would abort here, as a message for the person; or None.

    Only Linux's xcb and wayland plugins are looked at: offscreen, VNC, macOS and Windows
    have nothing a package manager must add, so Qt is left to say what it says.
    """
    env = os.environ if env is None else env
    if not (system or sys.platform).startswith("linux"):
        return None
    platforms = qt_platforms(env, argv)
    missing: dict[str, list[Library]] = {}
    for platform in platforms:
        if platform not in PLATFORM_LIBRARIES:
            return None  # a platform this check knows nothing of: Qt decides
        missing[platform] = missing_libraries(platform, loader)
        if missing[platform]:
            continue  # Qt falls back to the next one in the list
        if platform == "xcb" and not env.get("DISPLAY"):
            return (
                "The window cannot open: there is no display (DISPLAY is not set). Start "
                "nst-desktop in a desktop session; without one, nst-desktop-cli and "
                "nst-desktop --self-test work."
            )
        return None
    # No platform Qt would try can load: name the xcb libraries (X11, and XWayland too).
    chosen = "xcb" if "xcb" in missing else platforms[-1]
    libraries = missing[chosen]
    apt, dnf = install_commands(libraries)
    names = ", ".join(lib.soname for lib in libraries)
    return (
        f"The window cannot open: Qt's {chosen} platform plugin needs libraries that this "
        f"system lacks ({names}).\n"
        "Install them, then start nst-desktop again:\n"
        f"  Debian, Ubuntu:  {apt}\n"
        f"  Fedora:          {dnf}"
    )
