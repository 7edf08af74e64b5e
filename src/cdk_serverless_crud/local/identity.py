"""Who a request comes from, as API Gateway would put it in the request context.

Local mode verifies nothing, as its startup notice says: it reads the identity a
deployed stage would have verified, so that the function sees callers as it would.

- ``AWS_IAM``: the access key id of the SigV4 ``Credential``, as an IAM user of the
  local account (``curl --aws-sigv4 ... --user alice:x`` is
  ``arn:aws:iam::123456789012:user/alice``). An unsigned request has no identity.
- ``COGNITO_USER_POOLS``: the claims of the JWT in the ``Authorization`` header
  (``Bearer`` or bare), each as the string API Gateway passes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .events import ACCOUNT_ID

# AWS4-HMAC-SHA256 Credential=<access key id>/<date>/<region>/<service>/aws4_request, ...
_CREDENTIAL = re.compile(r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/")


def request_identity(
    authorization_type: str, header: str | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The request context's ``identity`` additions and ``authorizer`` for a method of
    ``authorization_type`` whose caller sent ``header`` (the authorizer's header, or
    ``Authorization`` for IAM)."""
    if header is None:
        return {}, None
    if authorization_type == "AWS_IAM":
        signed = _CREDENTIAL.match(header.strip())
        if signed is None:
            return {}, None
        key = signed[1]
        arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{key}"
        return {
            "accessKey": key,
            "accountId": ACCOUNT_ID,
            "caller": key,
            "user": key,
            "userArn": arn,
        }, None
    if authorization_type == "COGNITO_USER_POOLS":
        claims = token_claims(header)
        return {}, None if claims is None else {"claims": claims}
    return {}, None


def token_claims(header: str) -> dict[str, str] | None:
    """The claims of a JWT (``Bearer <jwt>`` or ``<jwt>``), unverified, each as a string:
    a list comma-separated, as API Gateway's REST APIs pass ``cognito:groups``. None if it
    is no JWT."""
    token = header.strip().removeprefix("Bearer ").strip()
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, Mapping):
        return None
    return {str(name): _claim(value) for name, value in payload.items()}


def _claim(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(_claim(item) for item in value)
    return json.dumps(value)


def local_token(
    sub: str, groups: Sequence[str] = (), claims: Mapping[str, str] | None = None
) -> str:
    """An unsigned JWT (``alg: none``) with the claims of a Cognito id token of the user
    ``sub`` in ``groups``, plus ``claims``: what local mode reads, and what no deployed
    stage accepts."""
    payload: dict[str, Any] = {"sub": sub, "token_use": "id", "iss": "serverless-crud-local"}
    if groups:
        payload["cognito:groups"] = list(groups)
    payload.update(claims or {})

    def part(value: Mapping[str, Any]) -> str:
        text = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(text).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."
