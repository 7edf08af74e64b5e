"""The stored forms: version and head records, and DynamoDB attribute values.

See docs/design.md: a version record is ``id`` + ``timestamp`` (>= 1); the head is
``timestamp = 0`` and duplicates the latest version, with ``latest`` naming it and,
while the item is live, ``listing = "item"`` (that puts it in the sparse listing index)
and the keys of the collection's own indexes (indexes.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

from .codec import Document, Json

AttributeValue: TypeAlias = dict[str, Any]
Item: TypeAlias = dict[str, AttributeValue]

HEAD_TIMESTAMP = 0
LISTING = "item"
#: The attributes a head record has of its own; index keys (indexes.py) go beside them.
HEAD_ATTRIBUTES = frozenset(
    {
        "id",
        "timestamp",
        "latest",
        "data",
        "s3_key",
        "s3_version",
        "deleted",
        "listing",
        "written_by",
        "owner",
        "owned",
    }
)


@dataclass(frozen=True)
class StoredObject:
    """An item body offloaded to S3: its key and the exact S3 version written."""

    key: str
    version_id: str


# A version's content: the data inline, a pointer to S3, or None for a deletion.
Content: TypeAlias = "Document | StoredObject | None"


@dataclass(frozen=True)
class Record:
    """One version as stored (the head is read as the version it duplicates)."""

    id: str
    timestamp: int
    content: Content
    written_by: str | None = None
    """Who wrote the version (``Request.principal``); None if unknown or written before
    versions recorded it."""
    owner: str | None = None
    """Who created the item (its first version's ``written_by``), kept by every later
    version; None for an item created without an identity."""
    created_at: int | None = None
    """A head's: when the item was created (its first version's timestamp), kept by
    every later head; None for a version, or a head written before heads recorded it."""

    @property
    def deleted(self) -> bool:
        """Whether this version is a tombstone."""
        return self.content is None


@dataclass(frozen=True)
class Version:
    """One version as the API shows it; ``data_json`` is None for a tombstone."""

    id: str
    timestamp: int
    data_json: str | None
    written_by: str | None = None
    owner: str | None = None

    def to_json(self) -> str:
        """``{"id", "owner", "timestamp", "written_by", "data"}``, or ``"deleted": true`` in
        place of the data; ``owner`` and ``written_by`` only where they are known.

        Built from the already-encoded data so large bodies are never re-encoded.
        """
        head = f'{{"id":{json.dumps(self.id)}'
        if self.owner is not None:
            head += f',"owner":{json.dumps(self.owner)}'
        head += f',"timestamp":{self.timestamp}'
        if self.written_by is not None:
            head += f',"written_by":{json.dumps(self.written_by)}'
        if self.data_json is None:
            return head + ',"deleted":true}'
        return f'{head},"data":{self.data_json}}}'


#: What a version did to its item, as its record's ``change`` says; a change event's
#: ``detail-type`` (events.py) is named after it.
CHANGES = ("created", "updated", "deleted", "restored")


def version_item(
    item_id: str,
    timestamp: int,
    content: Content,
    *,
    change: str = "updated",
    previous: int | None = None,
    written_by: str | None = None,
    owner: str | None = None,
) -> Item:
    """The version record; written once and never overwritten.

    ``change`` is one of :data:`CHANGES` and ``previous`` the version it follows (None
    for an item's first), so a change event needs nothing but this record;
    ``written_by`` is who wrote it, where the request says.
    """
    assert change in CHANGES
    item: Item = {
        "id": {"S": item_id},
        "timestamp": {"N": str(timestamp)},
        "change": {"S": change},
        **_content_attributes(content),
        **_writer(written_by),
        **_owner(owner),
    }
    if previous is not None:
        item["previous"] = {"N": str(previous)}
    return item


def _writer(written_by: str | None) -> Item:
    return {} if written_by is None else {"written_by": {"S": written_by}}


def _owner(owner: str | None) -> Item:
    return {} if owner is None else {"owner": {"S": owner}}


def head_item(
    item_id: str,
    timestamp: int,
    content: Content,
    index_keys: Item,
    written_by: str | None = None,
    owner: str | None = None,
    listing: str = LISTING,
    created_at: int | None = None,
) -> Item:
    """The head record pointing at version ``timestamp``; listed and indexed only while live.

    ``index_keys`` put the head in the collection's indexes (indexes.head_keys); a
    tombstone carries none, so a deletion takes the item out of every index too.
    ``listing`` is the listing index's partition (a tenant's, with tenancy).
    """
    item: Item = {
        "id": {"S": item_id},
        "timestamp": {"N": str(HEAD_TIMESTAMP)},
        "latest": {"N": str(timestamp)},
        **_content_attributes(content),
        **_writer(written_by),
        **_owner(owner),
        **({} if created_at is None else {"created_at": {"N": str(created_at)}}),
    }
    if content is not None:
        item["listing"] = {"S": listing}
        item.update(index_keys)
    return item


def record_from_item(item: Mapping[str, Any]) -> Record:
    """Read a version or head record (a head reads as its latest version)."""
    timestamp = item["latest"] if "latest" in item else item["timestamp"]
    written_by, owner = item.get("written_by"), item.get("owner")
    created_at = item.get("created_at")
    return Record(
        id=item["id"]["S"],
        timestamp=int(timestamp["N"]),
        content=_content(item),
        written_by=None if written_by is None else written_by["S"],
        owner=None if owner is None else owner["S"],
        created_at=None if created_at is None else int(created_at["N"]),
    )


def _content_attributes(content: Content) -> Item:
    if content is None:
        return {"deleted": {"BOOL": True}}
    if isinstance(content, StoredObject):
        return {"s3_key": {"S": content.key}, "s3_version": {"S": content.version_id}}
    return {"data": to_attribute(content)}


def _content(item: Mapping[str, Any]) -> Content:
    if item.get("deleted", {}).get("BOOL"):
        return None
    if "s3_key" in item:
        return StoredObject(key=item["s3_key"]["S"], version_id=item["s3_version"]["S"])
    data = from_attribute(item["data"])
    assert isinstance(data, dict)  # only JSON objects are ever stored as data
    return data


def to_attribute(value: Json) -> AttributeValue:
    """A JSON value as a DynamoDB attribute value (numbers as their exact text)."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {key: to_attribute(item) for key, item in value.items()}}
    if isinstance(value, list):
        return {"L": [to_attribute(item) for item in value]}
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    return {"N": str(value)}


