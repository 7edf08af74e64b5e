"""Cached reads that follow writes: each change event refreshes the item's cached GETs.

An EventBridge rule on the change events' bus invokes :func:`handler` with each event of
this service. It asks the stage for ``GET /<collection>/{id}`` and the first page of
``GET /<collection>/{id}/versions`` with ``Cache-Control: max-age=0``, signed with
SigV4: API Gateway then answers from the function, not from the cache, and caches that
answer for the next reader. The function's role holds ``execute-api:Invoke`` and
``execute-api:InvalidateCache`` on exactly those two methods. List and query pages, and
other pages of ``/versions``, are not refreshed.
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
    """Refresh the cached reads of the item ``event`` is about; 4xx answers are fine
    (a deleted item's GET is a 404, and that is what is cached)."""
    detail = event["detail"]
    item = f"/{quote(detail['collection'], safe='')}/{quote(detail['id'], safe='')}"
    statuses = {path: refresh(path) for path in (item, f"{item}/versions")}
    return {"refreshed": statuses}


def refresh(path: str) -> int:
    """GET ``path`` of the stage with ``Cache-Control: max-age=0``, signed; its status."""
    settings = config.refresh_settings()
    url = settings.api_url.rstrip("/") + path
    request = AWSRequest(method="GET", url=url, headers={"Cache-Control": "max-age=0"})
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
        raise RefreshFailed(f"GET {path} failed: {error}") from error
    if status >= 500 or status in (401, 403):
        raise RefreshFailed(f"GET {path} answered {status}")
    return status


@functools.cache
def _session() -> boto3.session.Session:
    """One boto3 session per container: it finds and refreshes the role's credentials."""
    return boto3.session.Session()
