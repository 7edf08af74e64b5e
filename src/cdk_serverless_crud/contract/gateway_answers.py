"""What API Gateway answers itself, before the function runs, as a service's OpenAPI
document declares it on every operation.

Each answer is the contract's error envelope: ``gateway_responses.py`` makes API
Gateway's own answers so, with a stable ``code``. Throttling and the integration's 29
seconds apply to every authorization mode; the refusals of a caller are the mode's
(``AuthorizationMode``'s values, as ``security_schemes.py`` spells them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_serverless_crud.contract.security_schemes import DocumentedSecurity


def gateway_responses(security: DocumentedSecurity) -> dict[str, tuple[str, dict[str, Any]]]:
    """What API Gateway itself answers to any of the service's operations, before the
    function runs, by status: the response component's name and the component.

    Each is the error envelope (``gateway_responses.py`` makes API Gateway's own answers
    so). Throttling and the integration's 29 seconds apply to every mode; the refusals
    of a caller are the mode's.
    """
    answers = {
        **_REFUSALS[security.mode],
        "429": (
            "Throttled",
            "The stage's or method's throttling (throttled), or with API keys the usage "
            "plan's quota (quota_exceeded): nothing was written. Retry later.",
        ),
        "504": (
            "IntegrationTimeout",
            "The function did not answer within API Gateway's 29 seconds "
            "(integration_timeout). A write may have been stored: retry it with the same "
            "Idempotency-Key.",
        ),
    }
    if "403" in answers:
        name, description = answers["403"]
        answers["403"] = (name, f"{description} {_ACCESS_RULES}")
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        status: (name, {"description": description, "content": error})
        for status, (name, description) in sorted(answers.items())
    }


#: The function's own 403, which the mode's refusal shares the status with.
_ACCESS_RULES = (
    "Or the collection's access rules do not let the caller do this (forbidden): create "
    "an item, make this change to an item it may read, or list when it may read no item; "
    "nothing was written."
)

_REFUSALS: Mapping[str, dict[str, tuple[str, str]]] = {
    "AWS_IAM": {
        "403": (
            "Forbidden",
            "API Gateway refused the caller: an unsigned request "
            "(missing_authentication_token), a bad signature (invalid_signature), expired "
            "credentials (expired_token), or IAM policies that do not allow the method "
            "(access_denied).",
        )
    },
    "COGNITO_USER_POOLS": {
        "401": (
            "Unauthorized",
            "API Gateway refused the caller: no token, or one the user pool did not issue, "
            "that has expired or lacks a required scope (unauthorized).",
        )
    },
    "API_KEY": {
        "403": (
            "Forbidden",
            "API Gateway refused the caller: no API key, or one the usage plan does not "
            "hold (invalid_api_key).",
        )
    },
    "NONE": {},
    "CUSTOM": {
        "401": ("Unauthorized", "The authorizer found no credential (unauthorized)."),
        "403": ("Forbidden", "The authorizer refused the caller (access_denied)."),
    },
}


def add_gateway_answers(item: dict[str, Any], answers: Mapping[str, str]) -> None:
    """Add API Gateway's own answers (status to response name) to each operation of
    ``item``, keeping each operation's responses in the order of their statuses."""
    for verb, operation in item.items():
        if verb != "parameters":
            refs = {
                status: {"$ref": f"#/components/responses/{name}"}
                for status, name in answers.items()
            }
            operation["responses"] = dict(sorted({**operation["responses"], **refs}.items()))
