"""How a service's callers authenticate, as its OpenAPI document declares it.

API Gateway's own OpenAPI exports declare every authorization type as an ``apiKey``
scheme in a header, marked with ``x-amazon-apigateway-authtype`` (``awsSigv4``,
``cognito_user_pools``, ``custom``); an API key is ``api_key`` in ``x-api-key``. The
service's document declares its mode the same way, so tools that read API Gateway's
exports read it too, and a generated client knows which header to send. The packaged
``openapi.json`` serves every mode, so it declares none and says why in its description;
the service's document replaces that sentence with its mode's.

The mode is spelled as ``AuthorizationMode``'s values (API Gateway's names), because the
contract never imports ``aws_cdk``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GENERIC_NOTE = (
    " Callers authenticate as the deploying service's authorization decides (AWS IAM SigV4 "
    "by default), so this generic contract declares no security scheme; each service's own "
    "OpenAPI document declares its own."
)
"""The sentence of ``openapi.json``'s description that a service's document replaces."""

_AUTHORIZATION = "Authorization"


@dataclass(frozen=True)
class DocumentedSecurity:
    """A service's authorization, as its OpenAPI document declares it.

    Modes without a scheme OpenAPI can name (no authorization, or a custom mode that
    tells callers apart by no header) declare no security requirement.
    """

    mode: str = "AWS_IAM"
    """``AuthorizationMode``'s value: AWS_IAM, COGNITO_USER_POOLS, API_KEY, NONE or CUSTOM.

    :default: "AWS_IAM", the service's default
    """

    header: str | None = None
    """The header that carries the caller's credential: ``Authorization.caller_header``.

    :default: None, the mode's own (Authorization for IAM and Cognito, x-api-key for keys)
    """

    scopes: tuple[str, ...] = ()
    """The OAuth scopes a Cognito access token must carry.

    :default: none
    """

    @classmethod
    def of(cls, authorization: Any) -> DocumentedSecurity:
        """An ``Authorization``'s mode, caller header and scopes (a Cognito one's), read
        without importing it: the contract never imports ``aws_cdk``."""
        return cls(
            mode=authorization.mode.value,
            header=authorization.caller_header,
            scopes=tuple(getattr(authorization, "scopes", ())),
        )

    def __post_init__(self) -> None:
        if self.mode not in _SCHEMES:
            raise ValueError(
                f"DocumentedSecurity(mode=...) must be one of {', '.join(_SCHEMES)}; "
                f"got {self.mode!r}."
            )

    def schemes(self) -> dict[str, Any]:
        """The ``components.securitySchemes`` of the mode: one scheme, or none."""
        named = _SCHEMES[self.mode]
        if named is None:
            return {}
        name, scheme = named
        header = self.header or scheme.get("name")
        if header is None:
            return {}
        return {name: {**scheme, "name": header}}

    def requirement(self) -> list[dict[str, list[str]]] | None:
        """The document's ``security``: its scheme with the scopes, or None without one."""
        schemes = self.schemes()
        if not schemes:
            return None
        (name,) = schemes
        return [{name: list(self.scopes)}]

    def description(self) -> str:
        """The sentence of the document's description that says how callers authenticate."""
        sentence = _SENTENCES[self.mode]
        if self.scopes:
            sentence += f" An access token must carry the scopes {', '.join(self.scopes)}."
        return " " + sentence


# Each mode's scheme, named as API Gateway's exports name it; None for no authorization.
_SCHEMES: Mapping[str, tuple[str, Mapping[str, Any]] | None] = {
    "AWS_IAM": (
        "sigv4",
        {
            "type": "apiKey",
            "name": _AUTHORIZATION,
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        },
    ),
    "COGNITO_USER_POOLS": (
        "cognito",
        {
            "type": "apiKey",
            "name": _AUTHORIZATION,
            "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
        },
    ),
    "API_KEY": ("api_key", {"type": "apiKey", "name": "x-api-key", "in": "header"}),
    "NONE": None,
    # A custom mode's header is its caller_header; without one, nothing can be named.
    "CUSTOM": (
        "custom",
        {"type": "apiKey", "in": "header", "x-amazon-apigateway-authtype": "custom"},
    ),
}
_SENTENCES: Mapping[str, str] = {
    "AWS_IAM": "Callers sign each request with AWS Signature Version 4 (the `sigv4` scheme), "
    "and IAM policies allow each method (execute-api:Invoke); an unsigned or refused "
    "request is a 403.",
    "COGNITO_USER_POOLS": "Callers send a token of the service's Cognito user pool in the "
    "header the `cognito` scheme names; a missing or invalid token is a 401.",
    "API_KEY": "Callers send an API key of the service's usage plan in `x-api-key` (the "
    "`api_key` scheme); a missing or unknown key is a 403.",
    "NONE": "Anyone may call the API: it requires no authentication.",
    "CUSTOM": "Callers authenticate as the service's own authorizer decides.",
}


DEFAULT_SECURITY = DocumentedSecurity()
"""AWS IAM, the service's default authorization."""
