"""An API Gateway REST API (v1) stage in front of Lambda proxy integrations, in process.

It does what the deployed stage does for the parts a user notices, composed from the
modules that each do one: routing and request validation (``routing.py``), the stage
cache (``stage_cache.py``), the functions run in process (``invoker.py``), MOCK methods
and gateway responses (``mocks.py``). Here: the Lambda proxy event and answer, and the
stage's access log format.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from .authorization import authorization_notice
from .events import event_body, proxy_event
from .handlers import Handler
from .http_types import GatewayError, HttpRequest, HttpResponse
from .identity import request_identity
from .invoker import InvocationTimeout, Invoker
from .mocks import MockSpec
from .preflights import PreflightSpec
from .rest_api import MethodSpec
from .routing import Routes, check_api_key, preflight_response, validate
from .stage_cache import StageCache, cache_key, wants_fresh
from .template import StackSpec

__all__ = ["Gateway", "HttpRequest", "authorization_notice"]

#: Lambda's synchronous invocation payload limit, for the event and for the answer.
MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024

_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")

#: The ``x-amzn-ErrorType`` API Gateway sends with some of its own answers.
_ERROR_TYPES = {
    "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
    "INVALID_API_KEY": "ForbiddenException",
}


class Gateway:
    """The REST API stage: routes a request to its Lambda and maps the answer back."""

    def __init__(
        self,
        api: StackSpec,
        handlers: Mapping[str, Handler],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Serve ``api``'s stage with ``handlers`` (by logical id); ``clock`` is the cache's."""
        self.api = api
        self.cache = StageCache(clock)
        self.invoker = Invoker(api, handlers)
        """Runs the functions: the routes' here, the pipes' and rules' in ``pipes.py``."""
        self.routes = Routes(api)

    @property
    def local_url(self) -> str:
        """Where this stage is served (``http://127.0.0.1:3000``), once it is."""
        return self.invoker.local_url

    @local_url.setter
    def local_url(self, url: str) -> None:
        self.invoker.local_url = url

    def handle(
        self, request: HttpRequest, *, refuse: str | None = None
    ) -> tuple[HttpResponse, dict[str, str]]:
        """Answer one request; also return the access log variables.

        With ``refuse``, a gateway response type, the stage answers with that gateway
        response without routing (the HTTP server found the request too large, say).
        """
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        variables = {
            "requestId": request_id,
            "extendedRequestId": request_id[:16],
            "identity.sourceIp": request.source_ip,
            "identity.userAgent": request.header("User-Agent") or "-",
            "httpMethod": request.method,
            "protocol": request.protocol,
            "path": request.raw_path,
            "stage": self.api.stage_name,
            "requestTime": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": str(int(time.time() * 1000)),
        }
        response, resource_path, logged = (
            (self.error_response(refuse, request, request_id), None, {})
            if refuse is not None
            else self._answer(request, request_id)
        )
        variables.update(logged)
        response = response.with_header("x-amzn-RequestId", request_id)
        variables.update(
            resourcePath=resource_path or "-",
            status=str(response.status),
            responseLength=str(len(response.body)),
            responseLatency=str(int((time.monotonic() - started) * 1000)),
        )
        return response, variables

    def access_log_line(self, variables: Mapping[str, str]) -> str | None:
        """The stage's access log line for a request, in the stage's own format."""
        if not self.api.access_log_format:
            return None

        def substitute(match: re.Match[str]) -> str:
            return json.dumps(variables.get(match[1], "-"))[1:-1]

        return _CONTEXT_VARIABLE.sub(substitute, self.api.access_log_format)

    def error_response(
        self,
        response_type: str,
        request: HttpRequest,
        request_id: str,
        message: str | None = None,
    ) -> HttpResponse:
        """API Gateway's own answer of ``response_type``: the template's gateway response."""
        context = {
            "requestId": request_id,
            "httpMethod": request.method,
            "stage": self.api.stage_name,
            "path": request.raw_path,
        }
        status, headers, body = self.api.gateway_responses.answer(response_type, context, message)
        error_type = _ERROR_TYPES.get(response_type)
        if error_type is not None:
            headers.append(("x-amzn-ErrorType", error_type))
        return HttpResponse(status, headers, body)

    def _answer(
        self, request: HttpRequest, request_id: str
    ) -> tuple[HttpResponse, str | None, dict[str, str]]:
        """The answer, the matched resource path, and the access log's identity variables
        (``identity.caller`` and ``identity.user`` of an IAM caller, as API Gateway logs
        them)."""
        resource_path = None
        logged: dict[str, str] = {}
        try:
            route = self.routes.match(request)
            if route is None:
                raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
            method, params = route
            resource_path = method.resource_path
            if isinstance(method, PreflightSpec):
                return preflight_response(method, request), resource_path, logged
            if isinstance(method, MockSpec):
                return self._mock_response(method, request, request_id), resource_path, logged
            identity, authorizer = request_identity(
                method.authorization_type, request.header("Authorization")
            )
            logged = {
                f"identity.{name}": identity[name]
                for name in ("caller", "user")
                if name in identity
            }
            response = self._invoke_method(
                method, params, request, request_id, identity, authorizer
            )
            return response, resource_path, logged
        except GatewayError as error:
            response = self.error_response(error.response_type, request, request_id, error.message)
            return response, resource_path, logged

    def _mock_response(self, mock: MockSpec, request: HttpRequest, request_id: str) -> HttpResponse:
        """A MOCK method's answer, after the API key check a method of its own would get."""
        check_api_key(mock, request)
        context = {
            "httpMethod": request.method,
            "requestId": request_id,
            "resourcePath": mock.resource_path,
            "stage": self.api.stage_name,
            "path": request.raw_path,
        }
        status, headers, body = mock.answer(context)
        return HttpResponse(status, headers, body)

    def _invoke_method(
        self,
        method: MethodSpec,
        path_params: dict[str, str],
        request: HttpRequest,
        request_id: str,
        identity: dict[str, Any],
        authorizer: dict[str, Any] | None,
    ) -> HttpResponse:
        query = parse_qsl(request.query, keep_blank_values=True)
        validate(method, request, query)
        key = None
        if method.caching_enabled:
            key = cache_key(method, path_params, query, request)
            cached = None if wants_fresh(request) else self.cache.get(key)
            if cached is not None:
                return cached.with_header("X-Cache", "Hit")
        body, is_base64 = event_body(request.body)
        if "ACCESS" in method.function.environment and not (identity or authorizer):
            # A collection with access rules needs a caller: answer as a deployed stage
            # answers a request without a token (Cognito) or a signature (IAM).
            raise GatewayError(
                "UNAUTHORIZED"
                if method.authorization_type == "COGNITO_USER_POOLS"
                else "MISSING_AUTHENTICATION_TOKEN"
            )
        event = proxy_event(
            request.method,
            request.raw_path[len(self.api.stage_name) + 1 :] or "/",
            resource=method.resource_path,
            path_parameters=path_params or None,
            headers=request.headers,
            query=query,
            body=body,
            is_base64_encoded=is_base64,
            stage=self.api.stage_name,
            request_id=request_id,
            source_ip=request.source_ip,
            protocol=request.protocol,
            identity=identity,
            authorizer=authorizer,
        )
        response = self._call_lambda(method, event, request_id)
        if key is None:
            return response
        self.cache.put(key, response, method.cache_ttl_seconds)
        return response.with_header("X-Cache", "Miss")

    def _call_lambda(
        self, method: MethodSpec, event: dict[str, Any], request_id: str
    ) -> HttpResponse:
        if _payload_bytes(event) > MAX_LAMBDA_PAYLOAD_BYTES:
            raise GatewayError("REQUEST_TOO_LARGE")
        try:
            result = self.invoker.invoke(method.function, event, request_id)
        except InvocationTimeout as error:
            # API Gateway's answer when an integration runs out of time.
            raise GatewayError("INTEGRATION_TIMEOUT") from error
        except Exception as error:
            raise GatewayError("DEFAULT_5XX") from error
        return _proxy_response(result)


def _payload_bytes(payload: Any) -> int:
    """The size of ``payload`` as Lambda counts it: UTF-8 JSON, non-ASCII unescaped."""
    return len(json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def _proxy_response(result: Any) -> HttpResponse:
    """Map a Lambda proxy answer to HTTP; a malformed one is a 502, as in AWS."""
    if not isinstance(result, Mapping) or not isinstance(result.get("statusCode"), int):
        raise GatewayError("DEFAULT_5XX")
    try:
        size = _payload_bytes(result)
    except (TypeError, ValueError) as error:  # Lambda cannot serialize it either
        raise GatewayError("DEFAULT_5XX") from error
    if size > MAX_LAMBDA_PAYLOAD_BYTES:  # Lambda refuses it, so API Gateway answers 502
        raise GatewayError("DEFAULT_5XX")
    headers: list[tuple[str, str]] = []
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    for name, value in single.items():
        if name not in multi:
            headers.append((name, str(value)))
    for name, values in multi.items():
        headers.extend((name, str(v)) for v in values)
    body = result.get("body") or ""
    try:
        data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    except (binascii.Error, ValueError) as error:
        raise GatewayError("DEFAULT_5XX") from error
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(int(result["statusCode"]), headers, data)
