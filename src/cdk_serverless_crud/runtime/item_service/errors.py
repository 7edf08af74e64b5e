"""Typed failures and the one place where they become HTTP answers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as AwsUnreachable

if TYPE_CHECKING:
    from .codec import Json


class ApiError(Exception):
    """A failure the client caused or can act on; carries its HTTP status and code."""

    status: ClassVar[int] = 400
    code: ClassVar[str]

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        """``message`` is shown to the client (never quote the body); ``headers`` too."""
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    def payload(self) -> Json:
        """The JSON error envelope: ``{"error": {"code": ..., "message": ...}}``."""
        return {"error": {"code": self.code, "message": self.message}}


class InvalidJson(ApiError):
    """The body is not valid UTF-8 JSON, or uses NaN/Infinity or duplicate keys."""

    code = "invalid_json"


@dataclass(frozen=True)
class Detail:
    """One failing field of a body: an RFC 6901 pointer into it and what is wrong there."""

    pointer: str
    message: str

    @classmethod
    def at(cls, path: Iterable[str], message: str) -> Detail:
        """The detail for the value at ``path`` (keys, and indexes as digits)."""
        pointer = "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in path)
        return cls(pointer=pointer, message=message)


class InvalidBody(ApiError):
    """The body is valid JSON but not a storable item (not an object, too deep...).

    ``details`` name the failing fields when there can be several, such as the
    collection's schema finds; they are listed under ``error.details``.
    """

    code = "invalid_body"

    def __init__(self, message: str, details: Sequence[Detail] = ()) -> None:
        """Refuse the body with ``message`` and, optionally, the fields at fault."""
        super().__init__(message)
        self.details = tuple(details)

    def payload(self) -> Json:
        """The error envelope, with ``details: [{"pointer", "message"}]`` if there are any."""
        error: dict[str, Json] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = [
                {"pointer": detail.pointer, "message": detail.message} for detail in self.details
            ]
        return {"error": error}


class TooDeepToParse(InvalidBody):
    """The body nests deeper than Python's JSON parser can recurse (about 1,000 levels)."""

    def __init__(self) -> None:
        """Refuse the body; the caller may know where it became too deep for an item."""
        super().__init__("the body is nested too deeply")


class InvalidParameter(ApiError):
    """A path, query or header parameter is malformed (id, limit, cursor, If-Match)."""

    code = "invalid_parameter"


class NotFound(ApiError):
    """The item does not exist, was deleted, or the path names no route."""

    status = 404
    code = "not_found"


class Forbidden(ApiError):
    """The caller may read the item but not make this change (the collection's access
    rules); nothing was written."""

    status = 403
    code = "forbidden"


class MethodNotAllowed(ApiError):
    """The path exists but not with this method; answers with an Allow header."""

    status = 405
    code = "method_not_allowed"

    def __init__(self, method: str, allowed: list[str]) -> None:
        """Refuse ``method``, listing the ``allowed`` ones."""
        super().__init__(
            f"method {method or '(none)'} is not allowed here",
            {"Allow": ", ".join(allowed)},
        )


class PreconditionFailed(ApiError):
    """If-Match named a version that is no longer the latest."""

    status = 412
    code = "precondition_failed"


class VersionDeleted(ApiError):
    """A restore named a tombstone: there is no data to restore."""

    status = 409
    code = "version_deleted"


class RequestInProgress(ApiError):
    """A request with the same Idempotency-Key is being written; retry to get its answer."""

    status = 409
    code = "request_in_progress"

    def __init__(self) -> None:
        """Ask the client to retry after a second."""
        super().__init__(
            "a request with this Idempotency-Key is in progress; retry to get its answer",
            {"Retry-After": "1"},
        )


class IdempotencyKeyReused(ApiError):
    """The Idempotency-Key was used for a different request (method, path or body)."""

    status = 422
    code = "idempotency_key_reused"


class KeyClaimed(Exception):
    """Another write took this Idempotency-Key first; its answer is to be replayed."""


