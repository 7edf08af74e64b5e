"""The ``serverless-crud local`` command as a user runs it."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from .apps import QUIET

#: On moto: these tests are about the command, not about DynamoDB Local.
CLI = [sys.executable, "-m", "cdk_serverless_crud.local.cli", "local", "--dynamodb", "moto"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serves_until_interrupted_and_prints_the_url(example_cdk_out: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [*CLI, "--cdk-out", str(example_cdk_out), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = f"http://127.0.0.1:{port}/prod"
        assert url in banner
        with urllib.request.urlopen(url + "/items", timeout=30) as reply:
            assert reply.status == 200
            assert json.loads(reply.read()) == {"items": [], "next_cursor": None}
        access_log = json.loads(process.stdout.readline())
        assert "200" in access_log.values()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0


def test_busy_port_is_one_clear_line(example_cdk_out: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*CLI, "--cdk-out", str(example_cdk_out), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"serverless-crud: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_an_app_that_fails_to_synthesize_is_one_clear_line(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text("raise ValueError('tags: missing required tag key Owner')\n")
    result = subprocess.run(
        [*CLI, "--app", f"{sys.executable} {app}"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "serverless-crud: error: the app failed to synthesize: "
        "ValueError: tags: missing required tag key Owner"
    ]


def test_missing_assembly_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "--cdk-out", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "synthesize the app first" in result.stderr


def test_sigint_stops_it_even_when_started_with_sigint_ignored(example_cdk_out: Path) -> None:
    # A script's background job (`make run &`) inherits SIGINT ignored.
    port = _free_port()
    process = subprocess.Popen(
        [*CLI, "--cdk-out", str(example_cdk_out), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}/prod" in process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert stderr.strip().splitlines()[-1] == "stopped"


def test_sigterm_stops_it_the_same_way(example_cdk_out: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [*CLI, "--cdk-out", str(example_cdk_out), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}/prod" in process.stdout.readline()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert stderr.strip().splitlines()[-1] == "stopped"


def test_an_events_file_for_an_app_without_events_says_so(
    local_apps_cdk_out: Path, tmp_path: Path
) -> None:
    port = _free_port()
    events_file = tmp_path / "events.jsonl"
    options = ["--port", str(port), "--events-file", str(events_file), "--stack", QUIET]
    process = subprocess.Popen(
        [*CLI, "--cdk-out", str(local_apps_cdk_out), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}/prod" in process.stdout.readline()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert (
        f"--events-file {events_file}: this app sends no change events (no pipe from a "
        "table's stream); turn them on with ServerlessCrudService(events=ChangeEvents())"
    ) in stderr.splitlines()
