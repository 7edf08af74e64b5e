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
from cdk_serverless_crud.contract.collection import Index

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
        keys = [name for name in head if name.startswith(("ix_", "ox_", "sx_"))]
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


def _as_before_the_job(
    aws: SimpleNamespace, collection: CollectionUnderTest
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The table as a deploy that staged its attribute indexes leaves it before the job
    runs: without them, and with ``by-gone``, an index the deploy before staged.

    Returns the staged indexes as the template's ``TableIndexes`` lists them, and
    ``by-gone``'s."""
    dynamodb = aws.dynamodb
    table = dynamodb.describe_table(TableName=collection.table)["Table"]
    definitions = {a["AttributeName"]: a for a in table["AttributeDefinitions"]}

    def spec(index: dict[str, Any]) -> dict[str, Any]:
        keys = index["KeySchema"]
        return {
            "IndexName": index["IndexName"],
            "KeySchema": keys,
            "Projection": {"ProjectionType": "ALL"},
            "AttributeDefinitions": [definitions[key["AttributeName"]] for key in keys],
        }

    staged = [spec(i) for i in table["GlobalSecondaryIndexes"] if i["IndexName"] != "latest-items"]
    gone = {
        "IndexName": "by-gone",
        "KeySchema": [
            {"AttributeName": "ix_gone", "KeyType": "HASH"},
            {"AttributeName": "id", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
        "AttributeDefinitions": [
            {"AttributeName": "ix_gone", "AttributeType": "S"},
            definitions["id"],
        ],
    }
    for index in staged:
        dynamodb.update_table(
            TableName=collection.table,
            GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index["IndexName"]}}],
        )
    dynamodb.update_table(
        TableName=collection.table,
        AttributeDefinitions=gone["AttributeDefinitions"],
        GlobalSecondaryIndexUpdates=[
            {"Create": {k: gone[k] for k in ("IndexName", "KeySchema", "Projection")}}
        ],
    )
    return staged, gone


def test_the_job_changes_the_indexes_one_per_update_and_queries_wait_for_it(
    aws: SimpleNamespace, make_collection: MakeCollection
) -> None:
    """A deploy that adds five indexes and removes one (the table template has none of
    them) is staged: the start phase marks what it will create, every query of those
    waits, and the job asks DynamoDB for one index change per UpdateTable, each once the
    change before it is done, then the queries find the items written before."""
    projects = make_collection(
        "projects",
        indexes={"status": "S", "kind": "S"},
        tenancy=Tenancy.claim("custom:org"),
        access=[Allow.owner(), Allow.group("admins")],
    )
    mine = _tenant_call(projects, "alice@acme", "POST", data={"status": "open", "kind": "a"})
    _tenant_call(projects, "bob@acme", "POST", data={"status": "open", "kind": "b"})
    staged, gone = _as_before_the_job(aws, projects)
    start = {
        "RequestType": "Update",
        "PhysicalResourceId": "projects/index-backfill/start",
        "ResourceProperties": {"Phase": "start", "Indexes": [], "TableIndexes": staged},
        "OldResourceProperties": {"Phase": "start", "Indexes": [], "TableIndexes": [gone]},
    }

    projects.module("backfill_resource")._on_request(start, None)

    for who, query in (("alice@acme", {}), ("admin@acme", {"status": "open"})):
        waiting = _tenant_call(projects, who, "GET", query=query)
        assert (waiting.status, waiting.error_code) == (503, "index_building"), who
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        table = aws.dynamodb.describe_table(TableName=projects.table)["Table"]
        states = {i["IndexStatus"] for i in table.get("GlobalSecondaryIndexes", [])}
        assert states == {"ACTIVE"}, "a change is asked only once the one before is done"
        calls.append(params)

    client = projects.module("clients").dynamodb()
    client.meta.events.register("provide-client-params.dynamodb.UpdateTable", record)
    try:
        ticks = itertools.count()
        progress = _backfill(projects, clock=lambda: next(ticks), sleep=lambda s: None).run(50)
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.UpdateTable", record)

    assert progress.done
    assert progress.index_changes == [
        "Delete by-gone",
        "Create by-kind",
        "Create by-status",
        "Create owned-by-kind",
        "Create owned-by-status",
        "Create owned-items",
    ]
    assert [len(call["GlobalSecondaryIndexUpdates"]) for call in calls] == [1] * 6
    described = aws.dynamodb.describe_table(TableName=projects.table)["Table"]
    assert {i["IndexName"] for i in described["GlobalSecondaryIndexes"]} == {
        "latest-items",
        *(index["IndexName"] for index in staged),
    }
    listed = _tenant_call(projects, "alice@acme", "GET")
    assert [item["id"] for item in listed.json()["items"]] == [mine.json()["id"]]
    assert (
        len(_tenant_call(projects, "admin@acme", "GET", query={"status": "open"}).json()["items"])
        == 2
    )
    assert _backfill(projects).run(math.inf).index_changes == [], "a second run changes nothing"


def test_a_sort_added_to_an_index_is_backfilled_in_sort_order(
    aws: SimpleNamespace, make_collection: MakeCollection
) -> None:
    """Index("customer_id", sort="placed_at") on orders written before it: the backfill
    writes each head's sort key, and the query answers in placed_at order."""
    orders = make_collection(
        "orders",
        schema={
            "type": "object",
            "properties": {
                "customer_id": {"type": "string"},
                "placed_at": {"type": "string", "format": "date-time"},
            },
        },
        sorted_indexes=[Index("customer_id", sort="placed_at")],
    )
    days = [5, 1, 3, 2, 4]
    made = {
        orders.api.create({"customer_id": "c1", "placed_at": f"2026-03-0{d}T00:00:00Z"}).json()[
            "id"
        ]: d
        for d in days
    }
    _as_before_the_index(aws, orders, ["by-customer_id.placed_at"])

    assert _backfill(orders).run(math.inf).written == 5
    pages = orders.api.pages({"customer_id": "c1", "limit": "2", "order": "desc"})
    assert [item["id"] for page in pages for item in page] == sorted(
        made, key=made.__getitem__, reverse=True
    )
