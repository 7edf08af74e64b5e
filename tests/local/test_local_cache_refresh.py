"""Cached reads that follow writes in local mode: the template's rule on the change
events' bus invokes the cache refresher, which GETs the item with max-age=0, signed,
without ``Origin`` and once for each of the stack's several CORS origins.

Its own module: local mode serves one app per process at a time, and the events module
keeps its app served for all its tests. The stage cache's clock stands still, so no
cached answer expires during a test: a fresh one can only come from the refresher.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdk_serverless_crud.local.server import RunningService

from .apps import ADMIN, APP, REFRESHING
from .conftest import Client, serve
from .test_local_events import read_until


@pytest.fixture(scope="module")
def refreshing(local_apps_cdk_out: Path) -> Iterator[RunningService]:
    with serve(local_apps_cdk_out, stack=REFRESHING, clock=lambda: 0.0) as running:
        yield running


def test_with_invalidate_cache_a_cached_read_follows_the_write(
    refreshing: RunningService,
) -> None:
    client = Client(refreshing.url)
    item_id = client.request("POST", "/items", {"v": 1}).json()["id"]
    path = f"/items/{item_id}"
    first = client.request("GET", path)
    versions = client.request("GET", f"{path}/versions")
    assert (first.json()["data"], versions.json()["versions"][0]["data"]) == ({"v": 1},) * 2

    client.request("PUT", path, {"v": 2})
    reply, delay = read_until(client, path, {"v": 2}, 10.0)
    # The refresher asks for the item, then for its first page of versions.
    deadline = time.monotonic() + 10
    while True:
        latest = client.request("GET", f"{path}/versions")
        if latest.json()["versions"][0]["data"] == {"v": 2} or time.monotonic() > deadline:
            break
        time.sleep(0.01)

    assert refreshing.events.failures == []
    assert reply.json()["data"] == {"v": 2}
    assert reply.headers["X-Cache"] == "Hit"  # the refresher's answer, now in the cache
    assert latest.headers["X-Cache"] == "Hit"
    assert latest.json()["versions"][0]["data"] == {"v": 2}
    print(f"local mode: a cached read followed the write after {delay * 1000:.0f} ms")


def test_with_several_origins_a_browsers_cached_read_follows_the_write(
    refreshing: RunningService,
) -> None:
    client = Client(refreshing.url)
    item_id = client.request("POST", "/items", {"v": 1}).json()["id"]
    path = f"/items/{item_id}"
    for origin in (APP, ADMIN):
        # Origin is a cache key: each browser origin has an entry of its own.
        first = client.request("GET", path, headers={"Origin": origin})
        assert (first.headers["X-Cache"], first.json()["data"]) == ("Miss", {"v": 1})

    client.request("PUT", path, {"v": 2})
    replies = {
        origin: read_until(client, path, {"v": 2}, 10.0, headers={"Origin": origin})[0]
        for origin in (APP, ADMIN)
    }

    assert refreshing.events.failures == []
    for origin, reply in replies.items():
        assert reply.json()["data"] == {"v": 2}, origin  # not the entry cached before
        assert reply.headers["X-Cache"] == "Hit", origin  # the refresher's answer
        assert reply.headers["Access-Control-Allow-Origin"] == origin
