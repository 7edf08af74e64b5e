"""Sorted, ranged queries: ``Index("customer_id", sort="placed_at")`` answers "this
customer's orders, newest first" and "placed in March" in one Query, across pages in
both directions, with every bound, comparing numbers as numbers and instants as
instants, and refuses what it cannot answer with a 400 naming the parameter."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest

from cdk_serverless_crud.contract.collection import Index

from .conftest import CollectionUnderTest, MakeCollection

ORDER = {
    "type": "object",
    "properties": {
        "customer_id": {"type": "string"},
        "placed_at": {"type": "string", "format": "date-time"},
        "total": {"type": "number"},
        "day": {"type": "string", "format": "date"},
        "name": {"type": "string"},
    },
}


@pytest.fixture
def orders(make_collection: MakeCollection) -> CollectionUnderTest:
    return make_collection(
        "orders",
        schema=ORDER,
        sorted_indexes=[
            Index("customer_id", sort="placed_at"),
            Index("day", sort="total"),
            Index("name"),
        ],
    )


def _ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [item["id"] for page in pages for item in page]


def _put(orders: CollectionUnderTest, **data: Any) -> str:
    return str(orders.api.create(data).json()["id"])


def test_a_customer_s_orders_come_in_placed_at_order_across_pages_both_ways(
    orders: CollectionUnderTest,
) -> None:
    # Offsets: each instant as it sorts, whatever offset it was written with.
    placed = [
        "2026-03-01T09:00:00+01:00",  # 08:00Z
        "2026-03-01T08:30:00Z",
        "2026-03-01T10:00:00.5+02:00",  # 08:00:00.5Z
        "2026-02-28T23:59:59-10:00",  # 2026-03-01T09:59:59Z
        "2026-03-01T07:00:00Z",
    ]
    made = {_put(orders, customer_id="c1", placed_at=when): when for when in placed}
    _put(orders, customer_id="c2", placed_at="2026-03-01T08:15:00Z")
    _put(orders, customer_id="c1")  # no placed_at: not in the sorted index
    by_instant = sorted(made, key=lambda i: _utc(made[i]))

    ascending = orders.api.pages({"customer_id": "c1", "limit": "2"})
    descending = orders.api.pages({"customer_id": "c1", "limit": "2", "order": "desc"})

    assert [len(page) for page in ascending] == [2, 2, 1]
    assert _ids(ascending) == by_instant
    assert _ids(descending) == by_instant[::-1]


def test_equal_sort_values_keep_id_order_and_bounds_select_exactly(
    orders: CollectionUnderTest,
) -> None:
    at = "2026-03-15T12:00:00Z"
    same = sorted(_put(orders, customer_id="c1", placed_at=at) for _ in range(3))
    before = _put(orders, customer_id="c1", placed_at="2026-02-28T23:00:00Z")
    after = _put(orders, customer_id="c1", placed_at="2026-04-01T00:00:00Z")
    # The same instant as a lower bound, written with another offset.
    march = "2026-03-01T00:00:00+01:00"  # 2026-02-28T23:00:00Z

    def query(**bounds: str) -> list[str]:
        return _ids(orders.api.pages({"customer_id": "c1", "limit": "2", **bounds}))

    assert query() == [before, *same, after]
    assert query(**{"placed_at.gte": march}) == [before, *same, after]
    assert query(**{"placed_at.gt": march}) == [*same, after]
    assert query(**{"placed_at.lt": at}) == [before]
    assert query(**{"placed_at.lte": at}) == [before, *same]
    assert query(**{"placed_at.gt": march, "placed_at.lt": "2026-04-01T00:00:00Z"}) == same
    assert query(**{"placed_at.gte": at, "placed_at.lte": at}) == same
    assert query(**{"placed_at.gte": at, "order": "desc"}) == [after, *same[::-1]]


def test_numbers_compare_as_numbers_and_dates_take_a_prefix(orders: CollectionUnderTest) -> None:
    totals = ["-12.5", "-1.25", "0", "1.2", "12.50", "100", "1E+3"]
    made = {}
    for total in totals:  # as written: 12.50 and 1E+3 reach the runtime as such
        body = f'{{"day": "2026-03-02", "total": {total}}}'
        answer = orders.api.request("POST", "/orders", body=body)
        assert answer.status == 201, answer.body
        made[answer.json()["id"]] = Decimal(total)
    other_day = _put(orders, day="2026-03-03", total=5)

    def query(**params: str) -> list[str]:
        return _ids(orders.api.pages({"day": "2026-03-02", "limit": "3", **params}))

    by_total = sorted(made, key=made.__getitem__)
    assert query() == by_total
    assert query(**{"total.gte": "12.5"}) == [i for i in by_total if made[i] >= Decimal("12.5")]
    assert query(**{"total.gt": "-1.25", "total.lte": "100"}) == [
        i for i in by_total if Decimal("-1.25") < made[i] <= 100
    ]
    assert other_day not in query()
    answer = orders.api.request("GET", "/orders", query={"day": "2026-03-02", "total.prefix": "1"})
    assert (answer.status, answer.error_code) == (400, "invalid_parameter")
    assert "total.prefix" in answer.json()["error"]["message"]


def test_items_move_when_their_sort_value_changes_and_deleted_ones_leave(
    orders: CollectionUnderTest,
) -> None:
    first = _put(orders, customer_id="c1", placed_at="2026-03-01T00:00:00Z")
    second = _put(orders, customer_id="c1", placed_at="2026-03-02T00:00:00Z")
    third = _put(orders, customer_id="c1", placed_at="2026-03-03T00:00:00Z")

    orders.api.request(
        "PUT", f"/orders/{first}", {"customer_id": "c1", "placed_at": "2026-03-04T00:00:00Z"}
    )
    orders.api.request("DELETE", f"/orders/{second}")

    assert _ids(orders.api.pages({"customer_id": "c1"})) == [third, first]
    orders.api.request("PUT", f"/orders/{third}", {"customer_id": "c1"})  # no placed_at now
    assert _ids(orders.api.pages({"customer_id": "c1"})) == [first]


def test_cursors_are_bound_to_the_whole_query(orders: CollectionUnderTest) -> None:
    for day in range(1, 6):
        _put(orders, customer_id="c1", placed_at=f"2026-03-0{day}T00:00:00Z")
    base = {"customer_id": "c1", "limit": "2"}
    cursor = orders.api.request("GET", "/orders", query=base).json()["next_cursor"]
    assert cursor is not None

    for changed in (
        {"order": "desc"},
        {"placed_at.gte": "2026-03-01T00:00:00Z"},
        {"customer_id": "c2"},
    ):
        answer = orders.api.request("GET", "/orders", query={**base, **changed, "cursor": cursor})
        assert (answer.status, answer.error_code) == (400, "invalid_parameter"), changed


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"status_less": "x", "placed_at.gte": "2026-03-01T00:00:00Z"}, "placed_at.gte"),
        ({"name": "x", "placed_at.gte": "2026-03-01T00:00:00Z"}, "placed_at.gte"),
        (
            {
                "customer_id": "c1",
                "placed_at.gt": "2026-03-01T00:00:00Z",
                "placed_at.gte": "2026-03-01T00:00:00Z",
            },
            "placed_at.gt",
        ),
        ({"customer_id": "c1", "placed_at.lt": "yesterday"}, "placed_at.lt"),
        ({"customer_id": "c1", "placed_at.prefix": "2026-03"}, "placed_at.prefix"),
        ({"day": "2026-03-02", "total.gte": "twelve"}, "total.gte"),
        ({"customer_id": "c1", "order": "newest"}, "order"),
        ({"day": "2026-03-02", "total.gte": "1", "total.prefix": "1"}, "total.prefix"),
    ],
)
def test_bad_conditions_are_400s_naming_the_parameter(
    orders: CollectionUnderTest, query: dict[str, str], named: str
) -> None:
    answer = orders.api.request("GET", "/orders", query=query)

    assert (answer.status, answer.error_code) == (400, "invalid_parameter"), answer.body
    assert named in answer.json()["error"]["message"]


def test_a_string_sort_takes_a_prefix_and_compares_by_bytes(
    make_collection: MakeCollection,
) -> None:
    people = make_collection(
        "people",
        schema={
            "type": "object",
            "properties": {"team": {"type": "string"}, "name": {"type": "string"}},
        },
        sorted_indexes=[Index("team", sort="name")],
    )
    names = ["Zoë", "Ada", "ada", "Adam", "Ad\u0000x", "Émile", "Ad"]
    made = {people.api.create({"team": "t", "name": n}).json()["id"]: n for n in names}

    found = _ids(people.api.pages({"team": "t", "limit": "3"}))
    prefixed = _ids(people.api.pages({"team": "t", "name.prefix": "Ad"}))

    assert [made[i] for i in found] == sorted(names, key=lambda n: n.encode("utf-8"))
    assert sorted(made[i] for i in prefixed) == sorted(["Ada", "Adam", "Ad\u0000x", "Ad"])


def _utc(text: str) -> str:
    from datetime import datetime

    return datetime.fromisoformat(text).astimezone(UTC).isoformat()


def test_order_desc_reverses_the_listing_and_an_unsorted_query(
    orders: CollectionUnderTest,
) -> None:
    made = sorted(_put(orders, name="same") for _ in range(5))

    listed = orders.api.pages({"limit": "2", "order": "desc"})
    queried = orders.api.pages({"name": "same", "limit": "2", "order": "desc"})

    assert _ids(listed) == made[::-1]
    assert _ids(queried) == made[::-1]
    ascending_cursor = orders.api.request("GET", "/orders", query={"limit": "2"}).json()[
        "next_cursor"
    ]
    mixed = orders.api.request(
        "GET", "/orders", query={"limit": "2", "order": "desc", "cursor": ascending_cursor}
    )
    assert (mixed.status, mixed.error_code) == (400, "invalid_parameter")


def test_bounds_that_select_nothing_or_everything_are_answered_not_refused(
    orders: CollectionUnderTest,
) -> None:
    """A lower bound above the upper one (which DynamoDB's BETWEEN refuses) is an empty
    page, an empty prefix every item, a bound longer than a sort key a 400."""
    made = _put(orders, customer_id="c1", placed_at="2026-03-05T00:00:00Z")
    name = _put(orders, day="2026-03-02", total=1, name="x")
    crossed = {
        "customer_id": "c1",
        "placed_at.gte": "2026-04-01T00:00:00Z",
        "placed_at.lt": "2026-03-01T00:00:00Z",
    }

    assert orders.api.pages(crossed) == [[]]
    assert _ids(
        orders.api.pages({"customer_id": "c1", "placed_at.lte": "2026-03-05T00:00:00Z"})
    ) == [made]
    assert name not in _ids(orders.api.pages({"customer_id": "c1"}))
    long = orders.api.request("GET", "/orders", query={"day": "2026-03-02", "total.gte": "1" * 600})
    assert (long.status, long.error_code) == (400, "invalid_parameter")
