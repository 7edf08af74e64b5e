"""Items written straight to a table in the runtime's layout, for tests and benchmarks.

The layout is docs/design.md's: one record per version plus a head per item
(``timestamp`` 0, ``latest`` naming the newest version, ``listing`` putting it in the
sparse index). Seeding that way costs a fraction of going through the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

START_MS = 1_700_000_000_000
"""Timestamp of the first version of seeded items (epoch ms)."""

#: DynamoDB's BatchWriteItem takes at most 25 requests.
_BATCH = 25


def seed_items(dynamodb: Any, table: str, ids: Sequence[str], versions: int) -> int:
    """Write items with ``versions`` versions each to ``table``; return the records written."""
    data = {"M": {"name": {"S": "widget"}, "price": {"N": "9.99"}}}
    records: list[dict[str, Any]] = []
    for item_id in ids:
        for version in range(versions):
            records.append(
                {"id": {"S": item_id}, "timestamp": {"N": str(START_MS + version)}, "data": data}
            )
        records.append(
            {
                "id": {"S": item_id},
                "timestamp": {"N": "0"},
                "latest": {"N": str(START_MS + versions - 1)},
                "data": data,
                "listing": {"S": "item"},
            }
        )
    for start in range(0, len(records), _BATCH):
        batch = [{"PutRequest": {"Item": r}} for r in records[start : start + _BATCH]]
        dynamodb.batch_write_item(RequestItems={table: batch})
    return len(records)
