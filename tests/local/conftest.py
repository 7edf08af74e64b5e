"""Local mode fixtures: the example app served over real HTTP, and a client for it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cdk_serverless_crud.local.server import RunningService, serve_local
from cdk_serverless_crud.local.template import ApiSpec, load_api

from ..conftest import REPO, built_once, synthesize
from . import apps


@dataclass
class Reply:
    """An HTTP answer, as a client sees it."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def gateway_error(self) -> tuple[int, str, str]:
        """Status, code and message of an answer API Gateway gave itself, after checking
        that it is the contract's envelope with this answer's request id."""
        error = self.json()["error"]
        assert set(error) == {"code", "message", "request_id"}, error
        assert error["request_id"] == self.headers["x-amzn-RequestId"]
        return self.status, error["code"], error["message"]


class Client:
    """A tiny HTTP client for the served stage (urllib, real sockets)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Reply:
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=dict(headers or {})
        )
        if data is not None and "Content-Type" not in (headers or {}):
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())


def serve(cdk_out: Path, **options: Any) -> AbstractContextManager[RunningService]:
    """``serve_local`` on a free port with a captured log, on moto.

    Tests of local mode's HTTP behaviour run on moto, which starts in milliseconds; the
    tests about DynamoDB Local (``test_local_dynamodb.py``, ``test_local_state.py``) ask
    for it. ``options`` override any of these, as ``serve_local`` takes them.
    """
    settings: dict[str, Any] = {"port": 0, "log": io.StringIO(), "dynamodb": "moto"}
    return serve_local(cdk_out, **{**settings, **options})


def _synthesize_local_apps(folder: Path) -> None:
    (folder / "app").mkdir()
    (folder / "app" / "app.py").write_text(apps.SOURCE)
    synthesize(folder / "app", folder / "cdk.out")


@pytest.fixture(scope="session")
def local_apps_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The apps of ``apps.py``, one stack each, synthesized once for the whole test run."""
    return built_once(tmp_path_factory, "local-apps", _synthesize_local_apps) / "cdk.out"


def _synthesize_shop(folder: Path) -> None:
    synthesize(REPO / "examples" / "shop", folder)


@pytest.fixture(scope="session")
def shop_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop example (examples/shop), synthesized once for the whole test run."""
    return built_once(tmp_path_factory, "shop-cdk-out", _synthesize_shop)


@pytest.fixture(scope="module")
def service(example_cdk_out: Path) -> Iterator[tuple[RunningService, io.StringIO]]:
    """The example app served on a free loopback port, with its access log captured."""
    log = io.StringIO()
    with serve(example_cdk_out, log=log) as running:
        yield running, log


@pytest.fixture(scope="module")
def client(service: tuple[RunningService, io.StringIO]) -> Client:
    return Client(service[0].url)


class Recorder:
    """A Lambda handler that records its events and answers what it is told to."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.answer: Any = {"statusCode": 200, "headers": {"X-Test": "1"}, "body": "{}"}

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture(scope="module")
def api(example_cdk_out: Path) -> ApiSpec:
    return load_api(example_cdk_out)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def kill_9(process: subprocess.Popen[str]) -> None:
    """``kill -9`` a local mode started in a session of its own, as a crash would end it.

    Its DynamoDB Local runs in a session of its own, so the signal does not reach it;
    the kernel stops it with SIGTERM when local mode dies (``PR_SET_PDEATHSIG``), as it
    does after a real crash. Returns once both are gone, so that a restart never finds
    the old DynamoDB Local still holding its files and nothing outlives the test.
    """
    children = _children(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while running := [child for child in children if _running(child)]:
        if time.monotonic() > deadline:
            for child in running:
                os.kill(child, signal.SIGKILL)
            raise AssertionError(f"still running 30 s after local mode died: {running}")
        time.sleep(0.02)


def _children(pid: int) -> list[int]:
    """The ids of ``pid``'s child processes, from Linux's /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            _, after_name = stat.read_text().rsplit(")", 1)
            if int(after_name.split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs: a zombie waiting for init to reap it does not."""
    try:
        _, after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)
    except OSError:
        return False
    return after_name.split()[0] != "Z"
