"""Test helpers: API Gateway-shaped events, a client, and the openapi.json check."""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from item_service import clients
from item_service.handler import handler as items_handler
from openapi_schema_validator import OAS30Validator

from cdk_serverless_crud.local.context import LambdaContext
from cdk_serverless_crud.local.events import proxy_event
from cdk_serverless_crud.local.paths import match_resource

PACKAGE = Path(__file__).parents[2] / "src" / "cdk_serverless_crud"
OPENAPI: dict[str, Any] = json.loads((PACKAGE / "contract" / "openapi.json").read_text())
#: openapi.json documents the ``items`` collection; every collection has its paths.
DOCUMENTED = "items"
#: The API's resources: the documented ones, and a greedy proxy behind them.
TEMPLATES = (*OPENAPI["paths"], "/{proxy+}")
#: A Lambda handler: the event and context in, the proxy response out.
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class ApiResponse:
    """What a client of the API sees."""

    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        """The body, numbers as Decimal so every digit can be compared."""
        return json.loads(self.body, parse_float=Decimal, parse_int=Decimal)

    @property
    def error_code(self) -> str:
        """The ``error.code`` of an error response."""
        return str(self.json()["error"]["code"])


def resource_for(path: str, collection: str = DOCUMENTED) -> tuple[str, dict[str, str] | None]:
    """The resource and decoded path parameters API Gateway would match."""
    template, params = match_resource(_templates(collection), path) or ("/", {})
    return template, params or None


@functools.cache
def _templates(collection: str) -> tuple[str, ...]:
    return tuple(_renamed(template, DOCUMENTED, collection) for template in TEMPLATES)


def _renamed(template: str, old: str, new: str) -> str:
    """``template`` with its leading ``/old`` segment, if any, as ``/new``."""
    if template == f"/{old}" or template.startswith(f"/{old}/"):
        return f"/{new}{template[len(old) + 1 :]}"
    return template


def make_event(
    method: str,
    path: str,
    *,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    base64_body: bool = False,
    resource: str | None = None,
    path_params: dict[str, str] | None = None,
    collection: str = DOCUMENTED,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event; bytes (or ``base64_body``) go base64-encoded."""
    matched, params = resource_for(path, collection)
    if isinstance(body, bytes) or base64_body:
        raw = body.encode() if isinstance(body, str) else body
        body = base64.b64encode(raw or b"").decode()
        base64_body = True
    return proxy_event(
        method,
        path,
        resource=resource or matched,
        path_parameters=path_params if path_params is not None else params,
        headers=(headers or {}).items(),
        query=(query or {}).items(),
        body=body,
        is_base64_encoded=base64_body,
        request_id=None,
    )


class Api:
    """Calls the Lambda handler the way API Gateway does, checking openapi.json."""

    def __init__(
        self,
        remaining_ms: int = 29_000,
        *,
        handler: Handler = items_handler,
        collection: str = DOCUMENTED,
    ) -> None:
        """Invoke with ``remaining_ms`` left (default: as long as API Gateway waits).

        ``handler`` serves ``collection`` (default: the ``item_service`` package, items).
        """
        self.remaining_ms = remaining_ms
        self.handler = handler
        self.collection = collection

    def invoke(self, event: dict[str, Any]) -> ApiResponse:
        """Invoke the handler with a raw event."""
        context = LambdaContext(
            request_id="lambda-request", timeout_seconds=self.remaining_ms / 1000
        )
        result = self.handler(event, context)
        assert set(result) == {"statusCode", "headers", "body", "isBase64Encoded"}
        response = ApiResponse(result["statusCode"], result["headers"], result["body"])
        check_contract(event, response, self.collection)
        return response

    def request(self, method: str, path: str, data: Any = None, **kwargs: Any) -> ApiResponse:
        """Send ``data`` (a value to encode as JSON) or ``body=`` (raw text or bytes)."""
        if data is not None:
            kwargs["body"] = json.dumps(data)
        return self.invoke(make_event(method, path, collection=self.collection, **kwargs))

    def create(self, data: Any) -> ApiResponse:
        """POST /{collection}, asserting it worked."""
        response = self.request("POST", f"/{self.collection}", data)
        assert response.status == 201, response.body
        return response

    def versions(self, item_id: str) -> list[Any]:
        """Every version of an item, following cursors."""
        found: list[Any] = []
        query = {"limit": "100"}
        while True:
            path = f"/{self.collection}/{item_id}/versions"
            page = self.request("GET", path, query=query).json()
            found += page["versions"]
            if page["next_cursor"] is None:
                return found
            query["cursor"] = page["next_cursor"]

    def pages(self, query: dict[str, str]) -> list[list[Any]]:
        """Every page of ``GET /{collection}`` with ``query``, following cursors."""
        pages: list[list[Any]] = []
        query = dict(query)
        while True:
            response = self.request("GET", f"/{self.collection}", query=query)
            assert response.status == 200, response.body
            page = response.json()
            pages.append(page["items"])
            if page["next_cursor"] is None:
                return pages
            query["cursor"] = page["next_cursor"]


def check_contract(
    event: dict[str, Any], response: ApiResponse, collection: str = DOCUMENTED
) -> None:
    """The response is one that openapi.json documents for this operation."""
    template = resource_for(str(event.get("path")), collection)[0]
    path_item = OPENAPI["paths"].get(_renamed(template, collection, DOCUMENTED), {})
    operation = path_item.get(str(event.get("httpMethod")).lower())
    if operation is None:
        # Outside the document: an unknown path (404), a method the path does not
        # have (405), or an event no API Gateway would send.
        assert response.status in (400, 404, 405), response.body
        _validator("Error").validate(json.loads(response.body))
        assert response.status != 405 or response.headers["Allow"]
        return
    documented = operation["responses"]
    assert str(response.status) in documented, (response.status, response.body)
    spec = documented[str(response.status)]
    if "$ref" in spec:
        spec = OPENAPI["components"]["responses"][_name(spec)]
    if "content" not in spec:
        assert response.body == ""
        return
    assert response.headers["Content-Type"] == "application/json"
    schema = spec["content"]["application/json"]["schema"]
    payload = json.loads(response.body)
    _validator(_name(schema)).validate(payload)
    for name, header in spec.get("headers", {}).items():
        definition = OPENAPI["components"]["headers"][_name(header)]
        if name in response.headers or definition.get("required", False):
            OAS30Validator(definition["schema"]).validate(response.headers[name])


def _name(reference: dict[str, str]) -> str:
    return reference["$ref"].rsplit("/", 1)[1]


@functools.cache
def _validator(schema_name: str) -> OAS30Validator:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": OPENAPI["components"]}
    return OAS30Validator(schema)


@contextmanager
def failing(
    operation: str,
    code: str = "",
    *,
    service: str = "dynamodb",
    error: Exception | None = None,
    **fields: Any,
) -> Iterator[None]:
    """``service`` answers ``operation`` with the error ``code`` as AWS would, or raises
    ``error`` (a timeout, a dropped connection) as botocore would after its retries."""

    def fail(**_: Any) -> None:
        if error is not None:
            raise error
        raise ClientError({"Error": {"Code": code, "Message": "failed"}, **fields}, operation)

    client = clients.dynamodb() if service == "dynamodb" else clients.s3()
    event = f"before-call.{service}.{operation}"
    client.meta.events.register(event, fail)
    try:
        yield
    finally:
        client.meta.events.unregister(event, fail)
