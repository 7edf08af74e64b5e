"""One function serves one collection, named by COLLECTION; unset, it serves items."""

from __future__ import annotations

from types import SimpleNamespace

from .conftest import MakeCollection
from .helpers import Api


def test_a_collection_has_its_own_routes_and_location(make_collection: MakeCollection) -> None:
    orders = make_collection("orders").api

    created = orders.request("POST", "/orders", {"total": 12})
    item_id = created.json()["id"]
    orders.request("PUT", f"/orders/{item_id}", {"total": 13})

    assert created.status == 201
    assert created.headers["Location"] == f"/prod/orders/{item_id}"
    assert orders.request("GET", f"/orders/{item_id}").json()["data"] == {"total": 13}
    assert [v["data"] for v in orders.versions(item_id)] == [{"total": 13}, {"total": 12}]
    assert [i["id"] for i in orders.request("GET", "/orders").json()["items"]] == [item_id]
    assert orders.request("DELETE", f"/orders/{item_id}").status == 204


def test_a_collection_does_not_answer_for_items(make_collection: MakeCollection) -> None:
    orders = make_collection("orders").api
    item_id = orders.create({"total": 1}).json()["id"]

    for path in ("/items", f"/items/{item_id}", f"/items/{item_id}/versions"):
        response = orders.request("GET", path)
        assert (response.status, response.error_code) == (404, "not_found")


def test_missing_items_are_still_called_items(make_collection: MakeCollection) -> None:
    response = make_collection("orders").api.request("GET", "/orders/nope")

    assert response.status == 404
    assert response.json()["error"]["message"] == "item nope does not exist"


def test_large_bodies_go_under_the_collections_prefix(
    make_collection: MakeCollection, aws: SimpleNamespace
) -> None:
    orders = make_collection("orders").api
    item_id = orders.create({"blob": "x" * 400_000}).json()["id"]

    listed = aws.s3.list_objects_v2(Bucket=aws.bucket)["Contents"]

    assert [o["Key"].split("/")[:2] for o in listed] == [["orders", item_id]]
    assert orders.request("GET", f"/orders/{item_id}").json()["data"]["blob"] == "x" * 400_000


def test_without_collection_the_function_serves_items(api: Api) -> None:
    response = api.create({"v": 1})

    assert response.headers["Location"] == f"/prod/items/{response.json()['id']}"
