"""Cached reads that follow writes in local mode: the template's rule on the change
events' bus invokes the cache refresher, which GETs the item with max-age=0, signed.

Its own module: local mode serves one app per process at a time, and the events module
keeps its app served for all its tests.
"""

from __future__ import annotations

import time
from pathlib import Path

from .apps import REFRESHING
from .conftest import Client, serve
from .test_local_events import read_until


def test_with_invalidate_cache_a_cached_read_follows_the_write(local_apps_cdk_out: Path) -> None:
    with serve(local_apps_cdk_out, stack=REFRESHING) as running:
        client = Client(running.url)
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

        assert running.events.failures == []
    assert reply.json()["data"] == {"v": 2}
    assert reply.headers["X-Cache"] == "Hit"  # the refresher's answer, now in the cache
    assert latest.headers["X-Cache"] == "Hit"
    assert latest.json()["versions"][0]["data"] == {"v": 2}
    print(f"local mode: a cached read followed the write after {delay * 1000:.0f} ms")