def from_attribute(attribute: AttributeValue) -> Json:
    """A DynamoDB attribute value as JSON (numbers as Decimal, never float)."""
    ((kind, value),) = attribute.items()
    if kind == "S":
        return str(value)
    if kind == "N":
        return Decimal(value)
    if kind == "M":
        return {key: from_attribute(item) for key, item in value.items()}
    if kind == "L":
        return [from_attribute(item) for item in value]
    if kind == "BOOL":
        return bool(value)
    return None  # NULL: the only other type this service writes


#: Where key records live: no item id has a ``/`` (ids.ID_PATTERN), so these never
#: meet an item's records, and without ``listing`` or index keys they are in no index.
KEY_RECORD_PREFIX = "idempotency/"
#: The table's TTL attribute (epoch seconds): DynamoDB deletes key records after it.
EXPIRES_AT = "expires_at"


@dataclass(frozen=True)
class Claim:
    """A write's Idempotency-Key: the key record's id and what the request looked like."""

    record_id: str
    fingerprint: str
    expires_at: int
    """Epoch seconds after which the key may be used again."""


@dataclass(frozen=True)
class Answer:
    """A successful write's answer as its key record keeps it.

    The body is not copied: it is the version ``(item_id, timestamp)``, which is never
    changed, read back on a replay (204 has none).
    """

    fingerprint: str
    status: int
    item_id: str
    timestamp: int
    location: str | None = None


def key_record(claim: Claim, answer: Answer) -> Item:
    """The record that a write with ``claim`` was done and how it was answered."""
    item: Item = {
        "id": {"S": claim.record_id},
        "timestamp": {"N": str(HEAD_TIMESTAMP)},
        "fingerprint": {"S": answer.fingerprint},
        "status": {"N": str(answer.status)},
        "item": {"S": answer.item_id},
        "version": {"N": str(answer.timestamp)},
        EXPIRES_AT: {"N": str(claim.expires_at)},
    }
    if answer.location is not None:
        item["location"] = {"S": answer.location}
    return item


def answer_from_item(item: Mapping[str, Any]) -> Answer:
    """The answer a key record keeps."""
    location = item.get("location")
    return Answer(
        fingerprint=item["fingerprint"]["S"],
        status=int(item["status"]["N"]),
        item_id=item["item"]["S"],
        timestamp=int(item["version"]["N"]),
        location=None if location is None else location["S"],
    )
