"""Shared by the packaging tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def uv() -> str:
    """The uv that `make install` put on PATH."""
    found = shutil.which("uv")
    if found is None:
        pytest.fail("uv is not on PATH; run the tests through `make test`")
    return found
