"""Fixtures shared by the suites: the example app, synthesized once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def synthesize(app_dir: Path, outdir: Path, *args: str) -> Path:
    """Run a CDK app the way the CLI does (it writes the assembly to ``CDK_OUTDIR``).

    In a subprocess, so the suites that read the assembly never load aws_cdk themselves.
    """
    env = {**os.environ, "CDK_OUTDIR": str(outdir)}
    subprocess.run([sys.executable, "app.py", *args], cwd=app_dir, env=env, check=True)
    return outdir


@pytest.fixture(scope="session")
def example_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example app, synthesized once for the whole session."""
    return synthesize(REPO / "example_app", tmp_path_factory.mktemp("example-cdk-out"))
