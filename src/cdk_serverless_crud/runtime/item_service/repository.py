"""Data access: versions and heads in DynamoDB, large bodies in S3.

Only GetItem, Query (on the table, the listing index and the collection's own
indexes), TransactWriteItems (two Puts, three with an Idempotency-Key; authorized as
PutItem) and S3 PutObject/GetObject/DeleteObject are called: exactly the IAM actions of
docs/design.md.

Offloaded bodies are bodies.py's: each write's own S3 object, deleted again if no
version ends up pointing at it.

Time travel reads stored versions the same way: one GetItem for an exact version, one
Query (at or below an instant, newest first, limit 1) for the version current then.
"""

from __future__ import annotations

import copy
import dataclasses
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as AwsUnreachable

from . import codec
from .access import owned_key
from .bodies import BodyStore
from .codec import Document
from .config import Settings
from .documents import ItemBody
from .errors import (
    KeyClaimed,
    NotFound,
    PreconditionFailed,
    RequestInProgress,
    TooMuchContention,
    WriteOutcomeUnknown,
)
from .indexes import IndexQuery, head_keys
from .records import (
    EXPIRES_AT,
    HEAD_TIMESTAMP,
    Answer,
    AttributeValue,
    Claim,
    Content,
    Item,
    Record,
    StoredObject,
    Version,
    answer_from_item,
    head_item,
    key_record,
    record_from_item,
    version_item,
)
from .spaces import KeySpace

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client


#: What ``_append``'s ``prepare`` gives: the new version's content (None: a tombstone)
#: and the data its head's index keys come from (None: a tombstone's, none).
Prepared: TypeAlias = "tuple[Content, Document | None]"
#: The head's key in the owners' listing (``OWNED_LIST_INDEX``): a digest of the owner.
OWNED_LIST_KEY = "owned"

# Writers that lose a race re-read the head and retry after a jittered pause.
BACKOFF_BASE_SECONDS = 0.005
BACKOFF_CAP_SECONDS = 0.1
_LOST_RACE = {"ConditionalCheckFailed", "TransactionConflict"}


