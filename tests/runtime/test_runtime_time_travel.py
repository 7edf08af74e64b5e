"""Time travel: any version by its timestamp, the item as of an instant, and restore."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from item_service import repository

from .conftest import MakeCollection
from .helpers import Api

BIG = {"blob": "y" * 400_000}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """Version timestamps under the test's control: ``clock.now`` in epoch ms."""
    state = SimpleNamespace(now=1_772_323_200_000)  # 2026-03-01T00:00:00Z
    monkeypatch.setattr(repository, "now_ms", lambda: state.now)
    return state


def _history(api: Api, clock: SimpleNamespace) -> dict[str, Any]:
    """An item written at t=1000, updated at 2000, deleted at 3000 (ms after the base)."""
    base = clock.now
    clock.now = base + 1000
    created = api.create({"status": "new"}).json()
    clock.now = base + 2000
    updated = api.request("PUT", f"/items/{created['id']}", {"status": "paid"}).json()
    clock.now = base + 3000
    assert api.request("DELETE", f"/items/{created['id']}").status == 204
    return {"id": created["id"], "base": base, "created": created, "updated": updated}


def test_a_version_by_its_timestamp_with_its_etag(api: Api, clock: SimpleNamespace) -> None:
    history = _history(api, clock)
    item_id, created = history["id"], history["created"]

    answer = api.request("GET", f"/items/{item_id}/versions/{created['timestamp']}")
    assert answer.status == 200
    assert answer.json() == created
    assert answer.headers["ETag"] == f'"{created["timestamp"]}"'


def test_a_tombstone_version_reads_as_deleted(api: Api, clock: SimpleNamespace) -> None:
    history = _history(api, clock)
    tombstone = history["base"] + 3000

    answer = api.request("GET", f"/items/{history['id']}/versions/{tombstone}")
    assert answer.status == 200
    assert answer.json() == {"id": history["id"], "timestamp": tombstone, "deleted": True}
    assert api.versions(history["id"])[0] == answer.json()


@pytest.mark.parametrize("offset", [0, 1500, 999])
def test_a_timestamp_that_is_not_a_version_is_404(
    api: Api, clock: SimpleNamespace, offset: int
) -> None:
    history = _history(api, clock)
    answer = api.request("GET", f"/items/{history['id']}/versions/{history['base'] + offset}")
    assert (answer.status, answer.error_code) == (404, "not_found")


@pytest.mark.parametrize("timestamp", ["0", "abc", "-5", "1.5", "12345678901234567"])
def test_a_malformed_version_timestamp_is_400(api: Api, timestamp: str) -> None:
    created = api.create({"a": 1}).json()
    answer = api.request("GET", f"/items/{created['id']}/versions/{timestamp}")
    assert (answer.status, answer.error_code) == (400, "invalid_parameter")


def test_as_of_reads_the_version_current_at_the_instant(api: Api, clock: SimpleNamespace) -> None:
    history = _history(api, clock)
    item_id, base = history["id"], history["base"]

    def as_of(instant: str) -> Any:
        return api.request("GET", f"/items/{item_id}", query={"as_of": instant})

    assert as_of(str(base + 1000)).json() == history["created"]  # at the write itself
    assert as_of(str(base + 1999)).json() == history["created"]
    assert as_of(str(base + 2000)).json() == history["updated"]
    assert as_of(str(base + 2999)).headers["ETag"] == f'"{base + 2000}"'
    assert as_of(str(base + 999)).status == 404  # before it existed
    assert as_of(str(base + 3000)).status == 404  # deleted then
    assert as_of(str(base + 10**9)).status == 404  # and still


def test_as_of_takes_rfc_3339(api: Api, clock: SimpleNamespace) -> None:
    history = _history(api, clock)
    item_id = history["id"]
    at_1_5_s = "2026-03-01T00:00:01.500Z"
    in_paris = "2026-03-01T01:00:02.500+01:00"  # base + 2500 ms

    first = api.request("GET", f"/items/{item_id}", query={"as_of": at_1_5_s})
    second = api.request("GET", f"/items/{item_id}", query={"as_of": in_paris})
    assert (first.status, first.json()) == (200, history["created"])
    assert (second.status, second.json()) == (200, history["updated"])
    assert datetime.fromtimestamp(history["base"] / 1000, UTC).isoformat().startswith("2026-03-01")


