"""Bodies too large for a DynamoDB item live in S3, at the exact version recorded."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from item_service import clients, config, service

from .helpers import Api, failing

BIG = {"blob": "x" * 500_000, "n": 1}


def _record(aws: SimpleNamespace, item_id: str, timestamp: int) -> dict[str, dict[str, str]]:
    key = {"id": {"S": item_id}, "timestamp": {"N": str(timestamp)}}
    return aws.dynamodb.get_item(TableName=aws.table, Key=key)["Item"]


def test_a_500_kb_item_round_trips(api: Api) -> None:
    created = api.create(BIG).json()

    assert created["data"] == BIG
    assert api.request("GET", f"/items/{created['id']}").json()["data"] == BIG
    assert api.request("GET", "/items").json()["items"][0]["data"] == BIG
    assert api.versions(created["id"])[0]["data"] == BIG


def test_records_point_at_the_s3_object_version(api: Api, aws: SimpleNamespace) -> None:
    created = api.create(BIG).json()

    version = _record(aws, created["id"], created["timestamp"])
    head = _record(aws, created["id"], 0)

    assert "data" not in version and "data" not in head
    assert re.fullmatch(rf"items/{created['id']}/[0-9a-f]{{32}}\.json", version["s3_key"]["S"])
    assert head["s3_key"] == version["s3_key"]
    assert head["s3_version"] == version["s3_version"]
    stored = aws.s3.get_object(
        Bucket=aws.bucket, Key=version["s3_key"]["S"], VersionId=version["s3_version"]["S"]
    )
    assert stored["VersionId"] == version["s3_version"]["S"]
    assert stored["ContentType"] == "application/json"


def test_each_version_reads_its_own_s3_object(api: Api, aws: SimpleNamespace) -> None:
    item_id = api.create(BIG).json()["id"]
    other = {"blob": "y" * 500_000}
    api.request("PUT", f"/items/{item_id}", other)
    api.request("PUT", f"/items/{item_id}", BIG)  # the same body again: an object of its own

    versions = api.versions(item_id)

    assert [v["data"] for v in versions] == [BIG, other, BIG]
    keys = {_record(aws, item_id, v["timestamp"])["s3_key"]["S"] for v in versions}
    assert len(keys) == 3


def _objects(aws: SimpleNamespace) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The bucket's current object versions, and its noncurrent ones (key, version id):
    the lifecycle rule expires the noncurrent ones after 90 days."""
    listing = aws.s3.list_object_versions(Bucket=aws.bucket, Prefix="items/")
    current, noncurrent = set(), set()
    for entry in listing.get("Versions", []):
        (current if entry["IsLatest"] else noncurrent).add((entry["Key"], entry["VersionId"]))
    return current, noncurrent


def _referenced(aws: SimpleNamespace) -> set[tuple[str, str]]:
    """Every (key, version id) a stored version record points at."""
    records = aws.dynamodb.scan(TableName=aws.table, ConsistentRead=True)["Items"]
    return {
        (record["s3_key"]["S"], record["s3_version"]["S"])
        for record in records
        if int(record["timestamp"]["N"]) > 0 and "s3_key" in record
    }


def test_no_body_a_version_points_at_is_ever_made_noncurrent(
    api: Api, aws: SimpleNamespace
) -> None:
    # B, C, B again, and a retry without an Idempotency-Key: with content-addressed keys
    # the second B made the first one's object noncurrent, for the lifecycle rule to
    # expire while its version still pointed at it.
    other = {"blob": "y" * 500_000}
    item_id = api.create(BIG).json()["id"]
    api.request("PUT", f"/items/{item_id}", other)
    api.request("PUT", f"/items/{item_id}", BIG)
    api.request("PUT", f"/items/{item_id}", BIG)
    api.create(BIG)  # the same body on another item

    current, noncurrent = _objects(aws)

    assert len(_referenced(aws)) == 5
    assert current == _referenced(aws)
    assert noncurrent == set()


@contextmanager
def after_upload(action: Callable[[], object]) -> Iterator[None]:
    """Run ``action`` once, right after the next body is uploaded to S3: another writer
    getting in between a write's upload and its transaction."""
    events = clients.s3().meta.events
    ran: list[bool] = []

    def hook(**_: Any) -> None:
        if not ran:  # the action's own upload, if it makes one, runs nothing
            ran.append(True)
            action()

    events.register("after-call.s3.PutObject", hook)
    try:
        yield
    finally:
        events.unregister("after-call.s3.PutObject", hook)
    assert ran, "nothing was uploaded"


def test_a_write_that_loses_its_if_match_after_uploading_deletes_its_body(
    api: Api, aws: SimpleNamespace
) -> None:
    item_id = api.create(BIG).json()["id"]
    first = api.versions(item_id)[0]["timestamp"]

    with after_upload(lambda: api.request("PUT", f"/items/{item_id}", {"small": 1})):
        response = api.request(
            "PUT", f"/items/{item_id}", {"blob": "w" * 500_000}, headers={"If-Match": f'"{first}"'}
        )

    assert response.status == 412
    assert [v["data"] for v in api.versions(item_id)] == [{"small": 1}, BIG]
    current, noncurrent = _objects(aws)
    assert current == _referenced(aws)
    assert len(noncurrent) == 1  # the refused body, behind a delete marker, to expire


