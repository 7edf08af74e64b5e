"""Querying by an indexed attribute: one page per Query, each live item once, by value."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from cdk_serverless_crud.local.reads import ReadCounter

from .conftest import CollectionUnderTest, MakeCollection
from .helpers import Api, ApiResponse

INDEXES = {"status": "S", "total": "N"}


@pytest.fixture
def orders(make_collection: MakeCollection) -> CollectionUnderTest:
    return make_collection("orders", indexes=INDEXES)


@pytest.fixture
def api(orders: CollectionUnderTest) -> Api:
    return orders.api


def _ids(pages: list[list[Any]]) -> list[str]:
    return [item["id"] for page in pages for item in page]


def _create(api: Api, n: int, **data: Any) -> list[str]:
    return sorted(api.create(data).json()["id"] for _ in range(n))


def _invalid(response: ApiResponse) -> str:
    assert (response.status, response.error_code) == (400, "invalid_parameter"), response.body
    return str(response.json()["error"]["message"])


def _head(aws: SimpleNamespace, orders: CollectionUnderTest, item_id: str) -> dict[str, Any]:
    key = {"id": {"S": item_id}, "timestamp": {"N": "0"}}
    return dict(aws.dynamodb.get_item(TableName=orders.table, Key=key)["Item"])


def test_a_query_pages_through_the_matching_items_once(api: Api) -> None:
    shipped = _create(api, 5, status="shipped")
    others = _create(api, 3, status="new") + _create(api, 2, total=1)

    pages = api.pages({"status": "shipped", "limit": "2"})

    assert [len(page) for page in pages] == [2, 2, 1]
    assert _ids(pages) == shipped
    assert {item["data"]["status"] for page in pages for item in page} == {"shipped"}
    assert _ids(api.pages({"limit": "4"})) == sorted(shipped + others)


def test_an_update_moves_the_item_and_a_delete_removes_it(api: Api) -> None:
    moved, kept, deleted = _create(api, 3, status="new")

    api.request("PUT", f"/orders/{moved}", {"status": "shipped"})
    api.request("DELETE", f"/orders/{deleted}")

    assert _ids(api.pages({"status": "new"})) == [kept]
    assert _ids(api.pages({"status": "shipped"})) == [moved]
    api.request("PUT", f"/orders/{moved}", {"note": "no status"})
    assert _ids(api.pages({"status": "shipped"})) == []


def test_only_live_heads_carry_the_keys(
    api: Api, aws: SimpleNamespace, orders: CollectionUnderTest
) -> None:
    item_id = api.create({"status": "new", "total": 12.5}).json()["id"]
    head = _head(aws, orders, item_id)
    assert (head["ix_status"], head["ix_total"]) == ({"S": "new"}, {"N": "12.5"})

    api.request("DELETE", f"/orders/{item_id}")
    versions = aws.dynamodb.scan(TableName=orders.table)["Items"]

    assert not [record for record in versions if "ix_status" in record or "ix_total" in record]


def test_a_numeric_index_compares_numbers(api: Api) -> None:
    twelve = _create(api, 1, total=12) + _create(api, 1, total=12.0)
    negative = _create(api, 1, total=-1.5)
    _create(api, 1, total="12")
    _create(api, 1, total=True)

    assert _ids(api.pages({"total": "12"})) == sorted(twelve)
    assert _ids(api.pages({"total": "12.00"})) == sorted(twelve)
    assert _ids(api.pages({"total": "1.2e1"})) == sorted(twelve)
    assert _ids(api.pages({"total": "-1.5"})) == negative


@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "1e999", "1e-999", "12abc", "", " 12", "0x10", "+1", "1.", "."]
)
def test_a_numeric_parameter_must_be_a_storable_json_number(api: Api, value: str) -> None:
    message = _invalid(api.request("GET", "/orders", query={"total": value}))

    assert message.startswith("total")


def test_an_empty_or_oversized_string_parameter_is_refused(api: Api) -> None:
    assert "1 to 2048 bytes" in _invalid(api.request("GET", "/orders", query={"status": ""}))
    too_long = {"status": "é" * 1025}
    assert "1 to 2048 bytes" in _invalid(api.request("GET", "/orders", query=too_long))


def test_cursors_resume_only_their_own_query(api: Api) -> None:
    shipped = _create(api, 3, status="shipped")
    _create(api, 3, status="new")
    query_cursor = api.request("GET", "/orders", query={"status": "shipped", "limit": "1"}).json()[
        "next_cursor"
    ]
    plain_cursor = api.request("GET", "/orders", query={"limit": "1"}).json()["next_cursor"]

    for query in (
        {"status": "new", "cursor": query_cursor},
        {"cursor": query_cursor},
        {"total": "1", "cursor": query_cursor},
        {"status": "shipped", "cursor": plain_cursor},
        {"status": "shipped", "cursor": query_cursor[:-2]},
        {"status": "shipped", "cursor": "x"},
    ):
        assert _invalid(api.request("GET", "/orders", query=query)) == (
            "the cursor is not valid for this listing"
        )
    rest = api.pages({"status": "shipped", "cursor": query_cursor})
    assert _ids(rest) == shipped[1:]


def test_a_numeric_cursor_fits_the_same_number_however_written(api: Api) -> None:
    items = _create(api, 3, total=12)
    first = api.request("GET", "/orders", query={"total": "12", "limit": "1"}).json()

    rest = api.pages({"total": "12.0", "cursor": first["next_cursor"]})

    assert _ids([first["items"], *rest]) == items
    again = {"total": "12.5", "cursor": first["next_cursor"]}
    assert _invalid(api.request("GET", "/orders", query=again))


def test_unindexed_attributes_are_refused_naming_the_indexed_ones(
    make_collection: MakeCollection,
) -> None:
    typed = make_collection("typed", indexes=INDEXES, attributes=["colour"]).api

    message = _invalid(typed.request("GET", "/typed", query={"colour": "red"}))

    assert message == "colour is not an indexed attribute; query by one of: status, total"


def test_parameters_that_name_no_attribute_are_ignored(api: Api) -> None:
    # API Gateway's cache keys on the declared parameters only: a 400 for ?_=123 would
    # be cached as the answer of the plain listing.
    _create(api, 2, status="new")
    plain = api.request("GET", "/orders").json()

    for query in ({"_": "123"}, {"utm_source": "mail", "limit": "25"}):
        assert api.request("GET", "/orders", query=query).json() == plain


def test_one_indexed_attribute_at_a_time(api: Api) -> None:
    message = _invalid(api.request("GET", "/orders", query={"status": "new", "total": "1"}))

    assert message == "query by one indexed attribute at a time"


def test_a_schema_attribute_of_a_collection_without_indexes_is_refused(
    make_collection: MakeCollection,
) -> None:
    schema = {"type": "object", "properties": {"status": {"type": "string"}}}
    plain = make_collection("plain", schema=schema).api

    message = _invalid(plain.request("GET", "/plain", query={"status": "new"}))

    assert message == "status is not an indexed attribute; this collection has no indexes"


@pytest.mark.parametrize(
    ("status", "code"),
    [("", 400), ("é" * 1024, 201), ("é" * 1024 + "x", 400), ("x" * 2048, 201)],
    ids=["empty", "2048 bytes", "2049 bytes", "2048 ascii"],
)
def test_values_dynamodb_cannot_index_are_refused(
    api: Api, aws: SimpleNamespace, orders: CollectionUnderTest, status: str, code: int
) -> None:
    response = api.request("POST", "/orders", {"status": status})

    assert response.status == code, response.body
    if code == 400:
        assert response.json()["error"] == {
            "code": "invalid_body",
            "message": "the body has a value that cannot be indexed",
            "details": [
                {
                    "pointer": "/status",
                    "message": "an indexed attribute must be 1 to 2048 bytes (UTF-8)",
                }
            ],
        }
        assert aws.dynamodb.scan(TableName=orders.table)["Items"] == []


def test_an_update_to_an_unindexable_value_keeps_the_item_as_it_was(api: Api) -> None:
    item_id = api.create({"status": "new"}).json()["id"]

    assert api.request("PUT", f"/orders/{item_id}", {"status": ""}).status == 400

    assert len(api.versions(item_id)) == 1
    assert _ids(api.pages({"status": "new"})) == [item_id]


def test_offloaded_bodies_are_indexed_too(
    api: Api, aws: SimpleNamespace, orders: CollectionUnderTest
) -> None:
    item_id = api.create({"status": "big", "blob": "x" * 400_000}).json()["id"]

    (page,) = api.pages({"status": "big"})

    assert "s3_key" in _head(aws, orders, item_id)
    assert [(item["id"], len(item["data"]["blob"])) for item in page] == [(item_id, 400_000)]


@pytest.fixture
def reads(orders: CollectionUnderTest) -> Iterator[ReadCounter]:
    counter = ReadCounter()
    events = orders.module("clients").dynamodb().meta.events
    events.register("after-call.dynamodb", counter.after_call)
    yield counter
    events.unregister("after-call.dynamodb", counter.after_call)


def test_a_page_reads_only_its_items(api: Api, reads: ReadCounter) -> None:
    _create(api, 5, status="shipped")
    _create(api, 20, status="new")
    reads.take()

    page = api.request("GET", "/orders", query={"status": "shipped", "limit": "2"}).json()
    assert len(page["items"]) == 2
    # The container's first query of an index also looks for its backfill record (none:
    # the index was there from the start), once for the container's life.
    assert reads.take() == (2, ["GetItem", "Query"])
    api.request("GET", "/orders", query={"status": "shipped", "limit": "2"})
    assert reads.take() == (2, ["Query"])

    api.request("GET", "/orders", query={"status": "shipped", "cursor": page["next_cursor"]})
    assert reads.take() == (3, ["Query"])


@pytest.mark.parametrize(
    "indexes",
    [
        "{}",
        "not json",
        '[{"attribute": "status", "index": "by-status", "key": "data", "type": "S"}]',
        '[{"attribute": "status", "index": "by-status", "key": "ix_status", "type": "BOOL"}]',
        '[{"attribute": "status", "index": "by-status", "key": "ix_status"}]',
    ],
    ids=["not a list", "not json", "a head attribute as key", "bad type", "no type"],
)
def test_a_misconfigured_function_answers_500_and_writes_nothing(
    make_collection: MakeCollection,
    aws: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
    indexes: str,
) -> None:
    broken = make_collection("broken", indexes={"status": "S"})
    monkeypatch.setenv("INDEXES", indexes)

    response = broken.api.request("POST", "/broken", {"status": "new"})

    assert (response.status, response.error_code) == (500, "internal_error")
    assert aws.dynamodb.scan(TableName=broken.table)["Items"] == []
