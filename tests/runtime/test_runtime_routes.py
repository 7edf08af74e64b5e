"""Every route's happy path and its not-found and method answers."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from .helpers import Api, make_event

ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def test_create_answers_201_with_item_location_and_etag(api: Api) -> None:
    response = api.create({"name": "widget", "tags": ["a", "b"]})

    item = response.json()
    assert ID.fullmatch(item["id"])
    assert item["data"] == {"name": "widget", "tags": ["a", "b"]}
    assert response.headers["ETag"] == f'"{item["timestamp"]}"'
    assert response.headers["Location"] == f"/prod/items/{item['id']}"


def test_location_has_no_stage_when_the_event_has_none(api: Api) -> None:
    event = make_event("POST", "/items", body="{}")
    del event["requestContext"]["stage"]

    response = api.invoke(event)

    assert response.headers["Location"] == f"/items/{response.json()['id']}"


def test_get_returns_the_latest_version(api: Api) -> None:
    item_id = api.create({"v": 1}).json()["id"]
    replaced = api.request("PUT", f"/items/{item_id}", {"v": 2})

    response = api.request("GET", f"/items/{item_id}")

    assert response.status == 200
    assert response.json() == replaced.json()
    assert response.json()["data"] == {"v": 2}
    assert response.headers["ETag"] == replaced.headers["ETag"]


def test_put_appends_a_newer_version(api: Api) -> None:
    created = api.create({"v": 1}).json()

    response = api.request("PUT", f"/items/{created['id']}", {"v": 2})

    assert response.status == 200
    assert response.json()["data"] == {"v": 2}
    assert response.json()["timestamp"] > created["timestamp"]
    assert response.headers["ETag"] == f'"{response.json()["timestamp"]}"'
    assert [v["data"] for v in api.versions(created["id"])] == [{"v": 2}, {"v": 1}]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_ids_are_404(api: Api, method: str) -> None:
    response = api.request(method, "/items/never-created", {} if method == "PUT" else None)

    assert response.status == 404
    assert response.error_code == "not_found"


def test_versions_of_an_unknown_id_are_404(api: Api) -> None:
    response = api.request("GET", "/items/never-created/versions")

    assert response.status == 404


def test_delete_writes_a_tombstone_and_hides_the_item(api: Api) -> None:
    item_id = api.create({"v": 1}).json()["id"]

    response = api.request("DELETE", f"/items/{item_id}")

    assert response.status == 204
    assert response.body == ""
    assert api.request("GET", f"/items/{item_id}").status == 404
    assert api.request("GET", "/items").json()["items"] == []
    tombstone, original = api.versions(item_id)
    assert tombstone == {"id": item_id, "timestamp": tombstone["timestamp"], "deleted": True}
    assert tombstone["timestamp"] > original["timestamp"]
    assert original["data"] == {"v": 1}


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_writes_to_a_deleted_item_are_404_and_write_nothing(api: Api, method: str) -> None:
    item_id = api.create({"v": 1}).json()["id"]
    api.request("DELETE", f"/items/{item_id}")

    response = api.request(method, f"/items/{item_id}", {"v": 2} if method == "PUT" else None)

    assert response.status == 404
    assert len(api.versions(item_id)) == 2


def test_list_shows_the_latest_live_version_of_each_item_once(api: Api) -> None:
    kept = api.create({"v": 1}).json()["id"]
    api.request("PUT", f"/items/{kept}", {"v": 2})
    api.request("PUT", f"/items/{kept}", {"v": 3})
    other = api.create({"other": True}).json()["id"]
    gone = api.create({"gone": True}).json()["id"]
    api.request("DELETE", f"/items/{gone}")

    response = api.request("GET", "/items")

    assert response.status == 200
    page = response.json()
    assert page["next_cursor"] is None
    assert {item["id"]: item["data"] for item in page["items"]} == {
        kept: {"v": 3},
        other: {"other": True},
    }
    assert [item["id"] for item in page["items"]] == sorted([kept, other])


def test_list_of_an_empty_table(api: Api) -> None:
    assert api.request("GET", "/items").json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/items", "GET, POST"),
        ("DELETE", "/items", "GET, POST"),
        ("POST", "/items/abc", "DELETE, GET, PATCH, PUT"),
        ("HEAD", "/items/abc", "DELETE, GET, PATCH, PUT"),
        ("OPTIONS", "/items/abc/versions", "GET"),
        ("DELETE", "/items/abc/versions", "GET"),
    ],
)
def test_unsupported_methods_are_405_with_allow(
    api: Api, method: str, path: str, allow: str
) -> None:
    response = api.request(method, path)

    assert response.status == 405
    assert response.headers["Allow"] == allow
    assert response.error_code == "method_not_allowed"


@pytest.mark.parametrize("path", ["/", "/nope", "/items/a/b/c", "/items/a/history"])
def test_unknown_paths_are_404(api: Api, path: str) -> None:
    response = api.request("GET", path)

    assert response.status == 404
    assert response.error_code == "not_found"


def test_a_greedy_proxy_resource_is_routed_by_path(api: Api) -> None:
    item_id = api.create({"v": 1}).json()["id"]
    proxied = make_event("GET", f"/items/{item_id}/versions", resource="/{proxy+}")
    proxied["pathParameters"] = {"proxy": f"items/{item_id}/versions"}

    assert api.invoke(proxied).json()["versions"][0]["data"] == {"v": 1}
    encoded_slash = make_event("GET", "/items/a%2Fb", resource="/{proxy+}")
    assert api.invoke(encoded_slash).status == 400


def test_stored_records_follow_the_design(api: Api, aws: SimpleNamespace) -> None:
    """docs/design.md: version records, a head at timestamp 0, the sparse listing."""
    created = api.create({"v": 1}).json()
    item_id, first = created["id"], created["timestamp"]

    def record(timestamp: int) -> dict[str, object]:
        key = {"id": {"S": item_id}, "timestamp": {"N": str(timestamp)}}
        return aws.dynamodb.get_item(TableName=aws.table, Key=key)["Item"]

    assert record(first) == {
        "id": {"S": item_id},
        "timestamp": {"N": str(first)},
        "change": {"S": "created"},
        "data": {"M": {"v": {"N": "1"}}},
    }
    assert record(0) == {
        "id": {"S": item_id},
        "timestamp": {"N": "0"},
        "latest": {"N": str(first)},
        "data": {"M": {"v": {"N": "1"}}},
        "listing": {"S": "item"},
        "created_at": {"N": str(first)},
    }

    api.request("DELETE", f"/items/{item_id}")
    tombstone = api.versions(item_id)[0]["timestamp"]
    assert record(tombstone) == {
        "id": {"S": item_id},
        "timestamp": {"N": str(tombstone)},
        "change": {"S": "deleted"},
        "previous": {"N": str(first)},
        "deleted": {"BOOL": True},
    }
    assert record(0) == {
        "id": {"S": item_id},
        "timestamp": {"N": "0"},
        "latest": {"N": str(tombstone)},
        "deleted": {"BOOL": True},
        "created_at": {"N": str(first)},
    }
    assert record(first)["data"] == {"M": {"v": {"N": "1"}}}  # nothing is erased