def test_a_patch_that_loses_a_race_keeps_only_the_body_it_stored(
    api: Api, aws: SimpleNamespace
) -> None:
    item_id = api.create({"blob": "x" * 400_000, "a": 1}).json()["id"]

    with after_upload(lambda: api.request("PUT", f"/items/{item_id}", {"blob": "v" * 400_000})):
        response = api.request(
            "PATCH",
            f"/items/{item_id}",
            {"b": 2},
            headers={"Content-Type": "application/merge-patch+json"},
        )

    assert response.status == 200
    assert response.json()["data"] == {"blob": "v" * 400_000, "b": 2}
    current, noncurrent = _objects(aws)
    assert current == _referenced(aws)
    assert len(noncurrent) == 1  # the first merge's body, made before the race was lost


def test_a_duplicate_that_finds_its_key_taken_deletes_its_body(
    api: Api, aws: SimpleNamespace
) -> None:
    keyed = {"Idempotency-Key": "upload-race"}

    with after_upload(lambda: api.request("POST", "/items", BIG, headers=keyed)):
        response = api.request("POST", "/items", BIG, headers=keyed)

    assert response.status == 201
    assert response.headers["Idempotent-Replayed"] == "true"
    current, noncurrent = _objects(aws)
    assert len(_referenced(aws)) == 1
    assert current == _referenced(aws)
    assert len(noncurrent) == 1


def test_a_body_whose_write_may_have_committed_is_kept(api: Api, aws: SimpleNamespace) -> None:
    item_id = api.create({"small": True}).json()["id"]
    with failing("TransactWriteItems", "InternalServerError"):
        response = api.request("PUT", f"/items/{item_id}", BIG)

    assert (response.status, response.error_code) == (503, "write_outcome_unknown")
    current, noncurrent = _objects(aws)
    assert len(current) == 1 and noncurrent == set()


def test_items_that_fit_stay_inline(
    api: Api, aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without change events (the example app has them: see the next test).
    monkeypatch.delenv("EVENT_DATA_LIMIT")
    config.settings.cache_clear()
    created = api.create({"blob": "x" * 300_000}).json()

    head = _record(aws, created["id"], 0)

    assert "s3_key" not in head
    assert len(head["data"]["M"]["blob"]["S"]) == 300_000


def test_with_change_events_items_that_fit_an_event_stay_inline(
    api: Api, aws: SimpleNamespace
) -> None:
    inline = api.create({"blob": "x" * 240_000}).json()
    offloaded = api.create({"blob": "x" * 300_000}).json()

    assert "data" in _record(aws, inline["id"], 0)
    assert "s3_key" in _record(aws, offloaded["id"], 0)


def test_a_numeric_item_near_the_limit_is_stored(api: Api) -> None:
    # About 220 KB to DynamoDB (~20 bytes per 38-digit number), but over 400 KB as
    # moto counts (one byte per character): the size estimate must satisfy both.
    numbers = [int("9" * 38)] * 11_000
    created = api.create({"numbers": numbers}).json()

    assert api.request("GET", f"/items/{created['id']}").json()["data"]["numbers"] == numbers


def test_pages_are_cut_to_fit_a_lambda_response(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # A 1.5 MB budget stands for Lambda's 6 MB, so a few 500 KB items overflow it.
    monkeypatch.setattr(service, "MAX_RESPONSE_BODY_BYTES", 1_500_000)
    ids = sorted(api.create({"blob": str(n) * 500_000}).json()["id"] for n in range(5))

    pages, query = [], {"limit": "25"}
    while True:
        page = api.request("GET", "/items", query=query).json()
        pages.append([item["id"] for item in page["items"]])
        if not page["next_cursor"]:
            break
        query["cursor"] = page["next_cursor"]

    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == ids


def test_a_failed_offload_writes_nothing_and_answers_500(api: Api, aws: SimpleNamespace) -> None:
    aws.s3.delete_bucket(Bucket=aws.bucket)

    response = api.request("POST", "/items", BIG)

    assert response.status == 500
    assert response.error_code == "internal_error"
    assert aws.dynamodb.scan(TableName=aws.table)["Items"] == []


def test_reads_fetch_the_recorded_s3_version_not_the_newest(api: Api, aws: SimpleNamespace) -> None:
    created = api.create(BIG).json()
    key = _record(aws, created["id"], 0)["s3_key"]["S"]
    aws.s3.put_object(Bucket=aws.bucket, Key=key, Body=b'{"overwritten": true}')

    assert api.request("GET", f"/items/{created['id']}").json()["data"] == BIG


@pytest.mark.parametrize("if_match", [None, '"1"'])
def test_refused_writes_leave_no_object_in_s3(
    api: Api, aws: SimpleNamespace, if_match: str | None
) -> None:
    item_id = api.create({"small": True}).json()["id"]
    headers = {"If-Match": if_match} if if_match else None
    path = f"/items/{item_id}" if if_match else "/items/never-created"

    response = api.request("PUT", path, BIG, headers=headers)

    assert response.status == (412 if if_match else 404)
    assert "Versions" not in aws.s3.list_object_versions(Bucket=aws.bucket)
