"""API Gateway REST (v1) proxy events in, Lambda proxy responses out."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import codec
from .codec import Json
from .errors import (
    InvalidBody,
    InvalidJson,
    InvalidParameter,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from .records import Claim

# Lambda's synchronous invocation limit applies to the request and the response.
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
MAX_BODY_BYTES = LAMBDA_PAYLOAD_BYTES
# Room for status, headers and the response envelope around the body.
MAX_RESPONSE_BODY_BYTES = LAMBDA_PAYLOAD_BYTES - 16 * 1024

_ETAG = re.compile(r'\s*(W/)?"([0-9]{1,38})"\s*')

JSON = "application/json"
# arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>
_ASSUMED_ROLE_SESSION = re.compile(r"(?P<role>arn:[^:]+:sts::[0-9]*:assumed-role/[^/]+)/.*")
#: RFC 7396's media type: the only body PATCH accepts.
MERGE_PATCH = "application/merge-patch+json"


@dataclass(frozen=True)
class Request:
    """The parts of an API Gateway proxy event the service uses."""

    method: str
    resource: str
    path: str
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: str | None
    is_base64: bool
    stage: str | None
    request_id: str
    deadline: float  # time.monotonic() by which work must stop to answer in time
    caller: str = ""
    """Who signed or authorized the request, where the authorization mode says, with the
    mode's prefix: the IAM principal's ARN (an assumed role's without the session), the
    Cognito user's ``sub``, a custom authorizer's ``principalId`` or the API key's id;
    else empty."""
    claims: dict[str, str] = field(default_factory=dict)
    """The verified claims: a Cognito user's token claims, or a custom authorizer's
    context values, each as a string; where ``Tenancy`` reads the tenant."""
    groups: frozenset[str] = frozenset()
    """The caller's groups, where the authorization says: Cognito's ``cognito:groups``
    claim, or a custom authorizer's ``groups`` context value (comma-separated)."""
    claim: Claim | None = None
    """The write's Idempotency-Key, once idempotency.py has looked it up."""

    @property
    def principal(self) -> str | None:
        """Who the caller is, as a version's ``written_by`` records it: the Cognito
        ``sub``, the IAM principal's ARN (an assumed role's, without the session), a custom
        authorizer's ``principalId``, or ``api-key:<id>``; None without an identity."""
        if not self.caller:
            return None
        mode, _, identity = self.caller.partition(":")
        return self.caller if mode == "api-key" else identity


@dataclass(frozen=True)
class Response:
    """A Lambda proxy response."""

    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def with_headers(self, headers: Mapping[str, str]) -> Response:
        """A copy with ``headers`` added."""
        return Response(self.status, self.body, {**self.headers, **headers})

    def to_lambda(self) -> dict[str, Any]:
        """The dict API Gateway expects back from a proxy integration."""
        return {
            "statusCode": self.status,
            "headers": self.headers,
            "body": self.body,
            "isBase64Encoded": False,
        }


def parse_event(event: Mapping[str, Any], fallback_request_id: str, deadline: float) -> Request:
    """Read a proxy event; absent maps arrive as null, so every field is defaulted."""
    context = event.get("requestContext")
    context = context if isinstance(context, Mapping) else {}
    body = event.get("body")
    return Request(
        method=str(event.get("httpMethod") or ""),
        resource=str(event.get("resource") or ""),
        path=str(event.get("path") or ""),
        path_params=_str_map(event.get("pathParameters")),
        query=_str_map(event.get("queryStringParameters")),
        headers={k.lower(): v for k, v in _str_map(event.get("headers")).items()},
        body=body if isinstance(body, str) else None,
        is_base64=bool(event.get("isBase64Encoded")),
        stage=context.get("stage") if isinstance(context.get("stage"), str) else None,
        request_id=str(context.get("requestId") or fallback_request_id),
        deadline=deadline,
        caller=_caller(context),
        claims=_claims(context),
        groups=_groups(context),
    )


def _caller(context: Mapping[str, Any]) -> str:
    """The identity API Gateway vouches for: a Cognito ``sub``, a custom authorizer's
    ``principalId``, an IAM ARN or an API key."""
    authorizer = context.get("authorizer")
    authorizer = authorizer if isinstance(authorizer, Mapping) else {}
    claims = authorizer.get("claims")
    if isinstance(claims, Mapping) and isinstance(claims.get("sub"), str) and claims["sub"]:
        return f"cognito:{claims['sub']}"
    if isinstance(authorizer.get("principalId"), str) and authorizer["principalId"]:
        return f"custom:{authorizer['principalId']}"
    identity = context.get("identity")
    identity = identity if isinstance(identity, Mapping) else {}
    if isinstance(identity.get("userArn"), str) and identity["userArn"]:
        return f"iam:{_principal(identity['userArn'])}"
    if isinstance(identity.get("apiKeyId"), str) and identity["apiKeyId"]:
        return f"api-key:{identity['apiKeyId']}"
    return ""


def _claims(context: Mapping[str, Any]) -> dict[str, str]:
    """A Cognito user's claims, or a custom authorizer's context values (strings only)."""
    authorizer = context.get("authorizer")
    if not isinstance(authorizer, Mapping):
        return {}
    claims = authorizer.get("claims")
    source = claims if isinstance(claims, Mapping) else authorizer
    return {k: v for k, v in source.items() if isinstance(k, str) and isinstance(v, str)}


def _groups(context: Mapping[str, Any]) -> frozenset[str]:
    """The groups API Gateway passes: ``cognito:groups`` of a Cognito user's claims, or a
    custom authorizer's ``groups``. REST APIs pass a list claim as a string, comma- or
    space-separated, sometimes in brackets (``[a b]``), so each form is read."""
    authorizer = context.get("authorizer")
    if not isinstance(authorizer, Mapping):
        return frozenset()
    claims = authorizer.get("claims")
    value = claims.get("cognito:groups") if isinstance(claims, Mapping) else None
    if value is None:
        value = authorizer.get("groups")
    if isinstance(value, list):
        return frozenset(item for item in value if isinstance(item, str) and item)
    if not isinstance(value, str):
        return frozenset()
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return frozenset(part for part in re.split(r"[,\s]+", text) if part)


def _principal(arn: str) -> str:
    """An IAM caller's stable identity: an assumed role's ARN without its session name.

    The session name changes when the caller's credentials are refreshed (botocore names
    each session anew), while the caller and its retries stay the same.
    """
    session = _ASSUMED_ROLE_SESSION.fullmatch(arn)
    return arn if session is None else session["role"]


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def body_bytes(request: Request, media_type: str = JSON) -> bytes:
    """The raw request body: present, of ``media_type``, base64-decoded and within limits.

    A JSON body may come without ``Content-Type``; a merge patch must say what it is.
    """
    if not request.body:
        raise InvalidBody("a JSON object body is required")
    _check_content_type(request.headers.get("content-type", ""), media_type)
    if request.is_base64:
        # Refuse before decoding what could only decode to too much.
        if len(request.body) > (MAX_BODY_BYTES + 2) // 3 * 4:
            raise _too_large()
        try:
            raw = base64.b64decode(request.body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidBody("the body is marked base64 but is not valid base64") from None
    else:
        try:
            raw = request.body.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidJson("the body is not valid UTF-8") from None
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    return raw


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"the body exceeds {MAX_BODY_BYTES} bytes")


def _check_content_type(value: str, accepted: str) -> None:
    """415 unless ``value`` names ``accepted`` (UTF-8 if a charset is given).

    Exactly: a merge patch sent to PUT would otherwise replace the whole item, and a
    whole item sent to PATCH would merge into it.
    """
    if not value.strip() and accepted == JSON:
        return  # lenient: a missing Content-Type is taken to be JSON
    media_type, *params = (part.strip().lower() for part in value.split(";"))
    charsets = [p.partition("=")[2].strip('"') for p in params if p.startswith("charset=")]
    if media_type != accepted or any(charset not in ("utf-8", "utf8") for charset in charsets):
        headers = {"Accept-Patch": accepted} if accepted == MERGE_PATCH else {}
        raise UnsupportedMediaType(f"send the body as {accepted} (UTF-8)", headers)


def if_match(request: Request) -> frozenset[int] | None:
    """The versions an If-Match header accepts; None when absent or ``*``."""
    value = request.headers.get("if-match")
    if value is None or value.strip() == "*":
        return None
    matches = [_ETAG.fullmatch(tag) for tag in value.split(",")]
    if not all(matches):
        raise InvalidParameter('If-Match must be "*" or ETags like "1700000000000"')
    # If-Match compares strongly: a weak tag (W/"...") never matches.
    return frozenset(int(m.group(2)) for m in matches if m and not m.group(1))


def if_none_match(request: Request) -> bool:
    """Whether the write is only to create (``If-None-Match: *``); no other value is meant
    for writes, so any is a 400."""
    value = request.headers.get("if-none-match")
    if value is None:
        return False
    if value.strip() != "*":
        raise InvalidParameter('a write\'s If-None-Match must be "*" (create only if absent)')
    return True


def etag(timestamp: int) -> str:
    """The strong ETag of a version: its timestamp, quoted."""
    return f'"{timestamp}"'


def response_size(text: str) -> int:
    """Bytes that ``text``, as sent (see :func:`text_response`), takes in Lambda's answer.

    Python 3.12 and later runtimes write the answer as UTF-8 JSON without escaping
    non-ASCII, so a character costs its UTF-8 bytes; only quotes and backslashes grow,
    escaped once more inside the answer's ``body`` string.
    """
    return len(text.encode("utf-8")) + text.count('"') + text.count("\\")


def json_response(status: int, payload: Json, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response built from a value."""
    return text_response(status, codec.dumps(payload), headers)


def text_response(status: int, text: str, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response from JSON text, sent with non-ASCII characters as UTF-8."""
    return Response(
        status=status,
        body=codec.readable(text),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
