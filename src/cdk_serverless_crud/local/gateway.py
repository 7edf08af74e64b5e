"""An API Gateway REST API (v1) stage in front of Lambda proxy integrations, in process.

It does what the deployed stage does for the parts a user notices: resource matching,
the Lambda proxy event and response, the 403 for undefined routes, CORS preflights, the
stage cache keyed by the declared cache key parameters, and the stage's access log format.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import importlib.util
import json
import re
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from .context import LambdaContext
from .environment import patched_environ, shared_environment
from .errors import TemplateError
from .events import event_body, proxy_event
from .mocks import MockSpec
from .paths import ResourcePath, by_specificity, path_segments
from .preflights import PreflightSpec
from .template import LOCAL_STAGE_BASE, ApiSpec, FunctionSpec, MethodSpec

#: API Gateway's own limits: request payloads and the largest cached response.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
MAX_CACHED_RESPONSE_BYTES = 1024 * 1024
#: Lambda's synchronous invocation payload limit, for the event and for the answer.
MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024

_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")

_ALLOW_ORIGIN = "Access-Control-Allow-Origin"

Handler = Callable[[dict[str, Any], Any], Any]
Route = MethodSpec | PreflightSpec | MockSpec

#: The ``x-amzn-ErrorType`` API Gateway sends with some of its own answers.
_ERROR_TYPES = {
    "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
    "INVALID_API_KEY": "ForbiddenException",
}


class GatewayError(Exception):
    """API Gateway answers this request itself, with the gateway response of this type."""

    def __init__(self, response_type: str, message: str | None = None) -> None:
        super().__init__(response_type)
        self.response_type = response_type
        self.message = message


@dataclass(frozen=True)
class HttpRequest:
    """A request as the HTTP server received it (path still percent-encoded)."""

    method: str
    raw_path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The last value of a header, case-insensitively."""
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[-1] if values else None


@dataclass
class HttpResponse:
    """What the stage answers."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def with_header(self, name: str, value: str) -> HttpResponse:
        """A copy with one more header."""
        return HttpResponse(self.status, [*self.headers, (name, value)], self.body)


@dataclass
class _CacheEntry:
    expires_at: float
    response: HttpResponse


@dataclass
class StageCache:
    """The stage's cache cluster: answers per method and cache key, for the method's TTL."""

    clock: Callable[[], float] = time.monotonic
    _entries: dict[tuple[Any, ...], _CacheEntry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: tuple[Any, ...]) -> HttpResponse | None:
        """A live cached answer, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires_at <= self.clock():
                return None
            return entry.response

    def put(self, key: tuple[Any, ...], response: HttpResponse, ttl_seconds: int) -> None:
        """Store an answer unless it is larger than API Gateway caches."""
        if len(response.body) > MAX_CACHED_RESPONSE_BYTES:
            return
        with self._lock:
            self._entries[key] = _CacheEntry(self.clock() + ttl_seconds, response)


def load_handler(function: FunctionSpec, *, isolate: bool = False) -> Handler:
    """Import the function's handler from its synthesized asset folder.

    The folder goes first on ``sys.path``, and the handler's top-level package is
    imported afresh, like a new Lambda container: no cached clients or settings carry
    over from an earlier app served by this process.

    With ``isolate``, for functions whose packages share a name (two collections both
    ship ``item_service``, with different generated validators), the package is imported
    under a name of its own, ``_local_<logical id>_<package>``, so neither sees the
    other's modules, settings or clients. Its relative imports follow that name; an
    absolute import of its own package would not, which the item service never does.
    """
    module_name, _, attribute = function.handler.rpartition(".")
    package, _, submodule = module_name.partition(".")
    code_dir = function.code_dir
    if str(code_dir) in sys.path:
        sys.path.remove(str(code_dir))
    sys.path.insert(0, str(code_dir))
    top_name = f"_local_{function.logical_id}_{package}" if isolate else package
    for name in [m for m in sys.modules if m == top_name or m.startswith(top_name + ".")]:
        del sys.modules[name]
    try:
        if isolate:
            _import_as(top_name, code_dir, package)
        module = importlib.import_module(f"{top_name}.{submodule}" if submodule else top_name)
    except ImportError as error:
        raise TemplateError(f"cannot import handler {function.handler}: {error}") from error
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise TemplateError(f"handler {function.handler} is not a function")
    return handler  # type: ignore[no-any-return]


