"""Reading item versions: heads, versions, pages of the collection's indexes, bodies.

Only GetItem and Query (on the table, the listing index and the collection's own
indexes, the owners' included) and S3 GetObject are called. Time travel reads stored
versions the same way: one GetItem for an exact version, one Query (at or below an
instant, newest first, limit 1) for the version current then. Every key comes from the
repository's key space (spaces.py), so a tenant's reads reach only its own records.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from . import codec
from .access import owned_key
from .bodies import BodyStore
from .config import Settings
from .indexes import LISTING_SORT_KEY, OWNED_LIST_KEY, IndexQuery
from .records import (
    EXPIRES_AT,
    HEAD_TIMESTAMP,
    Answer,
    AttributeValue,
    Claim,
    Item,
    Record,
    StoredObject,
    Version,
    answer_from_item,
    record_from_item,
)
from .sort_keys import Interval
from .spaces import KeySpace

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class Page:
    """Records of one Query page; ``more`` when DynamoDB stopped before the end."""

    records: list[Record]
    more: bool


class ItemReads:
    """Reads versions and heads of one key space; never writes."""

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

    def in_space(self, space: KeySpace) -> Self:
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

    def created_at(self, head: Record) -> int:
        """When the item of ``head`` was created: the head's record of it, or, for a head
        written before heads recorded it, its first version's timestamp (one Query)."""
        if head.created_at is not None:
            return head.created_at
        page = self._query(
            {
                "TableName": self._settings.table_name,
                "KeyConditionExpression": "#id = :id AND #ts > :head",
                "ExpressionAttributeNames": {"#id": "id", "#ts": "timestamp"},
                "ExpressionAttributeValues": {
                    ":id": {"S": self._space.key(head.id)},
                    ":head": {"N": str(HEAD_TIMESTAMP)},
                },
                "ConsistentRead": True,
                "Limit": 1,
            }
        )
        return page.records[0].timestamp if page.records else head.timestamp

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

    def list_latest(
        self,
        limit: int,
        after_id: str | None,
        descending: bool = False,
        after_sort_key: str | None = None,
    ) -> Page:
        """One page of live heads in id order, from the sparse listing index, or with a
        ``listing_order``, in that order from its own index (``after_sort_key``: the
        ``lx`` of ``after_id``)."""
        ordered = self._settings.sorted_listing_index
        return self._query_heads(
            ordered or self._settings.list_index_name,
            "listing",
            {"S": self._space.listing},
            limit,
            after_id,
            descending=descending,
            sort_key=None if ordered is None else LISTING_SORT_KEY,
            after_sort_key=after_sort_key,
        )

    def list_owned(
        self, owner: str, limit: int, after_id: str | None, descending: bool = False
    ) -> Page:
        """One page of ``owner``'s live heads in id order, from the owners' listing."""
        assert self._settings.owned_list_index is not None  # an owner rule reads
        return self._query_heads(
            self._settings.owned_list_index,
            OWNED_LIST_KEY,
            {"S": owned_key(self._space.owner_scope(owner))},
            limit,
            after_id,
            descending=descending,
        )

    def list_by_index(
        self, query: IndexQuery, limit: int, after_id: str | None, after_sort_key: str | None = None
    ) -> Page:
        """One page of the live heads whose indexed attribute has the value, in id order
        or, from a sorted index, in sort order; with ``query.owner``, only that owner's,
        from the owners' index. ``after_sort_key``: the sort key of ``after_id``."""
        index = query.index
        if query.owner is not None:
            assert index.owned_index is not None and index.owned_key is not None
            name, key, value = index.owned_index, index.owned_key, query.owned_value
        else:
            name, key, value = index.name, index.key, query.stored_value
        return self._query_heads(
            name,
            key,
            value,
            limit,
            after_id,
            descending=query.descending,
            sort_key=index.sort_key,
            interval=query.interval,
            after_sort_key=after_sort_key,
        )

    def _query_heads(
        self,
        index_name: str,
        key: str,
        value: AttributeValue,
        limit: int,
        after_id: str | None,
        *,
        descending: bool = False,
        sort_key: str | None = None,
        interval: Interval | None = None,
        after_sort_key: str | None = None,
    ) -> Page:
        """Query a sparse index of heads: partition key ``key``, sort key ``id`` or, for a
        sorted index, ``sort_key``, within ``interval``."""
        if interval is not None and interval.empty:
            return Page(records=[], more=False)
        names = {"#key": key}
        values: dict[str, AttributeValue] = {":value": value}
        condition = "#key = :value"
        if sort_key is not None and interval is not None:
            names["#sort"] = sort_key
            if interval.prefix is not None:
                condition += " AND begins_with(#sort, :prefix)"
                values[":prefix"] = {"S": interval.prefix}
            elif interval.low is not None and interval.high is not None:
                condition += " AND #sort BETWEEN :low AND :high"
                values.update({":low": {"S": interval.low}, ":high": {"S": interval.high}})
            elif interval.low is not None:
                condition += " AND #sort >= :low"
                values[":low"] = {"S": interval.low}
            elif interval.high is not None:
                condition += " AND #sort <= :high"
                values[":high"] = {"S": interval.high}
        query: dict[str, Any] = {
            "TableName": self._settings.table_name,
            "IndexName": index_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "Limit": limit,
            "ScanIndexForward": not descending,
        }
        if after_id is not None:
            # Built from the request's own value, so a cursor can only move the start
            # within this partition: never a key DynamoDB would refuse.
            query["ExclusiveStartKey"] = {
                key: value,
                "id": {"S": self._space.key(after_id)},
                "timestamp": {"N": str(HEAD_TIMESTAMP)},
            }
            if sort_key is not None:
                assert after_sort_key is not None
                query["ExclusiveStartKey"][sort_key] = {"S": after_sort_key}
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

    def _query(self, query: dict[str, Any]) -> Page:
        response = self._dynamodb.query(**query)
        return Page(
            records=[self._record(item) for item in response.get("Items", [])],
            more="LastEvaluatedKey" in response,
        )
