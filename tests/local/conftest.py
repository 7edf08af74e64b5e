"""Local mode fixtures: the example app served over real HTTP, and a client for it."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cdk_serverless_crud.local.server import RunningService, serve_local
from cdk_serverless_crud.local.template import ApiSpec, load_api

from ..conftest import synthesize


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


@contextmanager
def serve_app_source(app_dir: Path, source: str) -> Iterator[Client]:
    """Write ``source`` as ``app_dir/app.py``, synthesize it and serve it on a free port."""
    (app_dir / "app.py").write_text(source)
    cdk_out = synthesize(app_dir, app_dir / "cdk.out")
    with serve_local(cdk_out, port=0, log=io.StringIO()) as running:
        yield Client(running.url)


@pytest.fixture(scope="module")
def service(example_cdk_out: Path) -> Iterator[tuple[RunningService, io.StringIO]]:
    """The example app served on a free loopback port, with its access log captured."""
    log = io.StringIO()
    with serve_local(example_cdk_out, port=0, log=log) as running:
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
