"""The shop example (two typed collections) synthesized and served over HTTP.

What a user of typed collections notices: bodies checked against the schema with every
failing field named, nothing written on a 400, queries by attribute that follow updates
and deletes across pages, a cache entry per query value, and the collections apart.
"""

from __future__ import annotations

import importlib.metadata
import json
import runpy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from cdk_serverless_crud.contract.collection import Collection, Index
from cdk_serverless_crud.contract.openapi_document import service_document
from cdk_serverless_crud.local.server import RunningService

from ..conftest import REPO, synthesize
from .conftest import Client, serve
from .test_fuzz import CHECKS

SHOP = REPO / "examples" / "shop"


@pytest.fixture(scope="module")
def shop_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(SHOP, tmp_path_factory.mktemp("shop-cdk-out"))


@pytest.fixture(scope="module")
def shop_service(shop_cdk_out: Path) -> Iterator[RunningService]:
    with serve(shop_cdk_out) as running:
        yield running


@pytest.fixture(scope="module")
def shop(shop_service: RunningService) -> Client:
    return Client(shop_service.url)


def _order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "customer_id": "c-1",
        "status": "new",
        "placed_at": "2026-12-01T10:00:00Z",
        "lines": [{"sku": "WIDGET", "quantity": 2, "unit_price": 9.99}],
    }
    return {**order, **changes}


def _create(shop: Client, path: str, body: dict[str, Any]) -> str:
    reply = shop.request("POST", path, body)
    assert reply.status == 201, reply.body
    item_id: str = reply.json()["id"]
    return item_id


def _listed(shop: Client, query: str, limit: int = 2) -> list[str]:
    """Every id of a listing, following cursors page by page."""
    ids: list[str] = []
    cursor = None
    while True:
        page_query = f"{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        reply = shop.request("GET", f"/orders?{page_query}", headers={"Cache-Control": "max-age=0"})
        assert reply.status == 200, reply.body
        page = reply.json()
        assert len(page["items"]) <= limit
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def test_a_valid_order_is_stored_under_its_collection(shop: Client) -> None:
    reply = shop.request("POST", "/orders", _order())
    assert reply.status == 201
    order = reply.json()
    assert reply.headers["Location"] == f"/prod/orders/{order['id']}"
    fetched = shop.request("GET", f"/orders/{order['id']}")
    assert fetched.status == 200
    assert fetched.json()["data"]["lines"][0]["sku"] == "WIDGET"
    # The collections are apart: an order is not a customer.
    assert shop.request("GET", f"/customers/{order['id']}").status == 404


def test_a_body_the_old_model_refused_names_every_failing_field(shop: Client) -> None:
    # Issue 27: a wrong enum and a number below its minimum were refused by API Gateway's
    # model with "Invalid request body" and no field. The model now asks only for an
    # object, so the function answers, naming each field, and writes nothing.
    before = shop.request("GET", "/orders?limit=100", headers={"Cache-Control": "max-age=0"})
    bad = _order(status="lost", lines=[{"sku": "W", "quantity": 0, "unit_price": 9.99}])
    reply = shop.request("POST", "/orders", bad)
    assert reply.status == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_body"
    assert {detail["pointer"] for detail in error["details"]} == {
        "/status",
        "/lines/0/quantity",
    }
    after = shop.request("GET", "/orders?limit=100", headers={"Cache-Control": "max-age=0"})
    assert after.json() == before.json()
    # What is not a JSON object is still API Gateway's to refuse, without invoking Lambda.
    refused = shop.request("POST", "/orders", [bad])
    assert refused.gateway_error() == (400, "invalid_body", "Invalid request body")


def test_a_restore_timestamp_written_as_a_float_reaches_the_function(shop: Client) -> None:
    # Draft 4's "integer" refuses 1700000000000.0, which the function accepts: the restore
    # model no longer checks the timestamp, so the stage does not refuse it.
    created = shop.request("POST", "/orders", _order()).json()
    assert shop.request("PUT", f"/orders/{created['id']}", _order(status="paid")).status == 200
    as_float = json.dumps({"timestamp": float(created["timestamp"])}).encode()
    assert as_float.endswith(b".0}")
    reply = shop.request("POST", f"/orders/{created['id']}/restore", raw=as_float)
    assert reply.status == 200, reply.body
    assert reply.json()["data"]["status"] == "new"


