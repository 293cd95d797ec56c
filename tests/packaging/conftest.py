"""Shared helpers for the packaging tests: the checkout's root and external tools."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"


@pytest.fixture
def require_tool() -> Callable[[str, str], str]:
    """``require_tool(name, apt_package)`` -> the tool's path.

    Outside CI a missing tool skips the test (with the install line); in CI
    (``CI=true``) it fails, because .ci/run installs every tool it needs.
    """

    def find(name: str, apt_package: str) -> str:
        path = shutil.which(name)
        if path:
            return path
        message = f"{name} is not installed (apt-get install -y {apt_package})"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    return find
