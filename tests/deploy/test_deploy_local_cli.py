"""``make deploy-local`` as a user runs it: the script, its lines, the README's curl, Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.release.helpers import REPO, load_script

pytestmark = pytest.mark.deploy

deploy_local = load_script("deploy_local")
SCRIPT = REPO / "scripts" / "deploy_local.py"
README = REPO / "README.md"


def _readme_curl() -> str:
    (block,) = [
        block
        for block in re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.DOTALL)
        if block.startswith("make deploy-local")
    ]
    (curl,) = [line for line in block.splitlines() if line.startswith("curl ")]
    return curl


def _reader(stream: IO[str]) -> queue.Queue[str | None]:
    """The stream's lines, read by a thread as they come; None at the end."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _lines_until(lines: queue.Queue[str | None], start: str, *, timeout: float) -> list[str]:
    """The lines read until one starts with ``start``, the end, or ``timeout`` seconds."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if line.startswith(start):
            break
    return seen


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_busy_port_is_one_line_and_exit_code_1(busy_port: int) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--port", str(busy_port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"deploy-local: 127.0.0.1:{busy_port} is already in use: pick another EMULATOR_PORT"
    ]


def test_the_printed_curl_is_the_readmes() -> None:
    assert _readme_curl() == deploy_local.CURL


@pytest.fixture
def make_run_synthesizing() -> Iterator[None]:
    """example_app/cdk.out locked as the CLI locks it while `make run` synthesizes."""
    assembly = REPO / "example_app" / "cdk.out"
    assembly.mkdir(exist_ok=True)
    lock = assembly / "synth.lock"
    lock.write_text(str(os.getpid()))  # a live process: the CLI takes the lock as held
    yield
    lock.unlink(missing_ok=True)


@pytest.mark.usefixtures("make_run_synthesizing")
def test_deploy_local_serves_the_example_app_until_ctrl_c(tmp_path: Path) -> None:
    """While `make run` synthesizes, too: the rehearsal synthesizes elsewhere."""
    with (tmp_path / "stderr").open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
            # As a script's background job starts it: SIGINT inherited as ignored.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    assert process.stdout is not None
    stdout = _reader(process.stdout)
    values: dict[str, str] = {}
    try:
        lines = _lines_until(stdout, "Ctrl-C", timeout=240)
        exports = [line.strip() for line in lines if line.strip().startswith("export API=")]
        assert exports, "\n".join(lines) + (tmp_path / "stderr").read_text()
        values.update(pair.split("=", 1) for pair in exports[0].removeprefix("export ").split())
        assert "deploy-local: leaving out alarm ServerlessCrudExample/Items/Monitoring/" in (
            "\n".join(lines)
        )
        outputs = json.loads((REPO / "example_app" / "cdk-outputs.json").read_text())
        assert "ServerlessCrudExample" in outputs

        curl = subprocess.run(
            ["bash", "-c", f"{_readme_curl()} --silent --write-out '\\n%{{http_code}}'"],
            env={**os.environ, **values},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        body, status = curl.stdout.rsplit("\n", 1)
        assert status == "201", curl.stdout
        assert json.loads(body)["data"] == {"name": "first"}
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
    assert process.returncode == 0
    assert _lines_until(stdout, "deploy-local: stopped", timeout=5)[-1:] == [
        "deploy-local: stopped"
    ]
    assert not Path(values["CA"]).exists(), "the emulator's working directory is removed on Ctrl-C"
    assert deploy_local.port_is_free(int(values["API"].split(":")[2].split("/")[0]))