class PayloadTooLarge(ApiError):
    """The body exceeds what Lambda accepts or could ever return."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    """A body was sent with a Content-Type that is not JSON."""

    status = 415
    code = "unsupported_media_type"


class TooMuchContention(ApiError):
    """Concurrent writers to one item kept winning; the client should retry."""

    status = 503
    code = "too_much_contention"

    def __init__(self, message: str) -> None:
        """Ask the client to retry after a second."""
        super().__init__(message, {"Retry-After": "1"})


class IndexBuilding(ApiError):
    """The index a query needs is still being filled with the items already stored
    (backfill.py); the client should retry."""

    status = 503
    code = "index_building"
    #: The stage cache's default TTL: API Gateway may serve this answer from its cache
    #: that long.
    retry_after_seconds = 60

    def __init__(self, attribute: str) -> None:
        """Ask the client to come back once the backfill has had time to run."""
        super().__init__(
            f"the index on {attribute} is being built for the items already stored; "
            f"retry in {self.retry_after_seconds} seconds",
            {"Retry-After": str(self.retry_after_seconds)},
        )


class ServiceBusy(ApiError):
    """AWS throttled a call after boto3's own retries; the client should retry."""

    status = 503
    code = "service_busy"

    def __init__(self) -> None:
        """Ask the client to retry after a second."""
        super().__init__("the service is busy; retry", {"Retry-After": "1"})


class ServiceUnavailable(ApiError):
    """DynamoDB or S3 failed, or did not answer, after boto3's retries; nothing was
    written, and the client should retry."""

    status = 503
    code = "service_unavailable"

    def __init__(self) -> None:
        """Ask the client to retry after a second."""
        super().__init__("AWS is unavailable for a moment; retry", {"Retry-After": "1"})


class WriteOutcomeUnknown(ApiError):
    """The write's transaction was sent but its answer lost (a timeout, an internal error
    of DynamoDB): it may or may not have been stored."""

    status = 503
    code = "write_outcome_unknown"

    def __init__(self) -> None:
        """Say that the write may have happened, and how to find out safely."""
        super().__init__(
            "the write may or may not have been stored; retry with the same Idempotency-Key "
            "to get its answer without writing twice, or read the item to see",
            {"Retry-After": "1"},
        )


# What DynamoDB and S3 answer when they throttle: capacity, request rate or account
# limits. They are worth a retry, unlike every other failure.
_THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
_THROTTLING_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
# Failures of DynamoDB or S3 itself that a retry can get past. On TransactWriteItems
# they leave the outcome unknown, which the repository answers itself.
_TRANSIENT_CODES = frozenset(
    {
        "InternalServerError",  # DynamoDB
        "ServiceUnavailable",  # DynamoDB and S3
        "InternalError",  # S3
        "RequestTimeout",  # S3: the upload's body arrived too slowly
        "TransactionInProgressException",  # DynamoDB
    }
)


def as_api_error(error: Exception) -> ApiError | None:
    """The answer for a failure: its own for an ApiError, 503 for throttling and for
    transient failures of AWS, else None."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, AwsUnreachable | HTTPClientError):
        # Timeouts and dropped connections after botocore's retries (never a write's
        # transaction, which the repository answers as WriteOutcomeUnknown).
        return ServiceUnavailable()
    if not isinstance(error, ClientError):
        return None
    code = error.response.get("Error", {}).get("Code")
    reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
    if code in _THROTTLING_CODES or (
        code == "TransactionCanceledException"
        and any(reason.get("Code") in _THROTTLING_REASONS for reason in reasons)
    ):
        return ServiceBusy()
    if code in _TRANSIENT_CODES:
        return ServiceUnavailable()
    return None


def internal_error_payload(request_id: str) -> Json:
    """The envelope for unexpected failures: a request id to quote, no details."""
    return {
        "error": {
            "code": "internal_error",
            "message": "internal error; quote the request id when reporting it",
            "request_id": request_id,
        }
    }
