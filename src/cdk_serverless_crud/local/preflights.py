"""CORS preflights in the template: OPTIONS methods with a MOCK integration.

API Gateway answers them itself, from the integration response's static headers and,
for several origins, aws-cdk-lib's response template that echoes an allowed Origin.
Local mode runs no mapping templates, so it reads exactly what aws-cdk-lib writes and
refuses anything else at startup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import TemplateError

JsonObject = Mapping[str, Any]

#: How an integration response names the method response header it sets.
_RESPONSE_HEADER = "method.response.header."

#: The response template aws-cdk-lib's ``addCorsPreflight`` adds for several origins: it
#: sends the request's Origin instead of the first origin when it is one of the others.
#: Local mode runs no mapping templates, so it recognizes this one and nothing else.
_ORIGIN_ECHO_TEMPLATE = re.compile(
    r'#set\(\$origin = \$input\.params\(\)\.header\.get\("Origin"\)\)\n'
    r'#if\(\$origin == ""\)\n'
    r'  #set\(\$origin = \$input\.params\(\)\.header\.get\("origin"\)\)\n'
    r"#end\n"
    r'#if\((?P<condition>\$origin == "[^"]*"(?: \|\| \$origin == "[^"]*")*)\)\n'
    r"  #set\(\$context\.responseOverride\.header\.Access-Control-Allow-Origin = \$origin\)\n"
    r"#end"
)
_ORIGIN_TEST = re.compile(r'\$origin == "([^"]*)"')


@dataclass(frozen=True)
class PreflightSpec:
    """A CORS preflight that API Gateway answers itself: OPTIONS with a MOCK integration.

    ``headers`` are the integration response's static header values. ``echo_origins``
    are the origins whose requests get their own Origin back as
    ``Access-Control-Allow-Origin`` instead of the static one (empty for one origin).
    """

    resource_path: str
    status: int
    headers: tuple[tuple[str, str], ...]
    echo_origins: tuple[str, ...] = ()


def read_preflight(path: str, props: JsonObject) -> PreflightSpec:
    """The answer of an OPTIONS method with a MOCK integration, as aws-cdk-lib builds it."""
    where = f"OPTIONS {path}"
    if props.get("AuthorizationType", "NONE") != "NONE" or props.get("ApiKeyRequired") is True:
        raise TemplateError(
            f"{where}: its MOCK integration requires authorization or an API key; local "
            "mode serves preflights only as browsers send them, without credentials"
        )
    status, response = default_response(where, props, ", as aws-cdk-lib's CORS preflight has")
    return PreflightSpec(
        resource_path=path,
        status=status,
        headers=static_headers(where, response.get("ResponseParameters", {})),
        echo_origins=_echo_origins(where, response.get("ResponseTemplates", {})),
    )


def default_response(where: str, props: JsonObject, hint: str = "") -> tuple[int, JsonObject]:
    """A MOCK method's one integration response, without a selection pattern, and its status.

    API Gateway gives every request of such a method that response, whatever its body.
    """
    responses = props["Integration"].get("IntegrationResponses", [])
    if len(responses) != 1 or "SelectionPattern" in responses[0]:
        raise TemplateError(
            f"{where}: local mode serves a MOCK integration with exactly one integration "
            f"response and no selection pattern{hint}"
        )
    (response,) = responses
    status = str(response.get("StatusCode", ""))
    if not status.isdigit():
        raise TemplateError(f"{where}: integration response status {status!r} is not a number")
    return int(status), response


def static_headers(
    where: str, parameters: JsonObject, prefix: str = _RESPONSE_HEADER
) -> tuple[tuple[str, str], ...]:
    """Header values of an integration (or gateway) response: literals in single quotes."""
    headers = []
    for key, value in parameters.items():
        literal = isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'"
        if not key.startswith(prefix) or not literal:
            raise TemplateError(
                f"{where}: response parameter {key} is {json.dumps(value)}; local mode serves "
                "static header values ('...') only"
            )
        headers.append((key.removeprefix(prefix), value[1:-1]))
    return tuple(headers)


def _echo_origins(where: str, templates: JsonObject) -> tuple[str, ...]:
    """The origins that aws-cdk-lib's response template echoes; none without a template."""
    texts = {body if isinstance(body, str) else json.dumps(body) for body in templates.values()}
    bodies = {text for text in texts if text.strip()}
    if not bodies:
        return ()
    match = _ORIGIN_ECHO_TEMPLATE.fullmatch(bodies.pop()) if len(bodies) == 1 else None
    if match is None:
        raise TemplateError(
            f"{where}: its response template is not the origin check aws-cdk-lib writes "
            "for CORS with several origins, and local mode runs no other mapping templates"
        )
    return tuple(_ORIGIN_TEST.findall(match["condition"]))
