"""``make deploy-local`` as a user runs it: the script, its lines, the README's curl, Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

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


def test_deploy_local_serves_the_example_app_until_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout is not None
    values: dict[str, str] = {}
    try:
        lines = []
        deadline = time.monotonic() + 240
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C") or time.monotonic() > deadline:
                break
        exports = [line.strip() for line in lines if line.strip().startswith("export API=")]
        assert exports, "\n".join(lines) + (process.stderr.read() if process.poll() else "")
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
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert rest.splitlines()[-1] == "deploy-local: stopped"
    certificate = Path(values["CA"])
    assert not certificate.exists(), "the emulator's working directory is removed on Ctrl-C"
