"""Where and on what the benchmarks ran: date, commit, machine and tool versions."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
from dataclasses import dataclass

from .common import REPO, tool_environment


@dataclass
class Machine:
    """What the reader needs to judge the absolute numbers."""

    date: str
    commit: str
    dirty: bool
    python: str
    platform: str
    cpu: str
    cpus: int
    memory_gb: float
    versions: dict[str, str]
    load_before: tuple[float, ...] = ()
    load_after: tuple[float, ...] = ()

    def to_json(self) -> dict[str, object]:
        return vars(self)


def describe_machine() -> Machine:
    """Read-only look at the checkout and the machine (git is only queried)."""
    commit = _output(["git", "rev-parse", "--short=12", "HEAD"]) or "unknown"
    # Only changes to what is measured count: the library and the example app.
    status = _output(["git", "status", "--porcelain", "--", "src", "example_app"])
    versions = {
        name: _version(name) for name in ("aws-cdk-lib", "constructs", "cdk-nag", "boto3", "moto")
    }
    versions["cdk CLI"] = (
        _output([str(REPO / "node_modules/.bin/cdk"), "--version"]) or "?"
    ).split(" ")[0]
    versions["node"] = _output([tool_environment().get("JSII_NODE", "node"), "--version"]) or "?"
    return Machine(
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        commit=commit,
        dirty=bool(status),
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        cpu=_cpu_model(),
        cpus=os.cpu_count() or 0,
        memory_gb=_memory_gb(),
        versions=versions,
        load_before=os.getloadavg(),
    )


def _output(command: list[str]) -> str | None:
    try:
        result = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, timeout=60, env=tool_environment()
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0.0
    return round(pages * page_size / 1024**3, 1)