def _import_as(name: str, code_dir: Path, package: str) -> None:
    """Import ``code_dir/package`` (a package or a module) as the module ``name``."""
    package_dir = code_dir / package
    if package_dir.is_dir():
        init = package_dir / "__init__.py"
        spec = importlib.util.spec_from_file_location(
            name, init if init.is_file() else None, submodule_search_locations=[str(package_dir)]
        )
    else:
        spec = importlib.util.spec_from_file_location(name, code_dir / f"{package}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"no {package} in {code_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except FileNotFoundError as error:
        del sys.modules[name]
        raise ImportError(f"no {package} in {code_dir}") from error


class Gateway:
    """The REST API stage: routes a request to its Lambda and maps the answer back."""

    def __init__(
        self,
        api: ApiSpec,
        handlers: Mapping[str, Handler],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.handlers = handlers
        self.cache = StageCache(clock)
        # Functions that disagree on a variable each get their own environment around
        # their invocations: the process's environment, so one invocation at a time.
        self._own_environments = shared_environment(api) is None
        self._invoke_lock = threading.Lock()
        self._side_lock = threading.Lock()
        self._route_variables = {name for f in api.functions for name in f.environment}
        self.local_url = ""
        """Where this stage is served (``http://127.0.0.1:3000``), once it is."""
        by_path: dict[str, dict[str, Route]] = {}
        answered: list[MethodSpec | MockSpec] = [*api.methods, *api.mocks]
        for method in answered:
            by_path.setdefault(method.resource_path, {})[method.http_method] = method
        for preflight in api.preflights:
            by_path.setdefault(preflight.resource_path, {})["OPTIONS"] = preflight
        self.routes: list[tuple[ResourcePath, Mapping[str, Route]]] = [
            (resource, by_path[resource.template]) for resource in by_specificity(by_path)
        ]

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
        response, resource_path = (
            (self.error_response(refuse, request, request_id), None)
            if refuse is not None
            else self._answer(request, request_id)
        )
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

    def _answer(self, request: HttpRequest, request_id: str) -> tuple[HttpResponse, str | None]:
        resource_path = None
        try:
            route = self._route(request)
            if route is None:
                raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
            method, params = route
            resource_path = method.resource_path
            if isinstance(method, PreflightSpec):
                return _preflight_response(method, request), resource_path
            if isinstance(method, MockSpec):
                return self._mock_response(method, request, request_id), resource_path
            return self._invoke_method(method, params, request, request_id), resource_path
        except GatewayError as error:
            response = self.error_response(error.response_type, request, request_id, error.message)
            return response, resource_path

    def _route(self, request: HttpRequest) -> tuple[Route, dict[str, str]] | None:
        """The method a request goes to and its path parameters, or None."""
        stage_prefix = f"/{self.api.stage_name}"
        path = request.raw_path
        if path != stage_prefix and not path.startswith(stage_prefix + "/"):
            return None
        parts = path_segments(path[len(stage_prefix) :])
        for resource, methods in self.routes:
            params = resource.match(parts)
            if params is None:
                continue
            method = methods.get(request.method) or methods.get("ANY")
            return None if method is None else (method, params)
        return None

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

    def _mock_response(self, mock: MockSpec, request: HttpRequest, request_id: str) -> HttpResponse:
        """A MOCK method's answer, after the API key check a method of its own would get."""
        if mock.api_key_required and not request.header("x-api-key"):
            raise GatewayError("INVALID_API_KEY")
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
    ) -> HttpResponse:
        if len(request.body) > MAX_REQUEST_BYTES:
            raise GatewayError("REQUEST_TOO_LARGE")
        if method.api_key_required and not request.header("x-api-key"):
            raise GatewayError("INVALID_API_KEY")
        query = parse_qsl(request.query, keep_blank_values=True)
        missing = _missing_parameters(method, query, request)
        if missing:  # the validator checks parameters before the body
            names = ", ".join(missing)
            raise GatewayError(
                "BAD_REQUEST_PARAMETERS", f"Missing required request parameters: [{names}]"
            )
        if method.body_model is not None and not method.body_model.accepts(
            request.body, request.header("Content-Type")
        ):
            raise GatewayError("BAD_REQUEST_BODY")
        key: tuple[Any, ...] | None = None
        if method.caching_enabled:
            key = _cache_key(method, path_params, query, request)
            fresh = (request.header("Cache-Control") or "").replace(" ", "") == "max-age=0"
            cached = None if fresh else self.cache.get(key)
            if cached is not None:
                return cached.with_header("X-Cache", "Hit")
        body, is_base64 = event_body(request.body)
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
        )
        response = self._call_lambda(method.function, event, request_id)
        if key is None:
            return response
        self.cache.put(key, response, method.cache_ttl_seconds)
        return response.with_header("X-Cache", "Miss")

    def invoke(self, function: FunctionSpec, event: Any) -> Any:
        """Run a function that no route integrates, such as a pipe's enrichment or a
        rule's target, as Lambda runs it: in its own environment. Its exception is
        raised to the caller.

        Such invocations run one at a time. One whose variables the routes' functions
        also set waits for the routes' invocations too, when those have environments of
        their own; one with variables of its own alone (the cache refresher's
        ``API_URL`` and ``REFRESH_ORIGINS``) does not, so it may call this API.
        ``API_URL``-like values that name the template's stage URL are pointed at
        :attr:`local_url`.
        """
        handler = self.handlers[function.logical_id]
        context = LambdaContext(
            function.name,
            request_id=str(uuid.uuid4()),
            timeout_seconds=function.timeout_seconds,
            memory_mb=function.memory_mb,
        )
        environment = {
            name: value.replace(LOCAL_STAGE_BASE, self.local_url) if self.local_url else value
            for name, value in function.environment.items()
        }
        shares = self._own_environments and not self._route_variables.isdisjoint(environment)
        with (
            self._side_lock,
            self._invoke_lock if shares else nullcontext(),
            patched_environ(environment),
        ):
            return handler(event, context)

    def _call_lambda(
        self, function: FunctionSpec, event: dict[str, Any], request_id: str
    ) -> HttpResponse:
        if _payload_bytes(event) > MAX_LAMBDA_PAYLOAD_BYTES:
            raise GatewayError("REQUEST_TOO_LARGE")
        try:
            context = LambdaContext(
                function.name,
                request_id=request_id,
                timeout_seconds=function.timeout_seconds,
                memory_mb=function.memory_mb,
            )
            handler = self.handlers[function.logical_id]
            if not self._own_environments:
                result = handler(event, context)
            elif not self._invoke_lock.acquire(timeout=function.timeout_seconds):
                # Another function's invocation holds it (one that calls this API, say):
                # answer as API Gateway does when an integration runs out of time.
                raise GatewayError("INTEGRATION_TIMEOUT")
            else:
                try:
                    with patched_environ(function.environment):
                        result = handler(event, context)
                finally:
                    self._invoke_lock.release()
        except GatewayError:
            raise
        except Exception as error:
            raise GatewayError("DEFAULT_5XX") from error
        return _proxy_response(result)


def authorization_notice(api: ApiSpec) -> str | None:
    """One line saying which authorization the stage would enforce and local mode does not.

    Local mode cannot verify SigV4 signatures or Cognito tokens; for API keys it checks
    that ``x-api-key`` is present, not that it is a key of the usage plan.
    """
    kinds = sorted({m.authorization_type for m in api.methods} - {"NONE"})
    keys = any(m.api_key_required for m in api.methods)
    sentences = []
    if kinds:
        names = " or ".join(_AUTHORIZATION_NAMES.get(kind, kind) for kind in kinds)
        sentences.append(
            f"Local mode does not enforce {names}: every request is served as if authorized."
        )
    if keys:
        sentences.append(
            "Local mode only checks that an x-api-key header is present, not that it is a key "
            "of the usage plan, and applies no quota."
        )
    return " ".join(sentences) or None


_AUTHORIZATION_NAMES = {
    "AWS_IAM": "AWS_IAM authorization (SigV4 signatures)",
    "COGNITO_USER_POOLS": "COGNITO_USER_POOLS authorization (user pool tokens)",
    "CUSTOM": "CUSTOM authorization (Lambda authorizers)",
}


def _cache_key(
    method: MethodSpec,
    path_params: Mapping[str, str],
    query: list[tuple[str, str]],
    request: HttpRequest,
) -> tuple[Any, ...]:
    values: list[tuple[str, Any]] = []
    for parameter in method.cache_key_parameters:
        _, _, kind, name = parameter.split(".", 3)
        if kind == "path":
            values.append((parameter, path_params.get(name)))
        elif kind == "querystring":
            values.append((parameter, next((v for k, v in reversed(query) if k == name), None)))
        elif kind == "multivaluequerystring":
            values.append((parameter, tuple(v for k, v in query if k == name)))
        elif kind in ("header", "multivalueheader"):
            values.append((parameter, request.header(name)))
    return (method.resource_path, method.http_method, tuple(values))


def _missing_parameters(
    method: MethodSpec, query: list[tuple[str, str]], request: HttpRequest
) -> list[str]:
    """The required query string parameters and headers the request does not have."""
    sent = {name for name, _ in query}
    missing = []
    for parameter in method.required_parameters:
        _, _, kind, name = parameter.split(".", 3)
        present = name in sent if kind == "querystring" else request.header(name) is not None
        if not present:
            missing.append(name)
    return missing


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


def _preflight_response(preflight: PreflightSpec, request: HttpRequest) -> HttpResponse:
    """API Gateway's own answer to a preflight: no Lambda, no authorization, no cache.

    With several allowed origins, the static Access-Control-Allow-Origin is the first;
    aws-cdk-lib's response template replaces it with the request's Origin when that is
    one of the others.
    """
    headers = list(preflight.headers)
    origin = _template_origin(request)
    if origin in preflight.echo_origins:
        headers = [(n, v) for n, v in headers if n.lower() != _ALLOW_ORIGIN.lower()]
        headers.append((_ALLOW_ORIGIN, origin))
    return HttpResponse(preflight.status, headers, b"")


def _template_origin(request: HttpRequest) -> str:
    """The Origin as aws-cdk-lib's response template reads it.

    The template looks the header up by exact name, ``Origin`` and then ``origin`` (as
    HTTP/2 clients send it), so other spellings are not seen.
    """
    sent = dict(request.headers)
    return sent.get("Origin") or sent.get("origin") or ""


def load_handlers(functions: Iterable[FunctionSpec]) -> dict[str, Handler]:
    """Import every function's handler once, isolating packages that share a name."""
    functions = list(functions)
    packages = Counter(f.handler.partition(".")[0] for f in functions)
    return {
        f.logical_id: load_handler(f, isolate=packages[f.handler.partition(".")[0]] > 1)
        for f in functions
    }
