"""``--watch``: the app is synthesized again when its files change; the data stays."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Client

CLI = [sys.executable, "-m", "cdk_serverless_crud.local.cli", "local"]

APP = """
import aws_cdk as cdk
from aws_cdk import Duration
from cdk_serverless_crud import ServerlessCrudService

app = cdk.App()
stack = cdk.Stack(app, "Watched")
ServerlessCrudService(
    stack,
    "Items",
    tags={{"Environment": "dev", "Project": "watch", "Owner": "me"}},
    cache_ttl=Duration.seconds({ttl}),
)
app.synth()
"""


class Lines:
    """A process's output lines, read on a thread, waited for with a timeout."""

    def __init__(self, stream: object) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in {seen[-20:]}")


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, Lines, Lines]]:
    (tmp_path / "app.py").write_text(APP.format(ttl=60))
    process = subprocess.Popen(
        [*CLI, "--app", f"{sys.executable} app.py", "--watch", "--port", "0", "--dynamodb", "moto"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield tmp_path, Lines(process.stdout), Lines(process.stderr)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def test_a_changed_app_is_served_again_with_its_data(
    watched: tuple[Path, Lines, Lines],
) -> None:
    folder, stdout, stderr = watched
    banner = stdout.wait_for("Serving Watched on ")
    client = Client(banner.split(" on ")[1].split()[0])
    created = client.request("POST", "/items", {"name": "kept"}).json()
    assert client.request("GET", f"/items/{created['id']}").headers["X-Cache"] == "Miss"

    (folder / "app.py").write_text(APP.format(ttl=0))  # caching off: a stage change
    stderr.wait_for("Reloaded Watched on ")
    read = client.request("GET", f"/items/{created['id']}")
    assert (read.status, read.json()) == (200, created)
    assert "X-Cache" not in read.headers

    (folder / "app.py").write_text("this is not python\n")
    failure = stderr.wait_for("still serving the previous version")
    assert failure.startswith("serverless-crud: error: the app failed to synthesize")
    assert client.request("GET", f"/items/{created['id']}").status == 200
