"""Structured JSON logs: one line per request, never an item body.

Only fields chosen here are logged; exception messages are left out because
they can quote request data (botocore's validation errors quote values).
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback

from botocore.exceptions import ClientError

# Named after the module, so two copies (asset and package) never share handlers.
_logger = logging.getLogger(__name__)


class _JsonLinesToStdout(logging.Handler):
    """Writes each record's fields as one JSON line to the current sys.stdout."""

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", {})
        line = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
            **fields,
        }
        sys.stdout.write(json.dumps(line, default=str) + "\n")


# Lambda's root handler would prefix every line with text; ours stays pure JSON.
# Assigned, not added: importing this module again (local mode reloads the
# asset) must not log every line twice.
_logger.handlers = [_JsonLinesToStdout()]
_logger.setLevel(logging.INFO)
_logger.propagate = False


def log_request(
    *,
    request_id: str,
    method: str,
    route: str | None,
    status: int,
    latency_ms: float,
    error_code: str | None,
) -> None:
    """Log one answered request."""
    fields = {
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": status,
        "latency_ms": round(latency_ms, 3),
    }
    if error_code is not None:
        fields["error_code"] = error_code
    _logger.info("request", extra={"fields": fields})


def log_unexpected(request_id: str, error: BaseException) -> None:
    """Log an unexpected failure: its type, AWS error code and stack, not its message."""
    fields: dict[str, object] = {
        "request_id": request_id,
        "error_type": type(error).__name__,
        "traceback": traceback.format_list(traceback.extract_tb(error.__traceback__)),
    }
    if isinstance(error, ClientError):
        fields["aws_error_code"] = error.response.get("Error", {}).get("Code")
    _logger.error("unexpected error", extra={"fields": fields})


def log_event(message: str, **fields: object) -> None:
    """Log one event of a job (the index backfill), with fields chosen by the caller."""
    _logger.info(message, extra={"fields": fields})


def error_summary(error: BaseException) -> str:
    """What may be said of a failure: its type and AWS error code, never its message
    (which can quote data)."""
    if isinstance(error, ClientError):
        return f"{type(error).__name__} {error.response.get('Error', {}).get('Code')}"
    return type(error).__name__