@pytest.mark.parametrize(
    "instant", ["yesterday", "2026-03-01", "2026-03-01T00:00:00", "1969-12-31T23:59:59Z", ""]
)
def test_an_unparseable_as_of_is_400(api: Api, instant: str) -> None:
    created = api.create({"a": 1}).json()
    answer = api.request("GET", f"/items/{created['id']}", query={"as_of": instant})
    assert (answer.status, answer.error_code) == (400, "invalid_parameter")


def test_restore_undoes_an_edit_as_a_new_version(api: Api, clock: SimpleNamespace) -> None:
    clock.now += 1000
    created = api.create({"status": "new"}).json()
    clock.now += 1000
    api.request("PUT", f"/items/{created['id']}", {"status": "wrong"})
    clock.now += 1000

    restored = api.request(
        "POST", f"/items/{created['id']}/restore", {"timestamp": int(created["timestamp"])}
    )
    assert restored.status == 200
    assert restored.json()["data"] == {"status": "new"}
    assert restored.json()["timestamp"] == clock.now
    assert restored.headers["ETag"] == f'"{clock.now}"'
    assert [v["data"]["status"] for v in api.versions(created["id"])] == ["new", "wrong", "new"]
    assert api.request("GET", f"/items/{created['id']}").json() == restored.json()


def test_restore_undeletes_and_the_item_is_listed_again(api: Api, clock: SimpleNamespace) -> None:
    history = _history(api, clock)
    item_id = history["id"]
    assert api.request("GET", "/items").json()["items"] == []
    clock.now = history["base"] + 4000

    restored = api.request(
        "POST", f"/items/{item_id}/restore", {"timestamp": int(history["updated"]["timestamp"])}
    )
    assert (restored.status, restored.json()["data"]) == (200, {"status": "paid"})
    assert api.request("GET", f"/items/{item_id}").json() == restored.json()
    assert [item["id"] for item in api.request("GET", "/items").json()["items"]] == [item_id]
    versions = api.versions(item_id)
    assert [v.get("deleted", False) for v in versions] == [False, True, False, False]


def test_restore_honours_if_match(api: Api, clock: SimpleNamespace) -> None:
    history = _history(api, clock)
    path = f"/items/{history['id']}/restore"
    body = {"timestamp": int(history["created"]["timestamp"])}
    stale = f'"{history["updated"]["timestamp"]}"'

    refused = api.request("POST", path, body, headers={"If-Match": stale})
    assert (refused.status, refused.error_code) == (412, "precondition_failed")
    assert len(api.versions(history["id"])) == 3
    tombstone = f'"{history["base"] + 3000}"'
    assert api.request("POST", path, body, headers={"If-Match": tombstone}).status == 200


def test_restore_refuses_unknown_versions_and_tombstones(api: Api, clock: SimpleNamespace) -> None:
    history = _history(api, clock)
    path = f"/items/{history['id']}/restore"

    unknown = api.request("POST", path, {"timestamp": history["base"] + 1500})
    tombstone = api.request("POST", path, {"timestamp": history["base"] + 3000})
    no_item = api.request("POST", "/items/nosuchitem/restore", {"timestamp": 5})
    assert (unknown.status, unknown.error_code) == (404, "not_found")
    assert (tombstone.status, tombstone.error_code) == (409, "version_deleted")
    assert (no_item.status, no_item.error_code) == (404, "not_found")
    assert len(api.versions(history["id"])) == 3, "nothing was written"


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({}, ["/timestamp"]),
        ({"timestamp": "1"}, ["/timestamp"]),
        ({"timestamp": 1.5}, ["/timestamp"]),
        ({"timestamp": True}, ["/timestamp"]),
        ({"timestamp": 0}, ["/timestamp"]),
        ({"timestamp": 10**16}, ["/timestamp"]),
        ({"timestamp": 1, "x": 2}, ["/x"]),
        ({"x": 2}, ["/x", "/timestamp"]),
        ([], [""]),
    ],
)
def test_a_malformed_restore_body_is_400_naming_each_field(
    api: Api, body: Any, pointers: list[str]
) -> None:
    created = api.create({"a": 1}).json()
    answer = api.request("POST", f"/items/{created['id']}/restore", body)
    assert (answer.status, answer.error_code) == (400, "invalid_body")
    assert [d["pointer"] for d in answer.json()["error"]["details"]] == pointers


