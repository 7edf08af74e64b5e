"""Answers API Gateway gives itself: MOCK methods and gateway responses, from the template.

Local mode runs no Velocity (VTL). The templates these answers use in this library are
JSON with ``$context`` variables in them, such as
``{"error": {"code": "method_not_allowed", "request_id": "$context.requestId"}}``. That
subset is rendered here; a template with directives (``#if``, ``#set``) or other
references (``$input``, ``$util``) is refused at startup with one line, so local mode
never answers differently from the stage without saying so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import TemplateError
from .preflights import default_response, static_headers

JsonObject = Mapping[str, Any]

_JSON = "application/json"
_REFERENCE = re.compile(r"\$(!?)\{?([A-Za-z]\w*(?:\.[A-Za-z]\w*)*)\}?")
_DIRECTIVE = re.compile(r"(^|[^\\])#(set|if|else|elseif|end|foreach|macro|include|parse)\b")


def check_template(where: str, template: str) -> str:
    """``template`` if local mode can render it, else a ``TemplateError`` saying why."""
    if _DIRECTIVE.search(template):
        raise TemplateError(
            f"{where}: its mapping template has Velocity directives; local mode renders "
            "templates with $context variables only"
        )
    for match in _REFERENCE.finditer(template):
        if not match[2].startswith("context."):
            raise TemplateError(
                f"{where}: its mapping template reads ${match[2]}; local mode renders "
                "templates with $context variables only"
            )
    return template


def render(template: str, context: Mapping[str, str]) -> bytes:
    """The template with each ``$context.<name>`` replaced, as API Gateway does.

    A variable without a value renders as nothing, as in API Gateway.
    """

    def value(match: re.Match[str]) -> str:
        return context.get(match[2].removeprefix("context."), "")

    return _REFERENCE.sub(value, template).encode()


@dataclass(frozen=True)
class MockSpec:
    """A method with a MOCK integration, answered from its integration response."""

    resource_path: str
    http_method: str
    status: int
    headers: tuple[tuple[str, str], ...]
    template: str
    authorization_type: str = "NONE"
    api_key_required: bool = False

    def answer(self, context: Mapping[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers and body for a request with these ``$context`` values."""
        return self.status, [("Content-Type", _JSON), *self.headers], render(self.template, context)


def read_mock(path: str, props: JsonObject) -> MockSpec:
    """A MOCK method whose one integration response is the default (no selection pattern).

    API Gateway gives such a method's every request that response, whatever its body,
    which is how ``not_allowed.py`` answers 405.
    """
    where = f"{props['HttpMethod']} {path}"
    status, response = default_response(where, props)
    templates = response.get("ResponseTemplates") or {}
    return MockSpec(
        resource_path=path,
        http_method=str(props["HttpMethod"]),
        status=status,
        headers=static_headers(where, response.get("ResponseParameters", {})),
        template=check_template(where, str(templates.get(_JSON, ""))),
        authorization_type=str(props.get("AuthorizationType", "NONE")),
        api_key_required=props.get("ApiKeyRequired") is True,
    )


#: API Gateway's own status and message for each response type local mode produces.
_DEFAULTS = {
    "BAD_REQUEST_BODY": (400, "Invalid request body"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "UNAUTHORIZED": (401, "Unauthorized"),
    "INVALID_API_KEY": (403, "Forbidden"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "DEFAULT_5XX": (502, "Internal server error"),
}
_HEADER = "gatewayresponse.header."


@dataclass(frozen=True)
class GatewayResponse:
    """A gateway response of the template: its status, static headers and body template."""

    status: int | None
    headers: tuple[tuple[str, str], ...]
    template: str | None


@dataclass(frozen=True)
class GatewayResponses:
    """The template's gateway responses by type, answered as API Gateway answers them.

    A type without a response of its own falls back to ``DEFAULT_4XX`` or
    ``DEFAULT_5XX`` by status, then to API Gateway's ``{"message": ...}``.
    """

    by_type: Mapping[str, GatewayResponse]

    def answer(
        self, response_type: str, context: Mapping[str, str], message: str | None = None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers and body of API Gateway's answer of ``response_type``.

        ``message`` is ``$context.error.message`` when it is not the type's fixed one.
        """
        status, default_message = _DEFAULTS[response_type]
        message = message or default_message
        fallback = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        response = self.by_type.get(response_type) or self.by_type.get(fallback)
        values = {
            **context,
            "error.message": message,
            "error.messageString": json.dumps(message),
            "error.responseType": response_type,
        }
        if response is None:
            return status, [("Content-Type", _JSON)], json.dumps({"message": message}).encode()
        body = (
            render(response.template, values)
            if response.template is not None
            else json.dumps({"message": message}).encode()
        )
        return response.status or status, [("Content-Type", _JSON), *response.headers], body


def read_gateway_responses(resources: JsonObject, rest_api_id: str) -> GatewayResponses:
    """Every ``AWS::ApiGateway::GatewayResponse`` of the REST API, by response type."""
    by_type = {}
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource.get("Type") != "AWS::ApiGateway::GatewayResponse":
            continue
        if props.get("RestApiId") != {"Ref": rest_api_id}:
            continue
        where = f"gateway response {logical_id}"
        template = (props.get("ResponseTemplates") or {}).get(_JSON)
        headers = static_headers(where, props.get("ResponseParameters") or {}, _HEADER)
        status = props.get("StatusCode")
        by_type[str(props.get("ResponseType"))] = GatewayResponse(
            status=int(status) if status is not None else None,
            headers=headers,
            template=check_template(where, template) if isinstance(template, str) else None,
        )
    return GatewayResponses(by_type)
