"""Lambda entry point: ``item_service.handler.handler``."""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any, Protocol

from . import clients, logs
from .backfill import Readiness
from .config import cors_policy, settings
from .cors import cors_headers
from .errors import as_api_error, internal_error_payload
from .http import json_response, parse_event
from .idempotency import Idempotency
from .repository import ItemRepository
from .router import Router, item_routes
from .service import ItemService

# Stop retrying writes this long before the function would time out, to answer.
ANSWER_MARGIN_SECONDS = 1.0
# API Gateway gives up after 29 s, whatever the function's timeout.
MAX_WORK_SECONDS = 25.0


class LambdaContext(Protocol):
    """The part of the Lambda context object used here."""

    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds before the function times out."""


@functools.cache
def router() -> Router:
    """The routes, built once per container on the first request."""
    served = settings()
    service = ItemService(repository(), served, Readiness(served, clients.dynamodb()))
    return item_routes(service, served.collection)


@functools.cache
def idempotency() -> Idempotency:
    """Idempotency-Key handling for the writes, built once per container."""
    return Idempotency(repository(), settings().collection, settings().tenancy)


@functools.cache
def repository() -> ItemRepository:
    """The data access of the collection, shared by the routes and Idempotency-Key."""
    return ItemRepository(settings(), clients.dynamodb(), clients.s3)


def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Answer one API Gateway proxy event; never raises."""
    started = time.perf_counter()
    budget = context.get_remaining_time_in_millis() / 1000 - ANSWER_MARGIN_SECONDS
    deadline = time.monotonic() + min(budget, MAX_WORK_SECONDS)
    request = parse_event(event, context.aws_request_id, deadline)
    route: str | None = None
    error_code: str | None = None
    try:
        match = router().resolve(request)
        route = match.template
        response = idempotency().run(request, match)
    except Exception as error:
        # Writes are single transactions, so a failure here leaves no partial data.
        api_error = as_api_error(error)
        if api_error is not None:
            error_code = api_error.code
            response = json_response(api_error.status, api_error.payload(), api_error.headers)
        else:
            error_code = "internal_error"
            logs.log_unexpected(request.request_id, error)
            response = json_response(500, internal_error_payload(request.request_id))
    response = response.with_headers(cors_headers(cors_policy(), request.headers.get("origin")))
    logs.log_request(
        request_id=request.request_id,
        method=request.method,
        route=route,
        status=response.status,
        latency_ms=(time.perf_counter() - started) * 1000,
        error_code=error_code,
    )
    return response.to_lambda()
