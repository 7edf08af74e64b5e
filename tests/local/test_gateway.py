"""The API Gateway emulation on the example app's template, with a recording handler."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import pytest

from cdk_serverless_crud.local.gateway import Gateway, HttpRequest
from cdk_serverless_crud.local.template import ApiSpec

from .conftest import Recorder


@pytest.fixture
def gateway(api: ApiSpec, recorder: Recorder) -> Gateway:
    return Gateway(api, {f.logical_id: recorder for f in api.functions}, clock=lambda: 0.0)


def request(
    method: str, path: str, query: str = "", body: bytes = b"", **headers: str
) -> HttpRequest:
    return HttpRequest(method, path, query, tuple(headers.items()), body)


def test_template_reading(api: ApiSpec) -> None:
    assert api.stage_name == "prod"
    assert api.cache_cluster_enabled
    routes = {(m.resource_path, m.http_method): m for m in api.methods}
    assert set(routes) == {
        ("/items", "GET"),
        ("/items", "POST"),
        ("/items/{id}", "GET"),
        ("/items/{id}", "PUT"),
        ("/items/{id}", "PATCH"),
        ("/items/{id}", "DELETE"),
        ("/items/{id}/versions", "GET"),
        ("/items/{id}/versions/{timestamp}", "GET"),
        ("/items/{id}/restore", "POST"),
    }
    cached = {key for key, m in routes.items() if m.caching_enabled}
    assert cached == {k for k in routes if k[1] == "GET"}
    assert {m.cache_ttl_seconds for m in routes.values() if m.caching_enabled} == {60}
    assert set(routes[("/items/{id}/versions", "GET")].cache_key_parameters) == {
        "method.request.path.id",
        "method.request.querystring.limit",
        "method.request.querystring.cursor",
    }
    (function,) = api.functions
    assert function.handler == "item_service.handler.handler"
    assert (function.code_dir / "item_service" / "handler.py").is_file()
    (table,) = api.tables
    assert function.environment["TABLE_NAME"] == table.name
    assert [i["IndexName"] for i in table.create_args["GlobalSecondaryIndexes"]] == ["latest-items"]
    # The store's bucket; the other one receives its server access logs.
    (bucket,) = [b for b in api.buckets if b.name == function.environment["BUCKET_NAME"]]
    assert bucket.versioned and len(api.buckets) == 2


def test_proxy_event_shape(gateway: Gateway, recorder: Recorder) -> None:
    gateway.handle(
        request("GET", "/prod/items/abc/versions", "limit=2&limit=3&cursor=", Accept="*/*")
    )
    (event,) = recorder.events
    assert event["resource"] == "/items/{id}/versions"
    assert event["path"] == "/items/abc/versions"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "abc"}
    assert event["queryStringParameters"] == {"limit": "3", "cursor": ""}
    assert event["multiValueQueryStringParameters"] == {"limit": ["2", "3"], "cursor": [""]}
    assert event["headers"] == {"Accept": "*/*"}
    assert event["multiValueHeaders"] == {"Accept": ["*/*"]}
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "prod" and context["resourcePath"] == "/items/{id}/versions"
    assert context["requestId"]


def test_absent_maps_are_null_and_path_parameters_are_decoded(
    gateway: Gateway, recorder: Recorder
) -> None:
    gateway.handle(request("GET", "/prod/items"))
    gateway.handle(request("GET", "/prod/items/a%2Fb"))
    listing, item = recorder.events
    for key in (
        "pathParameters",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "headers",
    ):
        assert listing[key] is None
    assert item["pathParameters"] == {"id": "a/b"}


def test_bodies_pass_as_text_or_base64(gateway: Gateway, recorder: Recorder) -> None:
    gateway.handle(request("POST", "/prod/items", body=b'{"a": 1}'))
    # Not JSON: the JSON model does not apply, so the stage passes it on.
    gateway.handle(
        request("POST", "/prod/items", body=b"\xff\x00", **{"Content-Type": "image/png"})
    )
    text, binary = recorder.events
    assert (text["body"], text["isBase64Encoded"]) == ('{"a": 1}', False)
    assert (base64.b64decode(binary["body"]), binary["isBase64Encoded"]) == (b"\xff\x00", True)


def test_a_body_its_model_refuses_is_answered_by_the_stage(
    gateway: Gateway, recorder: Recorder
) -> None:
    for body in (b"[1, 2]", b"not json"):
        response, variables = gateway.handle(request("POST", "/prod/items", body=body))
        assert response.status == 400
        assert json.loads(response.body) == {
            "error": {
                "code": "invalid_body",
                "message": "Invalid request body",
                "request_id": variables["requestId"],
            }
        }
    assert recorder.events == []


def test_response_mapping(gateway: Gateway, recorder: Recorder) -> None:
    recorder.answer = {
        "statusCode": 201,
        "headers": {"Location": "/x"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": base64.b64encode(b"\x00\x01").decode(),
        "isBase64Encoded": True,
    }
    response, _ = gateway.handle(request("POST", "/prod/items", body=b"{}"))
    assert response.status == 201
    assert response.body == b"\x00\x01"
    assert ("Location", "/x") in response.headers
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1", "b=2"]


@pytest.mark.parametrize("answer", [RuntimeError("boom"), {"body": "no status"}, "not a dict"])
def test_a_failing_or_malformed_lambda_is_a_502(
    gateway: Gateway, recorder: Recorder, answer: Any
) -> None:
    recorder.answer = answer
    response, variables = gateway.handle(request("POST", "/prod/items", body=b"{}"))
    assert (response.status, json.loads(response.body)) == (
        502,
        {
            "error": {
                "code": "gateway_error",
                "message": "Internal server error",
                "request_id": variables["requestId"],
            }
        },
    )


def test_payloads_over_the_limits_are_413_without_invoking(
    gateway: Gateway, recorder: Recorder
) -> None:
    response, _ = gateway.handle(request("POST", "/prod/items", body=b"x" * (10 * 1024 * 1024 + 1)))
    assert response.status == 413
    # Within API Gateway's 10 MB and a JSON object, so past the model, but over Lambda's 6 MB.
    big = b'{"a": "' + b"x" * (7 * 1024 * 1024) + b'"}'
    response, _ = gateway.handle(request("POST", "/prod/items", body=big))
    assert response.status == 413
    assert recorder.events == []


def test_lambda_payload_limits_count_utf8_bytes(gateway: Gateway, recorder: Recorder) -> None:
    # 2 MiB of "é" is 6 MiB as \u escapes, but Lambda counts the UTF-8 it carries.
    text = json.dumps({"text": "é" * (1024 * 1024)}, ensure_ascii=False)
    recorder.answer = {"statusCode": 201, "body": text}
    response, _ = gateway.handle(request("POST", "/prod/items", body=text.encode()))
    assert response.status == 201
    assert response.body == text.encode()
    # An answer over 6 MB as UTF-8 is refused by Lambda: API Gateway's 502.
    recorder.answer = {"statusCode": 200, "body": "é" * (3 * 1024 * 1024 + 1)}
    response, _ = gateway.handle(request("GET", "/prod/items/x"))
    assert response.status == 502
    assert json.loads(response.body)["error"]["code"] == "gateway_error"


def test_an_invocation_that_cannot_start_in_time_is_504(gateway: Gateway) -> None:
    class Held:  # another function's invocation holds the environment lock
        def acquire(self, timeout: float) -> bool:
            return False

    gateway.invoker._own_environments = True
    gateway.invoker._request_lock = Held()  # type: ignore[assignment]

    response, _ = gateway.handle(request("POST", "/prod/items", body=b"{}"))

    assert response.status == 504
    assert json.loads(response.body)["error"]["code"] == "integration_timeout"


def test_cache_key_includes_declared_query_parameters_only(
    gateway: Gateway, recorder: Recorder
) -> None:
    for query in ("limit=1", "limit=1&other=x", "limit=2", "limit=1&cursor=c"):
        gateway.handle(request("GET", "/prod/items", query))
    # "other" is not a cache key parameter, so it shares limit=1's entry, as deployed.
    assert [e["queryStringParameters"] for e in recorder.events] == [
        {"limit": "1"},
        {"limit": "2"},
        {"limit": "1", "cursor": "c"},
    ]


def test_access_log_line_is_the_stage_format(gateway: Gateway, api: ApiSpec) -> None:
    _, variables = gateway.handle(request("GET", "/prod/items"))
    line = json.loads(gateway.access_log_line(variables) or "")
    assert set(line) == set(json.loads(api.access_log_format or ""))
    assert "-" not in (line["requestId"], line["status"], line["httpMethod"])


def test_access_log_names_an_iam_caller_as_the_stage_does(gateway: Gateway) -> None:
    """``$context.identity.caller`` and ``.user``: the signing key's principal, or "-"."""
    signed = request(
        "GET",
        "/prod/items",
        Authorization="AWS4-HMAC-SHA256 Credential=alice/20261207/us-east-1/execute-api/"
        "aws4_request, SignedHeaders=host, Signature=00",
    )
    lines = [
        json.loads(gateway.access_log_line(gateway.handle(sent)[1]) or "")
        for sent in (signed, request("GET", "/prod/items"))
    ]
    assert [(line["caller"], line["user"]) for line in lines] == [("alice", "alice"), ("-", "-")]