def test_a_bad_body_names_every_failing_field_and_writes_nothing(shop: Client) -> None:
    # Formats and patterns, as every other part of the schema, are the function's to
    # check: it lists every failing field.
    customer = f"c-bad-{uuid.uuid4().hex}"
    address = {"street": "1 Main St", "city": "Ghent", "postcode": "not a postcode!"}
    bad = _order(customer_id=customer, placed_at="yesterday", shipping_address=address)
    reply = shop.request("POST", "/orders", bad)
    assert reply.status == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_body"
    assert {detail["pointer"] for detail in error["details"]} == {
        "/placed_at",
        "/shipping_address/postcode",
    }
    assert all(detail["message"] for detail in error["details"])
    assert _listed(shop, f"customer_id={customer}") == []
    reply = shop.request(
        "POST", "/customers", {"name": "Ann", "email": "ann", "joined": "2026-13-01"}
    )
    assert [d["pointer"] for d in reply.json()["error"]["details"]] == ["/email", "/joined"]


def test_a_bad_update_keeps_the_stored_version(shop: Client) -> None:
    order_id = _create(shop, "/orders", _order())
    reply = shop.request("PUT", f"/orders/{order_id}", _order(placed_at="soon"))
    assert reply.status == 400
    assert [d["pointer"] for d in reply.json()["error"]["details"]] == ["/placed_at"]
    refused = shop.request("PUT", f"/orders/{order_id}", _order(lines=[]))
    assert (refused.status, refused.json()["error"]["code"]) == (400, "invalid_body")
    versions = shop.request("GET", f"/orders/{order_id}/versions").json()["versions"]
    assert len(versions) == 1


def test_a_query_by_attribute_pages_follows_updates_and_leaves_out_deletes(shop: Client) -> None:
    customer = "c-query"
    paid = [_create(shop, "/orders", _order(customer_id=customer, status="paid")) for _ in range(5)]
    shipped = _create(shop, "/orders", _order(customer_id=customer, status="shipped"))
    listed = _listed(shop, "status=paid")
    assert len(listed) == len(set(listed))  # each item once, across pages of 2
    assert set(paid) <= set(listed)
    assert shipped not in _listed(shop, "status=paid")
    assert sorted(_listed(shop, f"customer_id={customer}")) == sorted([*paid, shipped])

    moved, deleted = paid[0], paid[1]
    assert (
        shop.request(
            "PUT", f"/orders/{moved}", _order(customer_id=customer, status="shipped")
        ).status
        == 200
    )
    assert shop.request("DELETE", f"/orders/{deleted}").status == 204
    now_paid = _listed(shop, "status=paid")
    assert moved not in now_paid and deleted not in now_paid
    assert set(paid[2:]) <= set(now_paid)
    assert moved in _listed(shop, "status=shipped")
    assert deleted not in _listed(shop, f"customer_id={customer}")


def test_a_customer_s_orders_come_newest_first_over_http(shop: Client) -> None:
    """The shop's Index("customer_id", sort="placed_at"), through the local stage: pages
    in both orders, a bound written with another offset, each order and bound a cache
    key of its own, and a bound that is not a date-time a 400."""
    customer = "c-sorted"
    placed = {
        _create(shop, "/orders", _order(customer_id=customer, placed_at=when)): when
        for when in (
            "2026-03-02T10:00:00Z",
            "2026-03-01T12:00:00+02:00",  # 10:00Z
            "2026-03-03T00:30:00+01:00",  # 2026-03-02T23:30Z
        )
    }
    oldest_first = [
        *[i for i, w in placed.items() if w.startswith("2026-03-01")],
        *[i for i, w in placed.items() if w.startswith("2026-03-02")],
        *[i for i, w in placed.items() if w.startswith("2026-03-03")],
    ]

    assert _listed(shop, f"customer_id={customer}") == oldest_first
    assert _listed(shop, f"customer_id={customer}&order=desc") == oldest_first[::-1]
    after = "placed_at.gt=2026-03-01T11:00:00%2B01:00"  # 10:00Z: the first is out
    assert _listed(shop, f"customer_id={customer}&{after}") == oldest_first[1:]
    newest = shop.request("GET", f"/orders?customer_id={customer}&order=desc")
    oldest = shop.request("GET", f"/orders?customer_id={customer}&order=asc")
    assert (newest.headers["X-Cache"], oldest.headers["X-Cache"]) == ("Miss", "Miss")
    assert [item["id"] for item in newest.json()["items"]] == oldest_first[::-1]
    assert (
        shop.request("GET", f"/orders?customer_id={customer}&order=desc").headers["X-Cache"]
        == "Hit"
    )
    bounded = shop.request("GET", f"/orders?customer_id={customer}&placed_at.lt=2026-03-02")
    assert (bounded.status, bounded.json()["error"]["code"]) == (400, "invalid_parameter")
    assert "placed_at.lt" in bounded.json()["error"]["message"]


