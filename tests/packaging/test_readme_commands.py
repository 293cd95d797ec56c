"""The README's two commands install what the window and the tests need, and .ci/run runs the
test command as written, installing nothing of its own, so that CI proves the README."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from nst_desktop.qt_check import XCB_LIBRARIES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_RUN = ROOT / ".ci" / "run"
DEBS = {lib.deb for lib in XCB_LIBRARIES}
RPMS = {lib.rpm for lib in XCB_LIBRARIES}
CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"


def marked_command(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```\n(.*)\n```", README)
    assert match, f"README.md has no command after <!-- {marker} -->"
    return match.group(1)


def installed_packages(command: str, tool: str) -> set[str]:
    match = re.match(rf"sudo {tool} install -y ([^&]+) && ", command)
    assert match, command
    return set(match.group(1).split())


def test_first_command_installs_the_x11_libraries_then_opens_the_window():
    command = marked_command("run-command")
    assert installed_packages(command, "apt-get") == DEBS | {"python3-venv"}
    assert command.endswith(
        "&& python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/nst-desktop"
    )


def test_fedora_and_cpu_variants_are_the_same_line():
    first = marked_command("run-command")
    fedora = next(line for line in README.splitlines() if line.startswith("sudo dnf install"))
    assert installed_packages(fedora, "dnf") == RPMS
    assert fedora.split(" && ", 1)[1] == first.split(" && ", 1)[1]
    cpu = first.replace("pip install .", f"pip install {CPU_INDEX} .")
    assert f"```\n{cpu}\n```" in README
    assert "3 GB" in README.split(CPU_INDEX)[0][-600:]  # said beside the command


def test_test_command_installs_the_same_libraries_and_the_validators():
    command = marked_command("test-command")
    tools = {"desktop-file-utils", "appstream"}  # tests/packaging/test_desktop_files.py
    assert installed_packages(command, "apt-get") == DEBS | {"python3-venv"} | tools
    assert command.endswith(
        "&& python3 -m venv .venv && .venv/bin/pip install -e '.[test]'"
        " && .venv/bin/python -m pytest"
    )


def test_ci_installs_nothing_the_readme_does_not_say():
    script = CI_RUN.read_text(encoding="utf-8")
    assert "apt-get install" not in script and "libxcb" not in script and "wayland" not in script
    assert 'bash -c "$test_cmd"' in script


def test_ci_runs_the_readme_test_command_as_root_without_sudo(tmp_path):
    """.ci/run up to the README's command, on a copy whose command only records what it was
    given, as root in a container with no sudo (``id`` says 0; no sudo on PATH): the
    README's "sudo ..." runs, as it is written."""
    checkout = tmp_path / "checkout"
    (checkout / ".ci").mkdir(parents=True)
    script = CI_RUN.read_text(encoding="utf-8")
    script = script.split('bash -c "$test_cmd"')[0] + 'bash -c "$test_cmd"\n'
    (checkout / ".ci" / "run").write_text(script)
    record = tmp_path / "ran.txt"
    (checkout / "README.md").write_text(
        f'<!-- test-command -->\n```\nsudo echo "$QT_QPA_PLATFORM" installed > {record}\n```\n'
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "awk"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    (bin_dir / "id").write_text("#!/bin/sh\necho 0\n")
    (bin_dir / "id").chmod(0o755)
    run = subprocess.run(
        [str(bin_dir / "bash"), str(checkout / ".ci" / "run")],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert record.read_text() == "offscreen installed\n"
