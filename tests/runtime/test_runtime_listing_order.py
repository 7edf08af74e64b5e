"""``Collection(listing_order="created" | "updated")``: ``GET /notes?order=desc`` lists
the most recently created or changed items first, across pages, from the ordered
listing index; an update moves an item only in the "updated" order, a delete takes it
out, and a head written before heads recorded their creation is placed by its first
version."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import pytest

from .conftest import CollectionUnderTest, MakeCollection


def _clocked(collection: CollectionUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """One millisecond per write, so that creation order is the order of the calls."""
    ticks = itertools.count(1_800_000_000_000)
    monkeypatch.setattr(collection.module("repository"), "now_ms", lambda: next(ticks))


def _ids(collection: CollectionUnderTest, **query: str) -> list[str]:
    pages = collection.api.pages({"limit": "2", **query})
    return [item["id"] for page in pages for item in page]


@pytest.mark.parametrize("order", ["created", "updated"])
def test_the_listing_comes_in_creation_or_change_order(
    make_collection: MakeCollection, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    notes = make_collection("notes", listing_order=order)
    _clocked(notes, monkeypatch)
    made = [notes.api.create({"n": n}).json()["id"] for n in range(5)]

    assert _ids(notes) == made
    assert _ids(notes, order="desc") == made[::-1]

    notes.api.request("PUT", f"/notes/{made[1]}", {"n": "changed"})
    notes.api.request("DELETE", f"/notes/{made[3]}")
    live = [made[0], made[1], made[2], made[4]]
    changed_last = [made[0], made[2], made[4], made[1]]
    assert _ids(notes) == (live if order == "created" else changed_last)
    assert _ids(notes, order="desc") == (live if order == "created" else changed_last)[::-1]


def test_a_cursor_resumes_only_its_own_order(
    make_collection: MakeCollection, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = make_collection("notes", listing_order="created")
    _clocked(notes, monkeypatch)
    for n in range(3):
        notes.api.create({"n": n})
    cursor = notes.api.request("GET", "/notes", query={"limit": "1"}).json()["next_cursor"]

    other = notes.api.request("GET", "/notes", query={"order": "desc", "cursor": cursor})
    tampered = notes.api.request("GET", "/notes", query={"cursor": cursor[:-4] + "AAAA"})

    assert (other.status, other.error_code) == (400, "invalid_parameter")
    assert tampered.status == 400


def test_heads_written_before_the_order_are_placed_by_their_first_version(
    aws: SimpleNamespace, make_collection: MakeCollection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A collection that switches to listing_order="created": its heads have neither
    ``lx`` nor ``created_at``; the backfill gives them both from each item's first
    version, so an item changed since still sorts by when it was made."""
    notes = make_collection("notes", listing_order="created")
    _clocked(notes, monkeypatch)
    made = [notes.api.create({"n": n}).json()["id"] for n in range(3)]
    notes.api.request("PUT", f"/notes/{made[0]}", {"n": "changed"})
    heads = [
        item
        for item in aws.dynamodb.scan(TableName=notes.table)["Items"]
        if item["timestamp"]["N"] == "0"
    ]
    for head in heads:  # as written before listing_order
        aws.dynamodb.update_item(
            TableName=notes.table,
            Key={"id": head["id"], "timestamp": head["timestamp"]},
            UpdateExpression="REMOVE lx, created_at",
        )
    assert _ids(notes) == []
    clients = notes.module("clients")
    backfill = notes.module("backfill").Backfill(
        notes.module("config").settings(), clients.dynamodb(), clients.s3
    )
    backfill.start(["latest-items.created"])

    progress = backfill.run(math.inf)

    assert (progress.done, progress.written) == (True, 3)
    assert _ids(notes, order="desc") == made[::-1]
    notes.api.request("PUT", f"/notes/{made[1]}", {"n": "changed too"})
    assert _ids(notes) == made, "a later write keeps the recorded creation time"
