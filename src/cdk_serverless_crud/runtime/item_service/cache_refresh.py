"""Cached reads that follow writes: each change event refreshes the item's cached GETs.

An EventBridge rule on the change events' bus invokes :func:`handler` with each event of
this service. It asks the stage for ``GET /<collection>/{id}`` and the first page of
``GET /<collection>/{id}/versions`` with ``Cache-Control: max-age=0``, signed with
SigV4: API Gateway then answers from the function, not from the cache, and caches that
answer for the next reader. The function's role holds ``execute-api:Invoke`` and
``execute-api:InvalidateCache`` on exactly those two methods. List and query pages, and
other pages of ``/versions``, are not refreshed.

With several CORS origins, ``Origin`` is part of the cache key (each answer names its
own origin), so every origin in ``REFRESH_ORIGINS`` gets its own GETs with that
``Origin``, besides the ones without: ``2 * (origins + 1)`` requests per change, one
after another, each a read by the item function.
"""

from __future__ import annotations

import functools
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from . import config

#: How long one refresh request may take; the stage answers within 29 seconds.
TIMEOUT_SECONDS = 10


class RefreshFailed(Exception):
    """The stage did not answer a refresh: EventBridge retries the event."""


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Refresh the cached reads of the item ``event`` is about, without ``Origin`` and
    then for each origin the stage caches apart; 4xx answers are fine (a deleted item's
    GET is a 404, and that is what is cached)."""
    detail = event["detail"]
    item = f"/{quote(detail['collection'], safe='')}/{quote(detail['id'], safe='')}"
    paths = (item, f"{item}/versions")
    answer: dict[str, Any] = {"refreshed": {path: refresh(path) for path in paths}}
    origins = config.refresh_settings().origins
    if origins:
        answer["refreshed_for_origins"] = {
            origin: {path: refresh(path, origin) for path in paths} for origin in origins
        }
    return answer


def refresh(path: str, origin: str | None = None) -> int:
    """GET ``path`` of the stage with ``Cache-Control: max-age=0``, signed, and with
    ``Origin`` when given (that origin's cache entry); its status."""
    settings = config.refresh_settings()
    url = settings.api_url.rstrip("/") + path
    headers = {"Cache-Control": "max-age=0"}
    if origin is not None:
        headers["Origin"] = origin
    request = AWSRequest(method="GET", url=url, headers=headers)
    credentials = _session().get_credentials()
    if credentials is not None:
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", settings.region).add_auth(
            request
        )
    prepared = urllib.request.Request(url, method="GET", headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(prepared, timeout=TIMEOUT_SECONDS) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        raise RefreshFailed(f"GET {path}{_for(origin)} failed: {error}") from error
    if status >= 500 or status in (401, 403):
        raise RefreshFailed(f"GET {path}{_for(origin)} answered {status}")
    return status


def _for(origin: str | None) -> str:
    return "" if origin is None else f" (Origin: {origin})"


@functools.cache
def _session() -> boto3.session.Session:
    """One boto3 session per container: it finds and refreshes the role's credentials."""
    return boto3.session.Session()