def test_customers_are_listed_most_recently_changed_first(shop: Client) -> None:
    """The shop's customers have listing_order="updated": a change moves a customer to
    the front of ``order=desc``, across pages, over HTTP."""

    def newest_first() -> list[str]:
        ids: list[str] = []
        query = "order=desc&limit=2"
        while True:
            page = shop.request(
                "GET", f"/customers?{query}", headers={"Cache-Control": "max-age=0"}
            ).json()
            ids += [item["id"] for item in page["items"]]
            if page["next_cursor"] is None:
                return ids
            query = f"order=desc&limit=2&cursor={page['next_cursor']}"

    made = [
        _create(shop, "/customers", {"name": name, "email": f"{name}@example.com"})
        for name in ("Ada", "Bo", "Cy")
    ]
    assert newest_first()[:3] == made[::-1]
    changed = {"name": "Ada", "email": "ada@example.org"}
    assert shop.request("PUT", f"/customers/{made[0]}", changed).status == 200
    assert newest_first()[:3] == [made[0], made[2], made[1]]


def test_each_query_value_has_its_own_cache_entry(shop: Client) -> None:
    _create(shop, "/orders", _order(customer_id="c-cache-a"))
    _create(shop, "/orders", _order(customer_id="c-cache-b"))
    first = shop.request("GET", "/orders?customer_id=c-cache-a")
    other = shop.request("GET", "/orders?customer_id=c-cache-b")
    assert first.headers["X-Cache"] == "Miss"
    assert other.headers["X-Cache"] == "Miss"
    assert first.json() != other.json()
    again = shop.request("GET", "/orders?customer_id=c-cache-a")
    assert again.headers["X-Cache"] == "Hit"
    assert again.json() == first.json()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("placed_at=2026-12-01", ["placed_at", "customer_id, status"]),
        ("status=paid&customer_id=c-1", ["one indexed attribute"]),
    ],
)
def test_bad_queries_are_400_naming_the_indexes(
    shop: Client, query: str, expected: list[str]
) -> None:
    reply = shop.request("GET", f"/orders?{query}")
    assert reply.status == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_parameter"
    for part in expected:
        assert part in error["message"]


def test_a_parameter_that_names_no_attribute_cannot_poison_the_listing(shop: Client) -> None:
    # Not a cache key: were it a 400, the stage would cache that 400 for GET /orders.
    odd = shop.request("GET", "/orders?utm_source=mail")
    plain = shop.request("GET", "/orders")
    assert (odd.status, plain.status) == (200, 200)
    # A schema attribute that is not indexed is a 400 cached for that request alone.
    assert shop.request("GET", "/orders?placed_at=x").status == 400
    assert shop.request("GET", "/customers?name=x").status == 400
    assert shop.request("GET", "/orders").status == 200


def test_a_cursor_of_one_query_is_refused_by_another(shop: Client) -> None:
    for _ in range(3):
        _create(shop, "/orders", _order(status="cancelled"))
    page = shop.request("GET", "/orders?status=cancelled&limit=1").json()
    cursor = page["next_cursor"]
    assert cursor
    for query in (f"status=paid&cursor={cursor}", f"cursor={cursor}"):
        reply = shop.request("GET", f"/orders?{query}")
        assert reply.status == 400, query
        assert reply.json()["error"]["code"] == "invalid_parameter"


def _shop_document() -> dict[str, Any]:
    """The shop's document, generated in process: schemathesis needs it at collection time
    (its lazy ``from_fixture`` loader does not run under pytest 9). The next test shows it
    is the very document synthesis writes into the cloud assembly.
    """
    schemas = runpy.run_path(str(SHOP / "schemas.py"))
    collections = [
        Collection(
            "orders",
            schema=schemas["ORDER_SCHEMA"],
            indexes=[Index("status"), Index("customer_id", sort="placed_at")],
        ),
        Collection(
            "customers",
            schema=schemas["CUSTOMER_SCHEMA"],
            indexes=[Index("email")],
            listing_order="updated",
        ),
    ]
    return service_document(collections, title="ShopExample Shop", version=_VERSION)


_VERSION = importlib.metadata.version("cdk-serverless-crud")
SHOP_DOCUMENT = _shop_document()


def test_the_fuzzed_document_is_the_one_synthesis_writes(shop_cdk_out: Path) -> None:
    (written,) = shop_cdk_out.glob("*.openapi.json")
    assert json.loads(written.read_text()) == SHOP_DOCUMENT


generated = schemathesis.openapi.from_dict(SHOP_DOCUMENT)


@generated.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_generated_document_holds_against_local_mode(
    case: schemathesis.Case, shop_service: RunningService
) -> None:
    case.call_and_validate(base_url=shop_service.url, checks=CHECKS)
