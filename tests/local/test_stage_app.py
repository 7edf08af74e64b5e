"""The stage's HTTP framing, in process: the WSGI app in front of a recording gateway."""

from __future__ import annotations

import io
import json

import pytest
from werkzeug.test import Client

from cdk_serverless_crud.local.gateway import Gateway
from cdk_serverless_crud.local.server import StageApp
from cdk_serverless_crud.local.template import ApiSpec

from .conftest import Recorder


@pytest.fixture
def log() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def client(api: ApiSpec, recorder: Recorder, log: io.StringIO) -> Client:
    gateway = Gateway(api, {f.logical_id: recorder for f in api.functions})
    return Client(StageApp(gateway, log))


def test_answers_carry_their_length_and_a_json_type(client: Client) -> None:
    reply = client.get("/prod/items?limit=2", headers={"X-Custom_Name": "kept"})
    assert reply.status_code == 200
    assert reply.headers["Content-Length"] == str(len(reply.data)) == "2"
    assert reply.headers["Content-Type"] == "application/json"


def test_headers_and_encoded_paths_reach_the_event_as_sent(
    client: Client, recorder: Recorder
) -> None:
    client.get("/prod/items/a%2Fb", headers={"Origin": "https://app.example.com"})
    (event,) = recorder.events
    assert event["pathParameters"] == {"id": "a/b"}
    assert event["headers"]["Origin"] == "https://app.example.com"


def test_no_content_answers_have_no_length(client: Client, recorder: Recorder) -> None:
    recorder.answer = {"statusCode": 204, "headers": {}, "body": ""}
    reply = client.delete("/prod/items/abc")
    assert (reply.status_code, reply.data) == (204, b"")
    assert "Content-Length" not in reply.headers
    recorder.answer = {"statusCode": 304, "headers": {"ETag": '"1"'}, "body": ""}
    reply = client.get("/prod/items/abc", headers={"Cache-Control": "max-age=0"})
    assert (reply.status_code, reply.data) == (304, b"")
    assert "Content-Length" not in reply.headers


def test_head_gets_the_length_without_the_body(client: Client) -> None:
    reply = client.head("/prod/items/abc/versions")
    assert (reply.status_code, reply.headers["Allow"]) == (405, "GET")
    assert reply.data == b""
    full = client.post("/prod/items/abc/versions")  # as long a method name as HEAD
    assert int(reply.headers["Content-Length"]) == len(full.data) > 0


def test_bodies_over_10_mb_are_413_without_invoking(client: Client, recorder: Recorder) -> None:
    reply = client.post(
        "/prod/items",
        input_stream=io.BytesIO(b""),
        environ_overrides={"CONTENT_LENGTH": str(10 * 1024 * 1024 + 1)},
    )
    assert reply.status_code == 413
    assert reply.json["error"] == {
        "code": "payload_too_large",
        "message": "Request Too Long",
        "request_id": reply.headers["x-amzn-RequestId"],
    }
    assert recorder.events == []


def test_chunked_bodies_without_a_length_are_411(client: Client, recorder: Recorder) -> None:
    reply = client.post(
        "/prod/items",
        input_stream=io.BytesIO(b"{}"),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"CONTENT_LENGTH": ""},
    )
    assert (reply.status_code, reply.json) == (411, {"message": "Length Required"})
    assert recorder.events == []


def test_one_access_log_line_per_request(client: Client, log: io.StringIO) -> None:
    reply = client.get("/prod/items")
    (line,) = log.getvalue().splitlines()
    assert json.loads(line)["requestId"] == reply.headers["x-amzn-RequestId"]
