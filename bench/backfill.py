"""Index backfill in local mode: how fast the items already stored get an added index's
keys, and what that costs DynamoDB per item.

For each size, the shop's ``orders`` table on DynamoDB Local (local mode's default)
holds that many live orders written before their indexes existed (heads without
``ix_`` keys, seeded as the runtime writes them otherwise); then both of its indexes
(``status`` and ``customer_id``) are backfilled at once with the runtime's own job
(``runtime/item_service/backfill.py``), ``customer_id`` with its ``placed_at`` sort
keys, as the deploy's ``IndexBackfill`` and local
mode run it. Capacity is DynamoDB Local's own ``ConsumedCapacity`` (with the indexes'
share), asked of every call the job makes. A query of each index then must find every
order, or the cell fails.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3

from cdk_serverless_crud.local.aws import in_memory_aws
from cdk_serverless_crud.local.environment import REGION
from cdk_serverless_crud.local.seeding import OwnedItem, seed_owned_items
from cdk_serverless_crud.local.template import load_api
from cdk_serverless_crud.runtime.item_service.backfill import Backfill
from cdk_serverless_crud.runtime.item_service.config import settings_from

from .readcost import INDEX_COLLECTION, STATUSES

CUSTOMERS = 50


@dataclass
class BackfillCell:
    """``items`` orders, both indexes backfilled in one run."""

    items: int
    seconds: float
    written: int
    read_units: float
    write_units: float
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds

    @property
    def write_units_per_item(self) -> float:
        return self.write_units / self.items

    @property
    def read_units_per_item(self) -> float:
        return self.read_units / self.items


@dataclass
class BackfillResult:
    cells: list[BackfillCell] = field(default_factory=list)

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(cell) for cell in self.cells]


class _Consumed:
    """Asks every call for its ConsumedCapacity (indexes included) and adds it up."""

    def __init__(self) -> None:
        self.read = 0.0
        self.write = 0.0
        self.calls: Counter[str] = Counter()

    def ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("Scan", "GetItem", "PutItem", "UpdateItem"):
            params["ReturnConsumedCapacity"] = "INDEXES"

    def add(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        units = float(parsed.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))
        if model.name in ("Scan", "GetItem"):
            self.read += units
        else:
            self.write += units


def measure_backfill(assembly: Path, sizes: tuple[int, ...]) -> BackfillResult:
    """Backfill the shop's orders at each size, on a fresh DynamoDB Local each."""
    api = load_api(assembly)
    (orders,) = [f for f in api.functions if f.environment["COLLECTION"] == INDEX_COLLECTION]
    settings = settings_from(orders.environment)
    result = BackfillResult()
    for items in sizes:
        with in_memory_aws(api, dynamodb="dynamodb-local") as aws:
            dynamodb = boto3.client(
                "dynamodb", endpoint_url=aws.dynamodb_endpoint, region_name=REGION
            )
            s3 = boto3.client("s3", endpoint_url=aws.endpoint, region_name=REGION)
            result.cells.append(_cell(settings, dynamodb, s3, items))
    return result


def _cell(settings: Any, dynamodb: Any, s3: Any, items: int) -> BackfillCell:
    orders = [
        OwnedItem(
            f"order-{n:05d}",
            "bench",
            {
                "status": STATUSES[n % len(STATUSES)],
                "customer_id": f"customer-{n % CUSTOMERS}",
                "placed_at": f"2026-03-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            },
        )
        for n in range(items)
    ]
    # Written before the indexes: heads without their keys.
    seed_owned_items(dynamodb, settings.table_name, orders, indexes=())
    consumed = _Consumed()
    events = dynamodb.meta.events
    events.register("provide-client-params.dynamodb", consumed.ask)
    events.register("after-call.dynamodb", consumed.add)
    try:
        backfill = Backfill(settings, dynamodb, lambda: s3)
        backfill.start([index.name for index in settings.indexes])
        started = time.perf_counter()
        progress = backfill.run(math.inf)
        seconds = time.perf_counter() - started
    finally:
        events.unregister("provide-client-params.dynamodb", consumed.ask)
        events.unregister("after-call.dynamodb", consumed.add)
    if not progress.done or progress.written != items:
        raise AssertionError(f"the backfill of {items} orders wrote {progress.written}")
    for index in settings.indexes:
        found = _count(dynamodb, settings.table_name, index.name)
        if found != items:
            raise AssertionError(f"{index.name} holds {found} of {items} orders")
    return BackfillCell(
        items=items,
        seconds=seconds,
        written=progress.written,
        read_units=consumed.read,
        write_units=consumed.write,
        calls=dict(consumed.calls),
    )


def _count(dynamodb: Any, table: str, index_name: str) -> int:
    count, pages = 0, dynamodb.get_paginator("scan")
    for page in pages.paginate(TableName=table, IndexName=index_name, Select="COUNT"):
        count += page["Count"]
    return int(count)