def test_a_missing_required_parameter_is_answered_by_the_stage(
    api: ApiSpec, recorder: Recorder
) -> None:
    # The library's routes require only path parameters; a route of your own may require
    # a query string parameter or a header, which the stage's validator checks.
    methods = tuple(
        dataclasses.replace(
            m,
            required_parameters=(
                "method.request.querystring.lang",
                "method.request.header.X-Tenant",
            ),
        )
        if (m.resource_path, m.http_method) == ("/items", "GET")
        else m
        for m in api.methods
    )
    gateway = Gateway(
        dataclasses.replace(api, methods=methods), {f.logical_id: recorder for f in api.functions}
    )
    response, variables = gateway.handle(request("GET", "/prod/items", "lang=de"))
    assert (response.status, json.loads(response.body)) == (
        400,
        {
            "error": {
                "code": "invalid_parameter",
                "message": "Missing required request parameters: [X-Tenant]",
                "request_id": variables["requestId"],
            }
        },
    )
    assert recorder.events == []
    response, _ = gateway.handle(request("GET", "/prod/items", "lang=de", **{"X-Tenant": "t1"}))
    assert response.status == 200
    assert len(recorder.events) == 1


def test_the_templates_routes_require_no_query_parameter_or_header(api: ApiSpec) -> None:
    assert {m.required_parameters for m in api.methods} == {()}
