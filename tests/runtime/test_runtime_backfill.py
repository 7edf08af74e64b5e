"""An index added to a collection that holds items: the backfill gives every live item
its keys, queries wait for it (503 ``index_building``), a concurrent write wins, an
interrupted backfill resumes where it stopped, and a second run changes nothing."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from cdk_serverless_crud.contract.access import Allow, Tenancy

from .conftest import CollectionUnderTest, MakeCollection
from .helpers import Api
from .test_runtime_tenancy import _call as _tenant_call


@pytest.fixture
def orders(make_collection: MakeCollection) -> CollectionUnderTest:
    return make_collection("orders", indexes={"status": "S", "total": "N"})


def _backfill(orders: CollectionUnderTest, **kwargs: Any) -> Any:
    clients = orders.module("clients")
    return orders.module("backfill").Backfill(
        orders.module("config").settings(), clients.dynamodb(), clients.s3, **kwargs
    )


def _heads(aws: SimpleNamespace, orders: CollectionUnderTest) -> list[dict[str, Any]]:
    items = aws.dynamodb.scan(TableName=orders.table)["Items"]
    return [item for item in items if item["timestamp"]["N"] == "0" and "latest" in item]


def _as_before_the_index(
    aws: SimpleNamespace,
    orders: CollectionUnderTest,
    indexes: Sequence[str] = ("by-status", "by-total"),
) -> None:
    """Take every index key off the heads, as items written before the index have none,
    and mark the indexes as a deploy that adds them does."""
    for head in _heads(aws, orders):
        keys = [name for name in head if name.startswith(("ix_", "ox_"))]
        if keys:
            aws.dynamodb.update_item(
                TableName=orders.table,
                Key={"id": head["id"], "timestamp": head["timestamp"]},
                UpdateExpression="REMOVE " + ", ".join(keys),
            )
    _backfill(orders).start(indexes)


def _create(api: Api, n: int, **data: Any) -> list[str]:
    return sorted(api.create(data).json()["id"] for _ in range(n))


def test_a_query_waits_for_the_backfill_then_finds_every_item(
    aws: SimpleNamespace, orders: CollectionUnderTest
) -> None:
    api = orders.api
    shipped = _create(orders.api, 7, status="shipped", total=3)
    _create(orders.api, 4, status="new")
    _as_before_the_index(aws, orders)

    waiting = api.request("GET", "/orders", query={"status": "shipped"})
    assert (waiting.status, waiting.error_code) == (503, "index_building")
    assert waiting.headers["Retry-After"] == "60"
    assert "status" in waiting.json()["error"]["message"]
    assert len(api.pages({"limit": "5"})[0]) == 5, "the listing is served meanwhile"

    progress = _backfill(orders).run(math.inf)

    assert (progress.done, progress.scanned, progress.written) == (True, 11, 11)
    pages = api.pages({"status": "shipped", "limit": "3"})
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [item["id"] for page in pages for item in page] == shipped
    assert len(api.pages({"total": "3"})[0]) == 7


def test_a_write_during_the_backfill_wins_with_its_own_keys(
    aws: SimpleNamespace, orders: CollectionUnderTest
) -> None:
    api = orders.api
    (item_id,) = _create(api, 1, status="new")
    _as_before_the_index(aws, orders)
    (stale,) = _heads(aws, orders)  # what the backfill's scan read
    api.request("PUT", f"/orders/{item_id}", {"status": "shipped"})
    backfill = _backfill(orders)
    progress = orders.module("backfill").Progress()
    indexes = orders.module("config").settings().indexes

    backfill._fill(stale, indexes, progress)

    assert (progress.written, progress.lost_races) == (0, 1)
    assert backfill.run(math.inf).written == 0, "the write gave the head its keys"
    assert [i["id"] for i in api.pages({"status": "shipped"})[0]] == [item_id]
    assert api.pages({"status": "new"}) == [[]]


def test_an_interrupted_backfill_resumes_without_redoing_a_page(
    aws: SimpleNamespace, orders: CollectionUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = _create(orders.api, 25, status="new")
    _as_before_the_index(aws, orders)
    monkeypatch.setattr(orders.module("backfill"), "PAGE_SIZE", 10)
    ticks = itertools.count()
    # The clock passes the deadline after the first page: the invocation ends there.
    first = _backfill(orders, clock=lambda: next(ticks)).run(deadline=1)

    assert (first.done, first.scanned, first.written) == (False, 10, 10)
    waiting = orders.api.request("GET", "/orders", query={"status": "new"})
    assert waiting.error_code == "index_building"

    # A deploy that only removes an index does not restart the job in progress.
    _backfill(orders).start((), removed=["by-gone"])
    rest = _backfill(orders).run(math.inf)

    assert (rest.done, rest.scanned, rest.written) == (True, 15, 15)
    pages = orders.api.pages({"status": "new", "limit": "100"})
    assert [item["id"] for item in pages[0]] == created


def test_running_the_backfill_again_changes_nothing(
    aws: SimpleNamespace, orders: CollectionUnderTest
) -> None:
    _create(orders.api, 3, status="new", total=1)
    _as_before_the_index(aws, orders)
    assert _backfill(orders).run(math.inf).written == 3
    before = _heads(aws, orders)

    _backfill(orders).start(["by-status"])
    again = _backfill(orders).run(math.inf)

    assert (again.done, again.scanned, again.written) == (True, 3, 0)
    assert _heads(aws, orders) == before


def test_an_offloaded_body_is_read_from_s3_and_a_tombstone_stays_out(
    aws: SimpleNamespace, orders: CollectionUnderTest
) -> None:
    api = orders.api
    large = api.create({"status": "big", "blob": "x" * 400_000}).json()["id"]
    (deleted,) = _create(api, 1, status="big")
    api.request("DELETE", f"/orders/{deleted}")
    _as_before_the_index(aws, orders)

    progress = _backfill(orders).run(math.inf)

    assert (progress.scanned, progress.written) == (1, 1), "the listing holds live heads only"
    assert [item["id"] for item in api.pages({"status": "big"})[0]] == [large]


def test_each_tenants_items_get_their_tenants_and_owners_keys(
    aws: SimpleNamespace, make_collection: MakeCollection
) -> None:
    """The keys come from the stored key's tenant and the head's owner: after the
    backfill, each tenant's admin finds its own items by status, an owner its own."""
    projects = make_collection(
        "projects",
        indexes={"status": "S"},
        tenancy=Tenancy.claim("custom:org"),
        access=[Allow.owner(), Allow.group("admins")],
    )
    made = {
        who: _tenant_call(projects, who, "POST", data={"status": "open"}).json()["id"]
        for who in ("alice@acme", "bob@acme", "alice@globex")
    }
    _as_before_the_index(aws, projects, ["by-status"])
    assert _tenant_call(projects, "admin@acme", "GET", query={"status": "open"}).status == 503

    assert _backfill(projects).run(math.inf).written == 3

    def found(who: str) -> set[str]:
        answer = _tenant_call(projects, who, "GET", query={"status": "open"})
        assert answer.status == 200, answer.body
        return {item["id"] for item in answer.json()["items"]}

    assert found("admin@acme") == {made["alice@acme"], made["bob@acme"]}
    assert found("admin@globex") == {made["alice@globex"]}
    assert found("alice@acme") == {made["alice@acme"]}, "the owners' index is filled too"
