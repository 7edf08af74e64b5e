"""The API Gateway REST API (v1) Lambda proxy event, built in one place.

Local mode builds it from an HTTP request; the runtime's tests and the benchmarks build
it from a method and a path. Absent maps are ``null``, not ``{}``, as in AWS.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

#: The account local mode pretends to run in; moto accepts any.
ACCOUNT_ID = "123456789012"


def proxy_event(
    method: str,
    path: str,
    *,
    resource: str,
    path_parameters: Mapping[str, str] | None = None,
    headers: Iterable[tuple[str, str]] = (),
    query: Iterable[tuple[str, str]] = (),
    body: str | None = None,
    is_base64_encoded: bool = False,
    stage: str = "prod",
    request_id: str | None = None,
    source_ip: str = "127.0.0.1",
    protocol: str = "HTTP/1.1",
    identity: Mapping[str, Any] | None = None,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The proxy event of a request for ``path`` (below the stage) matched to ``resource``.

    ``identity`` adds to the request context's ``identity`` (an IAM caller's ARN), and
    ``authorizer`` is its ``authorizer`` (a Cognito user's claims).

    ``headers`` and ``query`` are (name, value) pairs in the order sent: a repeated name
    keeps its last value in the single-value map and every value in the multi-value one.
    ``path_parameters`` are decoded; ``None`` leaves the map null.
    """
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        multi_query.setdefault(name, []).append(value)
    user_agent = next(
        (v for k, v in reversed(single_headers.items()) if k.lower() == "user-agent"), None
    )
    request_id = request_id or str(uuid.uuid4())
    now = datetime.now(UTC)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None if path_parameters is None else dict(path_parameters),
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": is_base64_encoded,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": request_id[:16],
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{path}",
            "accountId": ACCOUNT_ID,
            "protocol": protocol,
            "stage": stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {"sourceIp": source_ip, "userAgent": user_agent, **(identity or {})},
            "domainName": "localhost",
            "apiId": "local",
            **({} if authorizer is None else {"authorizer": dict(authorizer)}),
        },
    }


def event_body(raw: bytes) -> tuple[str | None, bool]:
    """A raw body as the event carries it, and whether it is base64-encoded.

    Text bodies pass as text; bytes that are not UTF-8 pass base64-encoded.
    """
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True
