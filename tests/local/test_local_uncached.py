"""``cache_ttl=0`` turns the stage cache off, in local mode as in the template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .apps import UNCACHED
from .conftest import Client, serve


@pytest.fixture(scope="module")
def uncached(local_apps_cdk_out: Path) -> Iterator[Client]:
    with serve(local_apps_cdk_out, stack=UNCACHED) as running:
        yield Client(running.url)


def test_a_ttl_of_0_answers_every_get_fresh(uncached: Client) -> None:
    created = uncached.request("POST", "/items", {"name": "widget"})
    assert created.status == 201
    item_id = created.json()["id"]
    for path in ("/items", f"/items/{item_id}", f"/items/{item_id}/versions"):
        answers = [uncached.request("GET", path) for _ in range(2)]
        assert [a.status for a in answers] == [200, 200]
        assert [a.headers.get("X-Cache") for a in answers] == [None, None], path


def test_a_ttl_of_0_shows_a_write_at_once(uncached: Client) -> None:
    item_id = uncached.request("POST", "/items", {"name": "before"}).json()["id"]
    assert uncached.request("GET", f"/items/{item_id}").json()["data"] == {"name": "before"}
    current = uncached.request("GET", f"/items/{item_id}")
    updated = uncached.request(
        "PUT", f"/items/{item_id}", {"name": "after"}, headers={"If-Match": current.headers["ETag"]}
    )
    assert updated.status == 200, updated.body
    assert uncached.request("GET", f"/items/{item_id}").json()["data"] == {"name": "after"}
