"""Logs are JSON lines with the request's facts, and never an item body."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from .helpers import Api, make_event

SECRET = "s3cr3t-value-7f1c"


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    return [json.loads(line) for line in captured.out.splitlines()]


def test_each_request_logs_one_json_line(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    event = make_event("POST", "/items", body=json.dumps({"secret": SECRET}))

    api.invoke(event)

    (line,) = _lines(capsys)
    assert line["message"] == "request"
    assert line["level"] == "INFO"
    assert line["request_id"] == event["requestContext"]["requestId"]
    assert (line["method"], line["route"], line["status"]) == ("POST", "/items", 201)
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert line["timestamp"].endswith("Z")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("PUT", "/items/{id}", json.dumps({"secret": SECRET}), 200, None),
        ("PUT", "/items/{id}", '{"secret": "' + SECRET + '"', 400, "invalid_json"),
        ("PUT", "/items/{id}", '{"' + SECRET + '": NaN}', 400, "invalid_json"),
        ("POST", "/items", '{"a": [[[' + '"' + SECRET + '"]]], "a": 1}', 400, "invalid_json"),
        ("POST", "/items", '{"' + SECRET + '": 1e999}', 400, "invalid_body"),
        ("PATCH", "/items", json.dumps({"secret": SECRET}), 405, "method_not_allowed"),
        ("PATCH", "/items/{id}", json.dumps({"secret": SECRET}), 415, "unsupported_media_type"),
        ("GET", "/items/" + SECRET + "!", None, 400, "invalid_parameter"),
    ],
)
def test_bodies_never_reach_the_logs(
    api: Api,
    capsys: pytest.CaptureFixture[str],
    method: str,
    path: str,
    body: str | None,
    status: int,
    code: str | None,
) -> None:
    item_id = api.create({"a": 1}).json()["id"]
    capsys.readouterr()

    response = api.request(method, path.format(id=item_id), body=body)

    assert response.status == status
    (line,) = _lines(capsys)
    assert line.get("error_code") == code


def test_unexpected_errors_answer_500_and_log_a_traceback_without_the_body(
    api: Api, aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.dynamodb.delete_table(TableName=aws.table)
    event = make_event("POST", "/items", body=json.dumps({"secret": SECRET}))

    response = api.invoke(event)

    request_id = event["requestContext"]["requestId"]
    assert response.status == 500
    assert response.json()["error"] == {
        "code": "internal_error",
        "message": response.json()["error"]["message"],
        "request_id": request_id,
    }
    error, request = _lines(capsys)
    assert error["level"] == "ERROR"
    assert error["request_id"] == request_id
    assert error["error_type"] == "ResourceNotFoundException"
    assert error["aws_error_code"] == "ResourceNotFoundException"
    assert any("transact_write_items" in frame for frame in error["traceback"])
    assert (request["status"], request["error_code"]) == (500, "internal_error")
