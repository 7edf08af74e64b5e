"""Read cost as data grows: items DynamoDB reads for a GET, a list page, a versions page,
and a page of an index query (``GET /orders?status=paid`` on the shop example).

Counted from DynamoDB's own answers on the runtime's client (Query's ScannedCount, the
item a GetItem returns), the measure DynamoDB bills reads by; moto's ConsumedCapacity
is a placeholder. Counts do not depend on the machine, so one run of each is enough.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdk_serverless_crud.local.context import LambdaContext
from cdk_serverless_crud.local.reads import ReadCounter
from cdk_serverless_crud.local.seeding import OwnedItem, seed_items, seed_owned_items
from cdk_serverless_crud.local.template import ApiSpec, FunctionSpec, load_api

from .common import api_event, get_item_event, store_table
from .latency import warm_runtime

PAGE = 25  # the API's default page size, for GET /items and GET /items/{id}/versions
PROBE = "item-00000"
#: The index query: the shop's orders, by status; a quarter of the orders have each.
INDEX_COLLECTION = "orders"
INDEX_ATTRIBUTE = "status"
STATUSES = ("new", "paid", "shipped", "cancelled")
QUERIED_STATUS = "paid"
#: The sorted, bounded query: one customer's orders from mid-March, newest first.
CUSTOMERS = 50
QUERIED_CUSTOMER = "customer-07"
SORTED_BOUND = "2026-03-15T00:00:00Z"
SORTED_QUERY = {"customer_id": QUERIED_CUSTOMER, "placed_at.gte": SORTED_BOUND, "order": "desc"}


@dataclass
class Reads:
    """What one request cost: items read, items returned, and the AWS calls made."""

    items_read: int
    items_returned: int
    calls: list[str]


@dataclass
class Cell:
    """One data size and what each request read at that size."""

    items: int
    versions: int
    probe_versions: int
    records: int
    get: Reads
    list_page: Reads
    versions_page: Reads

    def expected(self) -> dict[str, tuple[int, list[str]]]:
        """Reads a page costs if it reads exactly what it returns, with one call each."""
        return {
            "get": (1, ["GetItem"]),
            "list_page": (min(PAGE, self.items), ["Query"]),
            "versions_page": (min(PAGE, self.probe_versions), ["Query"]),
        }

    @property
    def flat(self) -> bool:
        """Each request read only what it returned, so cost is bounded by the page size."""
        for name, (count, calls) in self.expected().items():
            reads: Reads = getattr(self, name)
            if (reads.items_read, reads.calls) != (count, calls):
                return False
        return True


@dataclass
class IndexCell:
    """One table size and what a page of the index query read at that size."""

    items: int
    matching: int
    """Live items with the queried value: those the index holds under it."""
    records: int
    page: Reads
    sorted_matching: int = 0
    """The queried customer's orders placed from the bound on (``SORTED_QUERY``)."""
    sorted_page: Reads = field(default_factory=lambda: Reads(0, 0, []))

    @property
    def flat(self) -> bool:
        """Each page read what it returned, a full page if there were enough, in one Query."""
        return all(
            (page.items_read, page.items_returned, page.calls)
            == (min(PAGE, matching), min(PAGE, matching), ["Query"])
            for page, matching in (
                (self.page, self.matching),
                (self.sorted_page, self.sorted_matching),
            )
        )


@dataclass
class ReadCostResult:
    cells: list[Cell] = field(default_factory=list)
    index_cells: list[IndexCell] = field(default_factory=list)

    @property
    def flat(self) -> bool:
        return all(cell.flat for cell in self.cells)

    @property
    def index_flat(self) -> bool:
        return all(cell.flat for cell in self.index_cells)

    def to_json(self) -> dict[str, Any]:
        return {
            "flat": self.flat,
            "cells": [_cell_json(cell) for cell in self.cells],
            "index_flat": self.index_flat,
            "index_cells": [
                {**vars(cell), "page": vars(cell.page), "flat": cell.flat}
                for cell in self.index_cells
            ],
        }


def _cell_json(cell: Cell) -> dict[str, Any]:
    return {
        "items": cell.items,
        "versions": cell.versions,
        "probe_versions": cell.probe_versions,
        "records": cell.records,
        "get": vars(cell.get),
        "list_page": vars(cell.list_page),
        "versions_page": vars(cell.versions_page),
        "flat": cell.flat,
    }