def now_ms() -> int:
    """Wall-clock epoch milliseconds; a version's timestamp is at least this."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Page:
    """Records of one Query page; ``more`` when DynamoDB stopped before the end."""

    records: list[Record]
    more: bool


class ItemRepository:
    """Reads and appends item versions; never updates or deletes a stored record."""

    def __init__(
        self,
        settings: Settings,
        dynamodb: DynamoDBClient,
        s3: Callable[[], S3Client],
    ) -> None:
        """Use ``dynamodb`` now and call ``s3`` only when a body is offloaded."""
        self._settings = settings
        self._dynamodb = dynamodb
        self._bodies = BodyStore(settings, s3)
        self._space = KeySpace()

    def in_space(self, space: KeySpace) -> ItemRepository:
        """This repository, reading and writing only the keys of ``space`` (a tenant's):
        ids in and out are the API's, every key is the space's."""
        scoped = copy.copy(self)
        scoped._space = space
        return scoped

    def _record(self, item: Mapping[str, Any]) -> Record:
        """A record read from this space, with the id the API shows."""
        record = record_from_item(item)
        return dataclasses.replace(record, id=self._space.item_id(record.id))

    def latest(self, item_id: str) -> Record | None:
        """The head (as the latest version, maybe a tombstone), or None if never created."""
        return self._get(item_id, HEAD_TIMESTAMP)

    def version(self, item_id: str, timestamp: int) -> Record | None:
        """The version stored at ``timestamp`` (maybe a tombstone), or None."""
        if timestamp <= HEAD_TIMESTAMP:
            return None  # the head is not a version
        return self._get(item_id, timestamp)

    def _get(self, item_id: str, timestamp: int) -> Record | None:
        """The record at ``(item_id, timestamp)``, read strongly consistent, or None."""
        item = self._get_item(self._space.key(item_id), timestamp)
        return None if item is None else self._record(item)

    def _get_item(self, key: str, timestamp: int) -> Item | None:
        """The raw item at ``(key, timestamp)``, read strongly consistent, or None."""
        response = self._dynamodb.get_item(
            TableName=self._settings.table_name,
            Key={"id": {"S": key}, "timestamp": {"N": str(timestamp)}},
            ConsistentRead=True,
        )
        item: Item | None = response.get("Item")  # type: ignore[assignment]
        return item

    def version_as_of(self, item_id: str, instant: int) -> Record | None:
        """The version that was the latest at ``instant`` (epoch ms), or None before the first."""
        if instant <= HEAD_TIMESTAMP:
            return None
        page = self._query(
            {
                "TableName": self._settings.table_name,
                "KeyConditionExpression": "#id = :id AND #ts BETWEEN :first AND :instant",
                "ExpressionAttributeNames": {"#id": "id", "#ts": "timestamp"},
                "ExpressionAttributeValues": {
                    ":id": {"S": self._space.key(item_id)},
                    ":first": {"N": str(HEAD_TIMESTAMP + 1)},
                    ":instant": {"N": str(instant)},
                },
                "ScanIndexForward": False,
                "ConsistentRead": True,
                "Limit": 1,
            }
        )
        return page.records[0] if page.records else None

    def list_latest(self, limit: int, after_id: str | None) -> Page:
        """One page of live heads in id order, from the sparse listing index."""
        return self._query_heads(
            self._settings.list_index_name, "listing", {"S": self._space.listing}, limit, after_id
        )

    def list_owned(self, owner: str, limit: int, after_id: str | None) -> Page:
        """One page of ``owner``'s live heads in id order, from the owners' listing."""
        assert self._settings.owned_list_index is not None  # an owner rule reads
        return self._query_heads(
            self._settings.owned_list_index,
            OWNED_LIST_KEY,
            {"S": owned_key(self._space.owner_scope(owner))},
            limit,
            after_id,
        )

    def list_by_index(self, query: IndexQuery, limit: int, after_id: str | None) -> Page:
        """One page, in id order, of the live heads whose indexed attribute has the value;
        with ``query.owner``, only that owner's, from the owners' index."""
        index = query.index
        if query.owner is not None:
            assert index.owned_index is not None and index.owned_key is not None
            return self._query_heads(
                index.owned_index, index.owned_key, query.owned_value, limit, after_id
            )
        return self._query_heads(index.name, index.key, query.stored_value, limit, after_id)

    def _query_heads(
        self,
        index_name: str,
        key: str,
        value: AttributeValue,
        limit: int,
        after_id: str | None,
    ) -> Page:
        """Query a sparse index of heads: partition key ``key``, sort key ``id``."""
        query: dict[str, Any] = {
            "TableName": self._settings.table_name,
            "IndexName": index_name,
            "KeyConditionExpression": "#key = :value",
            "ExpressionAttributeNames": {"#key": key},
            "ExpressionAttributeValues": {":value": value},
            "Limit": limit,
        }
        if after_id is not None:
            # Built from the request's own value, so a cursor can only move the start
            # within this partition: never a key DynamoDB would refuse.
            query["ExclusiveStartKey"] = {
                key: value,
                "id": {"S": self._space.key(after_id)},
                "timestamp": {"N": str(HEAD_TIMESTAMP)},
            }
        return self._query(query)

    def list_versions(self, item_id: str, limit: int, before: int | None) -> Page:
        """One page of an item's versions, newest first, tombstones included."""
        query: dict[str, Any] = {
            "TableName": self._settings.table_name,
            "KeyConditionExpression": "#id = :id AND #ts > :head",
            "ExpressionAttributeNames": {"#id": "id", "#ts": "timestamp"},
            "ExpressionAttributeValues": {
                ":id": {"S": self._space.key(item_id)},
                ":head": {"N": str(HEAD_TIMESTAMP)},
            },
            "ScanIndexForward": False,
            "ConsistentRead": True,
            "Limit": limit,
        }
        if before is not None:
            query["ExclusiveStartKey"] = {
                "id": {"S": self._space.key(item_id)},
                "timestamp": {"N": str(before)},
            }
        return self._query(query)

    def load(self, record: Record) -> Version:
        """The API view of a record, fetching an offloaded body's exact S3 version."""
        content = record.content
        if content is None:
            data_json = None
        elif isinstance(content, StoredObject):
            # We wrote the object with codec.dumps, so its bytes are the canonical text.
            data_json = self._bodies.read(content)
        else:
            data_json = codec.dumps(content)
        return Version(record.id, record.timestamp, data_json, record.written_by, record.owner)

    def claimed(self, claim: Claim) -> Answer | None:
        """The answer kept under ``claim``'s key, or None if there is none or it expired
        (DynamoDB's TTL deletes expired records only some time later)."""
        item = self._get_item(claim.record_id, HEAD_TIMESTAMP)
        if item is None or int(item[EXPIRES_AT]["N"]) <= time.time():
            return None
        return answer_from_item(item)

    def create(
        self,
        item_id: str,
        body: ItemBody,
        location: str,
        deadline: float,
        claim: Claim | None = None,
        *,
        made_up: bool = True,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> Version:
        """Write the first version of ``item_id``, answered with 201 and ``location``.

        A ``made_up`` id (POST's) was never used, so no head is read. A client's id
        (``made_up=False``, ``If-None-Match: *``) may have been: a deleted item comes
        back as a new version, and a live one is a 412.
        """
        timestamp, owner = self._append(
            item_id,
            self._once(item_id, body),
            deadline,
            fresh=made_up,
            absent=not made_up,
            claim=claim,
            reply=(201, location),
            writer=writer,
            guard=guard,
        )
        return Version(item_id, timestamp, body.text, writer, owner)

    def update(
        self,
        item_id: str,
        body: ItemBody,
        if_match: frozenset[int] | None,
        deadline: float,
        claim: Claim | None = None,
        *,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> Version:
        """Append a new version to a live item; 404 if none, 412 if If-Match fails."""
        timestamp, owner = self._append(
            item_id,
            self._once(item_id, body),
            deadline,
            if_match=if_match,
            claim=claim,
            writer=writer,
            guard=guard,
        )
        return Version(item_id, timestamp, body.text, writer, owner)

    def patch(
        self,
        item_id: str,
        merged: Callable[[Document], ItemBody],
        if_match: frozenset[int] | None,
        deadline: float,
        claim: Claim | None = None,
        *,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> Version:
        """Append ``merged(latest data)`` to a live item; 404 if none, 412 if If-Match fails.

        A writer that got in first changes what is merged into, so a lost race merges
        again, into the new latest version.
        """
        bodies: list[ItemBody] = []

        def prepare(head: Record | None) -> Prepared:
            assert head is not None
            text = self.load(head).data_json
            assert text is not None  # a live head has data
            current = codec.loads(text.encode("ascii"))
            assert isinstance(current, dict)
            bodies.append(merged(current))
            return self._bodies.content(self._space.key(item_id), bodies[-1]), bodies[-1].data

        timestamp, owner = self._append(
            item_id, prepare, deadline, if_match=if_match, claim=claim, writer=writer, guard=guard
        )
        return Version(item_id, timestamp, bodies[-1].text, writer, owner)

    def delete(
        self,
        item_id: str,
        if_match: frozenset[int] | None,
        deadline: float,
        claim: Claim | None = None,
        *,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> None:
        """Append a tombstone to a live item; 404 if none, 412 if If-Match fails."""
        self._append(
            item_id,
            lambda head: (None, None),
            deadline,
            if_match=if_match,
            claim=claim,
            reply=(204, None),
            writer=writer,
            guard=guard,
        )

    def restore(
        self,
        record: Record,
        restored: Version,
        data: Document,
        if_match: frozenset[int] | None,
        deadline: float,
        claim: Claim | None = None,
        *,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> Version:
        """Append a version with ``record``'s data (``restored`` is ``load(record)``, and
        ``data`` its data); a deleted item comes back.

        An offloaded body is not copied: the new version points at the same S3 object
        version, which is never overwritten. History is only ever appended to.
        """
        timestamp, owner = self._append(
            record.id,
            lambda head: (record.content, data),
            deadline,
            if_match=if_match,
            revive=True,
            claim=claim,
            owned=False,  # the restored version's object: never deleted
            writer=writer,
            guard=guard,
        )
        return Version(record.id, timestamp, restored.data_json, writer, owner)

    def _once(self, item_id: str, body: ItemBody) -> Callable[[Record | None], Prepared]:
        """The content of ``body`` and its data, made on the first call only.

        Only once the first checks pass, so a 404 or 412 leaves no object behind in S3.
        """
        made: list[Prepared] = []

        def prepare(head: Record | None) -> Prepared:
            if not made:
                made.append((self._bodies.content(self._space.key(item_id), body), body.data))
            return made[0]

        return prepare

    def _keys(self, data: Document | None, owner: str | None) -> Item:
        """The head's index keys for a latest version with ``data`` (None: a tombstone):
        the attribute indexes', and the owners' indexes' for an item with an owner."""
        if data is None:
            return {}
        scope = None if owner is None else self._space.owner_scope(owner)
        keys = head_keys(self._settings.indexes, data, scope, self._space.index_prefix)
        if scope is not None:
            # Always, not only with an owner rule: creating the owners' listing later
            # then finds the items already there.
            keys[OWNED_LIST_KEY] = {"S": owned_key(scope)}
        return keys

    def _append(
        self,
        item_id: str,
        prepare: Callable[[Record | None], Prepared],
        deadline: float,
        *,
        if_match: frozenset[int] | None = None,
        revive: bool = False,
        absent: bool = False,
        fresh: bool = False,
        claim: Claim | None = None,
        reply: tuple[int, str | None] = (200, None),
        owned: bool = True,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> tuple[int, str | None]:
        """Write a version after the latest one; retry lost races. Return its timestamp
        and the item's owner.

        ``prepare(head)`` gives the new version's content (None: a tombstone) and the data
        its head's index keys come from, after the checks against the latest version
        ``head`` pass. ``guard(head)``, for an item that exists, raises if the caller may
        not make the change (access.py): before If-Match is looked at, so that a caller
        who may not read the item learns nothing of it.
        By default the item must be live (else 404). With ``revive`` a deleted item may
        be written to (a restore); with ``absent`` the item must not be live (else 412);
        ``fresh`` skips reading the head of an id that was just made up. Retries
        continue until ``deadline`` (time.monotonic()), so a busy item gets as many
        attempts as the invocation can afford, then a 503.

        With ``claim``, the key record (answering ``reply``: status and Location) is
        written in the same transaction; if the key is already taken, KeyClaimed.

        With ``owned``, S3 objects in the prepared content were uploaded by this request:
        those that no version ends up pointing at are deleted (see the module's docstring).
        ``writer`` is recorded as the version's ``written_by``, and as the item's ``owner``
        when this version creates it; later versions keep the owner.
        """
        with self._bodies.uploads(owned) as uploads:
            ceiling = BACKOFF_BASE_SECONDS
            while True:
                head = None if fresh else self.latest(item_id)
                if absent or fresh:
                    if head is not None and not head.deleted:
                        raise PreconditionFailed(
                            f"item {item_id} exists; If-None-Match: * only creates an item"
                        )
                elif head is None or (head.deleted and not revive):
                    raise NotFound(f"item {item_id} does not exist")
                if guard is not None and head is not None:
                    guard(head)
                if if_match is not None and (head is None or head.timestamp not in if_match):
                    raise PreconditionFailed(
                        f"item {item_id} is at version {head and head.timestamp}, "
                        "not the one in If-Match"
                    )
                content, data = prepare(head)
                owner = writer if head is None else head.owner
                keys = self._keys(data, owner)
                # Strictly after the latest version even if the clock lags or two
                # writes share a millisecond: versions never collide or go back.
                timestamp = now_ms() if head is None else max(now_ms(), head.timestamp + 1)
                key = None
                if claim is not None:
                    status, location = reply
                    answer = Answer(claim.fingerprint, status, item_id, timestamp, location)
                    key = key_record(claim, answer)
                seen = None if head is None else head.timestamp
                version = version_item(
                    self._space.key(item_id),
                    timestamp,
                    content,
                    change=_change(head, content, revive),
                    previous=seen,
                    written_by=writer,
                    owner=owner,
                )
                uploads.sending(content)
                try:
                    self._transact(version, content, keys, seen, key)
                except ClientError as error:
                    reasons = _cancellation_codes(error)
                    if not _LOST_RACE.intersection(reasons):
                        raise
                    uploads.refused(content)
                    key_reason = reasons[2] if claim is not None and len(reasons) > 2 else None
                    if key_reason == "ConditionalCheckFailed":
                        raise KeyClaimed() from None
                else:
                    uploads.kept(content)
                    return timestamp, owner
                # Another writer got in first: pause, then re-read the head (and If-Match).
                pause = random.uniform(0, ceiling)
                if time.monotonic() + pause > deadline:
                    if key_reason == "TransactionConflict":
                        raise RequestInProgress()
                    raise TooMuchContention(f"item {item_id} is being written too often; retry")
                time.sleep(pause)
                ceiling = min(BACKOFF_CAP_SECONDS, ceiling * 2)

    def _transact(
        self,
        version: Item,
        content: Content,
        keys: Item,
        seen: int | None,
        key: Item | None = None,
    ) -> None:
        """Put the version and the head atomically; the head's condition orders writers.

        The head replaces the previous one whole, so index keys the new version no
        longer has are gone with it. An Idempotency-Key's record ``key`` goes in too, unless
        the key is taken (and not expired): never a version without its key record, or
        a key record without its version.
        """
        table = self._settings.table_name
        head_put: dict[str, Any] = {"TableName": table}
        if seen is None:
            head_put["ConditionExpression"] = "attribute_not_exists(#id)"
            head_put["ExpressionAttributeNames"] = {"#id": "id"}
        else:
            head_put["ConditionExpression"] = "#latest = :seen"
            head_put["ExpressionAttributeNames"] = {"#latest": "latest"}
            head_put["ExpressionAttributeValues"] = {":seen": {"N": str(seen)}}
        record = record_from_item(version)
        head_put["Item"] = head_item(
            record.id,
            record.timestamp,
            content,
            keys,
            record.written_by,
            record.owner,
            self._space.listing,
        )
        puts: list[dict[str, Any]] = [
            {
                "TableName": table,
                "Item": version,
                "ConditionExpression": "attribute_not_exists(#id)",
                "ExpressionAttributeNames": {"#id": "id"},
            },
            head_put,
        ]
        if key is not None:
            puts.append(
                {
                    "TableName": table,
                    "Item": key,
                    "ConditionExpression": "attribute_not_exists(#id) OR #expires <= :now",
                    "ExpressionAttributeNames": {"#id": "id", "#expires": EXPIRES_AT},
                    "ExpressionAttributeValues": {":now": {"N": str(int(time.time()))}},
                }
            )
        try:
            self._dynamodb.transact_write_items(
                TransactItems=[{"Put": put} for put in puts],  # type: ignore[typeddict-item]
                # Makes botocore's own retries of this call idempotent.
                ClientRequestToken=uuid.uuid4().hex,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _OUTCOME_UNKNOWN:
                raise WriteOutcomeUnknown() from error
            raise
        except (AwsUnreachable, HTTPClientError) as error:
            # A timeout or a dropped connection after botocore's retries: DynamoDB may
            # have committed the transaction before the answer was lost.
            raise WriteOutcomeUnknown() from error

    def _query(self, query: dict[str, Any]) -> Page:
        response = self._dynamodb.query(**query)
        return Page(
            records=[self._record(item) for item in response.get("Items", [])],
            more="LastEvaluatedKey" in response,
        )


def _change(head: Record | None, content: Content, revive: bool) -> str:
    """What a new version with ``content`` after ``head`` does (records.CHANGES)."""
    if revive:
        return "restored"
    if content is None:
        return "deleted"
    if head is None or head.deleted:
        return "created"  # a first version, or If-None-Match: * on a deleted item
    return "updated"


# What TransactWriteItems answers when it may have committed all the same.
_OUTCOME_UNKNOWN = frozenset(
    {"InternalServerError", "ServiceUnavailable", "TransactionInProgressException"}
)


def _cancellation_codes(error: ClientError) -> list[str]:
    """Per transaction item, why a cancelled transaction failed ("None" where it did not);
    empty for any other error."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
    return [str(reason.get("Code")) for reason in reasons]
