"""The Linux desktop entry and AppStream metainfo: valid, and consistent with
each other, with the icon files, the entry points and the freezer spec."""

from __future__ import annotations

import configparser
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import tomllib

from nst_desktop import __version__
from nst_desktop.core.paths import APP_ID

ROOT = Path(__file__).resolve().parents[2]

LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
SPEC = ROOT / "packaging" / "pyinstaller" / "nst-desktop.spec"
HICOLOR = ROOT / "resources" / "icons" / "hicolor"
CATEGORIES = ["Graphics", "2DGraphics", "RasterGraphics"]
# The macOS Uniform Type Identifier of each MIME type the app opens.
UTI = {
    "image/jpeg": "public.jpeg",
    "image/png": "public.png",
    "image/webp": "org.webmproject.webp",
    "image/tiff": "public.tiff",
    "image/bmp": "com.microsoft.bmp",
    "image/gif": "com.compuserve.gif",
}


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def metainfo() -> ET.Element:
    return ET.parse(METAINFO).getroot()


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_desktop_file_passes_desktop_file_validate(require_tool):
    tool = require_tool("desktop-file-validate", "desktop-file-utils")
    run = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "error" not in (run.stdout + run.stderr).lower(), run.stdout + run.stderr


def test_metainfo_passes_appstreamcli_validate(require_tool):
    tool = require_tool("appstreamcli", "appstream")
    run = subprocess.run(
        [tool, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True, check=False
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    # Infos (e.g. a tag newer than the installed AppStream) are fine; warnings are not.
    assert not re.search(r"^[EW]: ", output, re.M), output


def test_one_application_id_everywhere():
    entry = desktop_entry()
    root = metainfo()
    assert DESKTOP.is_file() and METAINFO.is_file()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == f"{APP_ID}.desktop"
    assert root.findtext("icon[@type='stock']") == APP_ID
    assert entry["Icon"] == APP_ID
    assert (HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        assert (HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file(), size
    spec = SPEC.read_text(encoding="utf-8")
    assert "bundle_identifier=APP_ID" in spec
    assert "from nst_desktop.core.paths import APP_ID" in spec
    icons_py = (ROOT / "nst_desktop" / "ui" / "icons.py").read_text(encoding="utf-8")
    assert "APP_ID" in icons_py


def test_every_set_desktop_file_name_call_uses_app_id():
    """Wayland matches a window to its .desktop file by this name."""
    calls = []
    for path in (ROOT / "nst_desktop").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"setDesktopFileName\(([^)]*)\)", text):
            calls.append((path.name, match.group(1).strip()))
    # None at all is no pass: the application must name its desktop file.
    assert ("app.py", "APP_ID") in calls, calls
    for name, argument in calls:
        assert argument in ("APP_ID", "paths.APP_ID", repr(APP_ID), f'"{APP_ID}"'), (name, argument)


def test_categories_are_the_graphics_ones():
    assert desktop_entry()["Categories"] == ";".join(CATEGORIES) + ";"
    assert [c.text for c in metainfo().findall("categories/category")] == CATEGORIES


def test_mime_types_agree_between_desktop_metainfo_and_macos_bundle():
    mime = desktop_entry()["MimeType"].rstrip(";").split(";")
    assert mime and all(m.startswith("image/") for m in mime)
    provided = [m.text for m in metainfo().findall("provides/mediatype")]
    assert provided == mime
    spec = SPEC.read_text(encoding="utf-8")
    uti_block = re.search(r"image_types = \[(.*?)\]", spec, re.S)
    assert uti_block, "the spec lists the macOS document types in image_types"
    utis = re.findall(r'"([\w.]+)"', uti_block.group(1))
    assert sorted(utis) == sorted(UTI[m] for m in mime)


def test_launch_commands_are_the_installed_entry_points():
    project = pyproject()["project"]
    gui = set(project["gui-scripts"])
    console = set(project["scripts"])
    entry = desktop_entry()
    assert entry["Exec"].split()[0] in gui
    assert entry["Exec"].split()[1:] == ["%F"]  # files from the file manager, several at once
    assert entry["TryExec"] in gui
    assert entry["StartupWMClass"] == entry["Exec"].split()[0]
    binaries = {b.text for b in metainfo().findall("provides/binary")}
    assert binaries == gui | console


def test_metainfo_release_is_the_package_version():
    releases = metainfo().findall("releases/release")
    assert releases, "the metainfo lists releases"
    assert releases[0].get("version") == __version__ == pyproject()["project"]["version"]
    assert metainfo().findtext("project_license") == pyproject()["project"]["license"]["text"]


def test_screenshot_urls_point_at_files_in_this_repository():
    urls = [i.text or "" for i in metainfo().findall("screenshots/screenshot/image")]
    assert len(urls) >= 1
    assert len(metainfo().findall("screenshots/screenshot[@type='default']")) == 1
    prefix = "https://raw.githubusercontent.com/nst-desktop/nst-desktop/main/"
    for url in urls:
        assert url.startswith(prefix) and url.endswith(".png"), url
        assert url[len(prefix) :].startswith("packaging/screenshots/"), url


def test_screenshot_files_exist():
    prefix = "https://raw.githubusercontent.com/nst-desktop/nst-desktop/main/"
    for image in metainfo().findall("screenshots/screenshot/image"):
        path = ROOT / (image.text or "")[len(prefix) :]
        assert path.is_file(), f"take the screenshot {path.relative_to(ROOT)}"
