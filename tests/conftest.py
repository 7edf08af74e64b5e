"""Fixtures shared by the suites: the example app, synthesized once per test run."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def synthesize(app_dir: Path, outdir: Path, *args: str) -> Path:
    """Run a CDK app the way the CLI does (it writes the assembly to ``CDK_OUTDIR``).

    In a subprocess, so the suites that read the assembly never load aws_cdk themselves.
    """
    env = {**os.environ, "CDK_OUTDIR": str(outdir)}
    subprocess.run([sys.executable, "app.py", *args], cwd=app_dir, env=env, check=True)
    return outdir


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]
) -> Path:
    """A directory ``build`` fills once per test run, shared by all pytest-xdist workers.

    Each worker has a session of its own, so a session-scoped fixture alone would build
    once per worker. The first worker to ask builds, under a file lock, into the folder
    the workers' temporary folders share; the others wait for it and reuse the result.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # <run>/popen-gw0 is this worker's; <run> is the run's
    folder, done = root / "built-once" / name, root / "built-once" / f"{name}.done"
    folder.parent.mkdir(exist_ok=True)
    with (root / "built-once" / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that failed half-way
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def notes_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notes example (examples/notes: access rules and tenants), synthesized once,
    for local mode's identity tests and the access-rule read-cost benchmark."""
    return built_once(
        tmp_path_factory, "notes-cdk-out", lambda out: synthesize(REPO / "examples" / "notes", out)
    )


@pytest.fixture(scope="session")
def example_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example app, synthesized once for the whole test run."""
    return built_once(
        tmp_path_factory, "example-cdk-out", lambda out: synthesize(REPO / "example_app", out)
    )


#: Folders whose tests share costly session fixtures, or must run in order on one
#: emulator: each runs whole on one pytest-xdist worker. Every other test file is a unit
#: of its own, so its module-scoped fixtures (a served app, say) are built once.
WHOLE_FOLDERS = ("tests/deploy/", "tests/security/")
#: Files of those folders that run apart: the Cognito rehearsal has an emulator of its
#: own (plain HTTP, so it never contends for port 443), and may run beside the others.
APART = ("tests/deploy/test_deploy_cognito.py",)


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its folder in WHOLE_FOLDERS, else its file."""
    file = nodeid.split("::", 1)[0]
    folder = next((f for f in WHOLE_FOLDERS if nodeid.startswith(f)), None)
    return file if folder is None or file in APART else folder


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` (``make test``): whole work units (``work_unit``) per worker.

    pytest-xdist's own loadgroup reads ``xdist_group`` marks by appending them to the
    node id, which pytest 9.2 no longer lets a plugin change; its loadscope scheduler with
    this grouping does the same job.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return WorkUnitScheduling(config, log)
