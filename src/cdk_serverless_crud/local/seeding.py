"""Items written straight to a table in the runtime's layout, for tests and benchmarks.

The layout is docs/design.md's: one record per version plus a head per item
(``timestamp`` 0, ``latest`` naming the newest version, ``listing`` putting it in the
sparse listing index and, for a typed collection's indexes, an ``ix_<attribute>`` key
holding the item's value, putting it in that index). The records come from the
runtime's own builders (``records.version_item``, ``head_item``), so a seeded version
carries ``change`` and ``previous`` as a written one does. Seeding that way costs a
fraction of going through the API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cdk_serverless_crud.runtime.item_service.codec import Document, Json
from cdk_serverless_crud.runtime.item_service.indexes import Index, item_keys
from cdk_serverless_crud.runtime.item_service.records import head_item, to_attribute, version_item
from cdk_serverless_crud.runtime.item_service.spaces import KeySpace

START_MS = 1_700_000_000_000
"""Timestamp of the first version of seeded items (epoch ms)."""

#: DynamoDB's BatchWriteItem takes at most 25 requests.
_BATCH = 25

#: What a seeded item holds unless ``data`` says otherwise.
DEFAULT_DATA: Mapping[str, str | float] = {"name": "widget", "price": 9.99}

Data = Mapping[str, str | int | float]
"""An item's data: top-level strings and numbers, enough for an index to key on."""


def seed_items(
    dynamodb: Any,
    table: str,
    ids: Sequence[str],
    versions: int,
    *,
    data: Callable[[str], Data] | None = None,
    indexed: Sequence[str] = (),
) -> int:
    """Write items with ``versions`` versions each to ``table``; return the records written.

    Every version of an item holds ``data(item_id)`` (default :data:`DEFAULT_DATA`). For
    each attribute in ``indexed``, the head carries ``ix_<attribute>`` with the data's
    value, as the runtime writes it for an ``Index`` (a string as S, a number as N); an
    item whose data lacks the attribute stays out of that index.
    """
    records: list[dict[str, Any]] = []
    for item_id in ids:
        values = DEFAULT_DATA if data is None else data(item_id)
        content: Document = {key: _json(value) for key, value in values.items()}
        for version in range(versions):
            records.append(
                version_item(
                    item_id,
                    START_MS + version,
                    content,
                    change="updated" if version else "created",
                    previous=START_MS + version - 1 if version else None,
                )
            )
        index_keys = {
            f"ix_{attribute}": to_attribute(content[attribute])
            for attribute in indexed
            if attribute in values
        }
        records.append(head_item(item_id, START_MS + versions - 1, content, index_keys))
    _write(dynamodb, table, records)
    return len(records)


@dataclass(frozen=True)
class OwnedItem:
    """An item to seed with the caller who created it and, with tenancy, its tenant."""

    id: str
    owner: str
    data: Data
    tenant: str | None = None


def seed_owned_items(
    dynamodb: Any, table: str, items: Sequence[OwnedItem], indexes: tuple[Index, ...]
) -> int:
    """Write one version of each of ``items`` to ``table``; return the records written.

    Each is stored as a collection with access rules or tenancy stores it: under its
    tenant's keys (spaces.py), with ``owner`` and ``written_by``, and a head carrying
    every index key the runtime writes (``indexes.item_keys``: the attribute indexes',
    the owners' indexes' and the owners' listing's). ``indexes`` is the function's own
    (``config.settings().indexes``).
    """
    records: list[dict[str, Any]] = []
    for item in items:
        space = KeySpace(item.tenant)
        content: Document = {key: _json(value) for key, value in item.data.items()}
        key = space.key(item.id)
        keys = item_keys(indexes, space, content, item.owner, item.id)
        records.append(
            version_item(
                key, START_MS, content, change="created", written_by=item.owner, owner=item.owner
            )
        )
        records.append(
            head_item(key, START_MS, content, keys, item.owner, item.owner, space.listing)
        )
    _write(dynamodb, table, records)
    return len(records)


def _write(dynamodb: Any, table: str, records: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(records), _BATCH):
        batch = [{"PutRequest": {"Item": r}} for r in records[start : start + _BATCH]]
        dynamodb.batch_write_item(RequestItems={table: batch})


def _json(value: str | int | float) -> Json:
    """A number as the runtime holds it: a Decimal of its text, never a float."""
    return Decimal(str(value)) if isinstance(value, float) else value