def measure_read_cost(
    sizes: list[tuple[int, int, int]],
    *,
    assembly: Path,
    index_sizes: list[int],
    index_assembly: Path,
) -> ReadCostResult:
    """Seed each size of the app in ``assembly``, and of the shop in ``index_assembly``; read.

    For each ``(items, versions, probe_versions)`` of ``sizes``, every item has
    ``versions`` versions except the one read (``PROBE``), which has ``probe_versions``.
    For each count of ``index_sizes``, that many orders, a quarter of them with each
    status. Each size gets a fresh moto.
    """
    api = load_api(assembly)
    result = ReadCostResult()
    for items, versions, probe_versions in sizes:
        result.cells.append(_measure_cell(api, items, versions, probe_versions))
    shop = load_api(index_assembly)
    (orders,) = [f for f in shop.functions if f.environment["COLLECTION"] == INDEX_COLLECTION]
    for items in index_sizes:
        result.index_cells.append(_measure_index_cell(shop, orders, items))
    return result


def _measure_index_cell(api: ApiSpec, function: FunctionSpec, items: int) -> IndexCell:
    """Seed ``items`` orders with their index keys, then read the first page of a query
    and of a sorted, bounded one."""
    orders = [
        OwnedItem(
            f"order-{n:05d}",
            "bench",
            {
                "customer_id": f"customer-{n % CUSTOMERS:02d}",
                "status": STATUSES[n % len(STATUSES)],
                "placed_at": f"2026-03-{1 + n // CUSTOMERS % 28:02d}T{n % 24:02d}:00:00Z",
            },
        )
        for n in range(items)
    ]
    with warm_runtime(api, function) as handler:
        from item_service import clients, config

        dynamodb = clients.dynamodb()
        # As the runtime writes them: every index key, the sorted index's sort keys too.
        records = seed_owned_items(
            dynamodb, function.environment["TABLE_NAME"], orders, config.settings().indexes
        )
        counter = ReadCounter()
        events = dynamodb.meta.events
        events.register("after-call.dynamodb", counter.after_call)
        path = f"/{INDEX_COLLECTION}"
        event = api_event("GET", path, path, query={INDEX_ATTRIBUTE: QUERIED_STATUS})
        sorted_event = api_event("GET", path, path, query=SORTED_QUERY)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                # A warm container: its first query of an index also reads the index's
                # backfill record, once for the container's life (one GetItem).
                _request(handler, counter, event, "items")
                page = _request(handler, counter, event, "items")
                _request(handler, counter, sorted_event, "items")
                sorted_page = _request(handler, counter, sorted_event, "items")
        finally:
            events.unregister("after-call.dynamodb", counter.after_call)
    data = [order.data for order in orders]
    return IndexCell(
        items=items,
        matching=sum(1 for d in data if d["status"] == QUERIED_STATUS),
        records=records,
        page=page,
        sorted_matching=sum(
            1
            for d in data
            if d["customer_id"] == QUERIED_CUSTOMER and str(d["placed_at"]) >= SORTED_BOUND
        ),
        sorted_page=sorted_page,
    )


def _measure_cell(api: ApiSpec, items: int, versions: int, probe_versions: int) -> Cell:
    table = store_table(api)
    with warm_runtime(api) as handler:
        from item_service import clients

        dynamodb = clients.dynamodb()
        others = [f"item-{n:05d}" for n in range(1, items)]
        records = seed_items(dynamodb, table, [PROBE], probe_versions) + seed_items(
            dynamodb, table, others, versions
        )
        counter = ReadCounter()
        events = dynamodb.meta.events
        events.register("after-call.dynamodb", counter.after_call)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                get = _request(handler, counter, get_item_event(PROBE), None)
                list_page = _request(
                    handler, counter, api_event("GET", "/items", "/items"), "items"
                )
                versions_event = api_event(
                    "GET",
                    "/items/{id}/versions",
                    f"/items/{PROBE}/versions",
                    path_params={"id": PROBE},
                )
                versions_page = _request(handler, counter, versions_event, "versions")
        finally:
            events.unregister("after-call.dynamodb", counter.after_call)
    return Cell(items, versions, probe_versions, records, get, list_page, versions_page)


def _request(handler: Any, counter: ReadCounter, event: dict[str, Any], key: str | None) -> Reads:
    counter.take()
    answer = handler.handler(event, LambdaContext(request_id="bench-request"))
    if answer["statusCode"] != 200:
        raise RuntimeError(f"{event['path']} answered {answer['statusCode']}: {answer['body']}")
    body = json.loads(answer["body"])
    returned = 1 if key is None else len(body[key])
    items_read, calls = counter.take()
    return Reads(items_read=items_read, items_returned=returned, calls=calls)