def test_offloaded_versions_read_back_and_restore_without_a_copy(
    api: Api, aws: SimpleNamespace, clock: SimpleNamespace
) -> None:
    clock.now += 1000
    created = api.create(BIG).json()
    clock.now += 1000
    api.request("PUT", f"/items/{created['id']}", {"small": True})
    clock.now += 1000
    item_id, first = created["id"], created["timestamp"]

    assert api.request("GET", f"/items/{item_id}/versions/{first}").json()["data"] == BIG
    as_of = api.request("GET", f"/items/{item_id}", query={"as_of": str(first)})
    assert as_of.json()["data"] == BIG
    restored = api.request("POST", f"/items/{item_id}/restore", {"timestamp": int(first)})
    assert (restored.status, restored.json()["data"]) == (200, BIG)
    assert api.request("GET", f"/items/{item_id}").json()["data"] == BIG

    objects = aws.s3.list_object_versions(Bucket=aws.bucket, Prefix=f"items/{item_id}/")
    assert len(objects["Versions"]) == 1, "the restored version points at the same object"
    key = {"id": {"S": item_id}}
    stored = [
        aws.dynamodb.get_item(TableName=aws.table, Key={**key, "timestamp": {"N": str(timestamp)}})[
            "Item"
        ]
        for timestamp in (first, restored.json()["timestamp"])
    ]
    assert stored[0]["s3_version"] == stored[1]["s3_version"]


def test_a_restore_moves_the_item_back_in_its_index(
    make_collection: MakeCollection, clock: SimpleNamespace
) -> None:
    api = make_collection("orders", indexes={"status": "S"}).api
    clock.now += 1000
    created = api.create({"status": "new"}).json()
    clock.now += 1000
    api.request("PUT", f"/orders/{created['id']}", {"status": "shipped"})
    clock.now += 1000

    path = f"/orders/{created['id']}/restore"
    assert api.request("POST", path, {"timestamp": int(created["timestamp"])}).status == 200
    assert [i["id"] for page in api.pages({"status": "new"}) for i in page] == [created["id"]]
    assert api.pages({"status": "shipped"}) == [[]]


def test_a_restore_must_match_the_schema_of_now(
    make_collection: MakeCollection, aws: SimpleNamespace, clock: SimpleNamespace
) -> None:
    """A version written under a looser schema is refused, and nothing is written."""
    loose = make_collection("notes", schema={"type": "object"})
    clock.now += 1000
    created = loose.api.create({"body": "untitled"}).json()
    # The same collection after a deploy that tightened its schema, with the same data.
    strict = make_collection("notes", schema={"type": "object", "required": ["title"]})
    for item in aws.dynamodb.scan(TableName=loose.table)["Items"]:
        aws.dynamodb.put_item(TableName=strict.table, Item=item)
    clock.now += 1000
    assert strict.api.request("GET", f"/notes/{created['id']}").status == 200

    refused = strict.api.request(
        "POST", f"/notes/{created['id']}/restore", {"timestamp": int(created["timestamp"])}
    )
    assert (refused.status, refused.error_code) == (400, "invalid_body")
    assert [d["pointer"] for d in refused.json()["error"]["details"]] == [""]
    assert len(strict.api.versions(created["id"])) == 1
