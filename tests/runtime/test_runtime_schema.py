"""A collection's schema checks every POST and PUT body, and names every failing field."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from .conftest import CollectionUnderTest, MakeCollection
from .helpers import Api, ApiResponse

MESSAGE = "the body does not match the collection's schema"

ORDER = {
    "type": "object",
    "required": ["customer", "price"],
    "properties": {
        "customer": {"type": "string", "minLength": 1},
        "price": {"type": "number", "minimum": 0, "multipleOf": 0.01},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 10},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "size": {"enum": [0.5, 1, 1.5, "large"]},
        "version": {"const": 2},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "note": {"type": "string", "maxLength": 5, "default": "none"},
    },
}


@pytest.fixture
def orders(make_collection: MakeCollection) -> CollectionUnderTest:
    return make_collection("orders", schema=ORDER)


def _records(aws: SimpleNamespace, collection: CollectionUnderTest) -> int:
    return int(aws.dynamodb.scan(TableName=collection.table, Select="COUNT")["Count"])


def _post(api: Api, body: str) -> ApiResponse:
    return api.request("POST", f"/{api.collection}", body=body)


def _details(response: ApiResponse) -> list[tuple[str, str]]:
    assert (response.status, response.error_code) == (400, "invalid_body"), response.body
    error = response.json()["error"]
    return [(d["pointer"], d["message"]) for d in error["details"]]


def test_every_failing_field_is_listed_and_nothing_is_stored(
    orders: CollectionUnderTest, aws: SimpleNamespace
) -> None:
    body = {"price": -1, "quantity": 2.5, "tags": ["a", 7, "a"], "size": 2}

    response = orders.api.request("POST", "/orders", body)

    assert response.json()["error"]["message"] == MESSAGE
    assert sorted(_details(response)) == [
        ("", "must contain ['customer'] properties"),
        ("/price", "must be bigger than or equal to 0"),
        ("/quantity", "must be integer"),
        ("/size", "must be one of [0.5, 1, 1.5, 'large']"),
        ("/tags", "must contain unique items"),
        ("/tags/1", "must be string"),
    ]
    assert _records(aws, orders) == 0


def test_a_put_is_checked_too(orders: CollectionUnderTest, aws: SimpleNamespace) -> None:
    item_id = orders.api.create({"customer": "c1", "price": 5}).json()["id"]

    response = orders.api.request("PUT", f"/orders/{item_id}", {"customer": "", "price": 5})

    assert _details(response) == [("/customer", "must be longer than or equal to 1 characters")]
    assert [v["data"]["price"] for v in orders.api.versions(item_id)] == [5]
    assert _records(aws, orders) == 2


def _priced(price: str) -> str:
    """An order body with ``price`` written exactly as given."""
    return f'{{"customer": "c", "price": {price}}}'


def _order(fields: str) -> str:
    """An otherwise valid order body with ``fields`` (JSON text) added."""
    return f'{{"customer": "c", "price": 1, {fields}}}'


# The runtime reads numbers as Decimal; these pass only if the schema sees them as the
# numbers they are (integers as int, others compared exactly).
VALID_NUMBERS = {
    "integer": _order('"quantity": 3'),
    "integer written 3.0": _order('"quantity": 3.0'),
    "integer written 3e0": _order('"quantity": 3e0'),
    "multiple of 0.01": _priced("19.01"),
    "multiple of 0.01 with a trailing zero": _priced("1.10"),
    "multiple of 0.01, 38 digits": _priced("123456789012345678901234567890123456.78"),
    "enum of floats": _order('"size": 1.5'),
    "enum of ints, written 1.0": _order('"size": 1.0'),
    "const": _order('"version": 2'),
    "within an exclusive range": _order('"ratio": 0.999999999999999999999999'),
    "unique items": _order('"tags": ["1", "1.0"]'),
}


@pytest.mark.parametrize("body", VALID_NUMBERS.values(), ids=VALID_NUMBERS.keys())
def test_valid_numbers_pass_and_are_stored_verbatim(orders: CollectionUnderTest, body: str) -> None:
    response = _post(orders.api, body)

    assert response.status == 201, response.body
    sent = json.loads(body, parse_float=Decimal, parse_int=Decimal)
    assert _digits(response.json()["data"]) == _digits(sent)


def _digits(value: Any) -> Any:
    """``value`` with each number as its Decimal text, so 1.10 and 1.1 differ."""
    if isinstance(value, dict):
        return {key: _digits(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_digits(item) for item in value]
    return str(value) if isinstance(value, Decimal) else value


# Beyond a float's 17 digits: a float would round each of these onto the boundary.
INVALID_NUMBERS = {
    "below the minimum by 1e-30": (_priced("-0.000000000000000000000000000001"), "/price"),
    "above the maximum by 1e-20": (_order('"quantity": 10.00000000000000000001'), "/quantity"),
    "not an integer by 1e-20": (_order('"quantity": 1.00000000000000000001'), "/quantity"),
    "not a multiple by 1e-21": (_priced("0.010000000000000000001"), "/price"),
    "not a multiple, 38 digits": (_priced("1234567890123456789012345678901234.567"), "/price"),
    "at the exclusive maximum": (_order('"ratio": 1.0'), "/ratio"),
    "at the exclusive minimum": (_order('"ratio": 0E-5'), "/ratio"),
    "not the enum's 0.5 by 1e-20": (_order('"size": 0.50000000000000000001'), "/size"),
    "a bool is not the const 2": (_order('"version": true'), "/version"),
    "1 and 1.0 are not unique": (_order('"quantity": 1, "size": 1, "tags": [1, 1.0]'), "/tags"),
}


@pytest.mark.parametrize(("body", "pointer"), INVALID_NUMBERS.values(), ids=INVALID_NUMBERS.keys())
def test_range_checks_keep_every_digit(
    orders: CollectionUnderTest, aws: SimpleNamespace, body: str, pointer: str
) -> None:
    response = _post(orders.api, body)

    assert pointer in [p for p, _ in _details(response)]
    assert _records(aws, orders) == 0


def test_defaults_are_not_written_into_the_item(orders: CollectionUnderTest) -> None:
    response = orders.api.create({"customer": "c", "price": 1})

    assert response.json()["data"] == {"customer": "c", "price": 1}


AWKWARD = {
    "type": "object",
    "properties": {
        "a.b": {"type": "string"},
        "a": {"type": "object", "properties": {"b": {"type": "string"}}},
        "x[1]": {"type": "string"},
        "s/l~": {"type": "string"},
        "{f}": {"type": "string"},
        "list": {
            "type": "array",
            "items": {"type": "object", "properties": {"k.e": {"type": "string"}}},
        },
    },
    "additionalProperties": {"type": "string"},
}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"a.b": 1, "a": {"b": "fine"}}, "/a.b"),
        ({"a.b": "fine", "a": {"b": 1}}, "/a/b"),
        ({"x[1]": 1}, "/x[1]"),
        ({"s/l~": 1}, "/s~1l~0"),
        ({"{f}": 1}, "/{f}"),
        ({"list": [{}, {"k.e": 1}]}, "/list/1/k.e"),
        ({"un.listed[0]": 1}, "/un.listed[0]"),
        ({"~/.[": 1}, "/~0~1.["),
        ({"ünï": 1}, "/ünï"),
    ],
)
def test_pointers_follow_the_document_whatever_the_keys(
    make_collection: MakeCollection, body: dict[str, Any], pointer: str
) -> None:
    api = make_collection("things", schema=AWKWARD).api

    assert _details(api.request("POST", "/things", body)) == [(pointer, "must be string")]


def test_messages_never_echo_much_of_the_body(make_collection: MakeCollection) -> None:
    closed = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {"maxLength": 3}},
    }
    api = make_collection("closed", schema=closed).api

    response = api.request("POST", "/closed", {"k" * 5000: 1, "a": "x" * 100_000})

    assert len(response.body) < 1000
    messages = dict(_details(response))
    assert messages["/a"] == "must be shorter than or equal to 3 characters"
    assert messages[""].startswith("must not contain")
    assert len(messages[""]) == 200


def test_long_pointers_point_at_an_ancestor(make_collection: MakeCollection) -> None:
    deep = {
        "type": "object",
        "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
    }
    api = make_collection("deep", schema=deep).api

    response = api.request("POST", "/deep", {"outer": {"k" * 5000: 1}})

    assert _details(response) == [("/outer", "must be string")]


def test_many_failures_list_the_first_hundred(make_collection: MakeCollection) -> None:
    strings = {"type": "object", "additionalProperties": {"type": "string"}}
    api = make_collection("strings", schema=strings).api

    response = api.request("POST", "/strings", {f"k{n}": n for n in range(250)})

    assert len(_details(response)) == 100
    assert response.json()["error"]["message"] == (
        f"{MESSAGE} (the first 100 of 250 failures are listed)"
    )


def test_the_schema_belongs_to_its_own_package(api: Api, make_collection: MakeCollection) -> None:
    # The items function has no schema; a collection's must not leak into it.
    assert api.request("GET", "/items").status == 200
    orders = make_collection("orders", schema=ORDER).api

    assert orders.request("POST", "/orders", {"anything": True}).status == 400
    assert api.request("POST", "/items", {"anything": True}).status == 201


def test_body_errors_come_before_the_schema(orders: CollectionUnderTest) -> None:
    response = _post(orders.api, '{"customer": "c", "price": 1, "price": 2}')

    assert (response.status, response.error_code) == (400, "invalid_json")
    assert "details" not in response.json()["error"]
