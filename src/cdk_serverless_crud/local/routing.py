"""Which method a request goes to, and what the method's validator checks before Lambda.

Routes match as API Gateway matches resources: the most specific path first, then the
request's method or ``ANY``. The validator checks the required query string parameters
and headers, then the body against the method's model.
"""

from __future__ import annotations

from collections.abc import Mapping

from .http_types import MAX_REQUEST_BYTES, GatewayError, HttpRequest, HttpResponse
from .mocks import MockSpec
from .paths import ResourcePath, by_specificity, path_segments
from .preflights import PreflightSpec
from .rest_api import MethodSpec
from .template import StackSpec

Route = MethodSpec | PreflightSpec | MockSpec

_ALLOW_ORIGIN = "Access-Control-Allow-Origin"


class Routes:
    """The stage's methods by resource path, most specific first."""

    def __init__(self, api: StackSpec) -> None:
        """The methods, MOCK methods and preflights of ``api``'s stage."""
        self.stage_name = api.stage_name
        by_path: dict[str, dict[str, Route]] = {}
        answered: list[MethodSpec | MockSpec] = [*api.methods, *api.mocks]
        for method in answered:
            by_path.setdefault(method.resource_path, {})[method.http_method] = method
        for preflight in api.preflights:
            by_path.setdefault(preflight.resource_path, {})["OPTIONS"] = preflight
        self.routes: list[tuple[ResourcePath, Mapping[str, Route]]] = [
            (resource, by_path[resource.template]) for resource in by_specificity(by_path)
        ]

    def match(self, request: HttpRequest) -> tuple[Route, dict[str, str]] | None:
        """The method a request goes to and its path parameters, or None."""
        stage_prefix = f"/{self.stage_name}"
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


def check_api_key(method: MethodSpec | MockSpec, request: HttpRequest) -> None:
    """Refuse a method that requires an API key a request without ``x-api-key``."""
    if method.api_key_required and not request.header("x-api-key"):
        raise GatewayError("INVALID_API_KEY")


def validate(method: MethodSpec, request: HttpRequest, query: list[tuple[str, str]]) -> None:
    """Raise the ``GatewayError`` API Gateway answers a request it does not pass to Lambda."""
    if len(request.body) > MAX_REQUEST_BYTES:
        raise GatewayError("REQUEST_TOO_LARGE")
    check_api_key(method, request)
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


def preflight_response(preflight: PreflightSpec, request: HttpRequest) -> HttpResponse:
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
