"""DynamoDB capacity per operation: read and write units, from the items actually sent.

Each operation runs through the runtime against moto; every DynamoDB call it makes is
recorded on the runtime's client, and its units are computed with DynamoDB's billing
rules from the sizes of the items written and read (moto's ConsumedCapacity is a
placeholder):

- a write costs one unit per 1 KB of each item written, rounded up per item;
- a read costs one unit per 4 KB, rounded up: per item for GetItem (a missing item still
  costs one), and over the sum of the items read for a Query;
- an eventually consistent read (every index Query) costs half;
- a transactional request (TransactWriteItems) costs twice.

Item size follows DynamoDB's rules: attribute names plus values, a number about one
byte per two significant digits plus one, a map or list three bytes plus one per
element. Units do not depend on the machine, so one run is enough.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cdk_serverless_crud.local.context import LambdaContext
from cdk_serverless_crud.local.template import load_api

from .common import api_event
from .latency import warm_runtime

KB = 1024
#: Items measured: version records of just under 1 KB and 100 KB.
BODY_SIZES = (1 * KB, 100 * KB)
PAGE = 25
MERGE_PATCH = "application/merge-patch+json"


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        digits = len(Decimal(inner).normalize().as_tuple().digits)
        return (digits + 1) // 2 + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    raise ValueError(f"no size rule for {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes DynamoDB counts for an item: each attribute's name and value."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


@dataclass
class Units:
    """What one request cost DynamoDB, and the calls it made."""

    read: float = 0.0
    write: float = 0.0
    calls: list[str] = field(default_factory=list)


class CapacityMeter:
    """Units of the DynamoDB calls on a client since the last :meth:`take`."""

    def __init__(self) -> None:
        self._units = Units()
        self._params: dict[str, Any] = {}

    def before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._params = params

    def after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        params, units = self._params, self._units
        units.calls.append(model.name)
        if "Error" in parsed:
            return
        if model.name == "TransactWriteItems":
            for entry in params["TransactItems"]:
                (item,) = (action["Item"] for action in entry.values())
                units.write += 2 * math.ceil(item_size(item) / KB)
        elif model.name == "PutItem":
            units.write += math.ceil(item_size(params["Item"]) / KB)
        elif model.name == "GetItem":
            size = item_size(parsed["Item"]) if "Item" in parsed else 0
            units.read += _read_units(size, params.get("ConsistentRead", False))
        elif model.name == "Query":
            size = sum(item_size(item) for item in parsed.get("Items", []))
            consistent = params.get("ConsistentRead", False) and "IndexName" not in params
            units.read += _read_units(size, consistent)

    def take(self) -> Units:
        taken, self._units = self._units, Units()
        return taken


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / (4 * KB)))
    return float(units) if consistent else units / 2


@dataclass
class Row:
    """One operation at one body size."""

    operation: str
    body_bytes: int
    units: Units
    stored_bytes: int = 0
    """The version record's size, which the seed's single PutItem would have written."""


@dataclass
class CapacityResult:
    rows: list[Row] = field(default_factory=list)

    def units(self, operation: str, body_bytes: int) -> Units:
        """What ``operation`` cost at one item size."""
        (row,) = [r for r in self.rows if (r.operation, r.body_bytes) == (operation, body_bytes)]
        return row.units

    @property
    def operations(self) -> list[str]:
        """The operations measured, in order."""
        return list(dict.fromkeys(r.operation for r in self.rows))

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": [
                {
                    "operation": r.operation,
                    "body_bytes": r.body_bytes,
                    "read": r.units.read,
                    "write": r.units.write,
                    "calls": r.units.calls,
                    "stored_bytes": r.stored_bytes,
                }
                for r in self.rows
            ]
        }


def _body(size: int, n: int = 0) -> dict[str, Any]:
    """An item's data such that its version record is just under ``size`` bytes."""
    return {"n": n, "note": "x" * (size - 120)}


def measure_capacity(assembly: Path) -> CapacityResult:
    """Every route's DynamoDB units for a ~1 KB and a ~100 KB item of the example app."""
    api = load_api(assembly)
    result = CapacityResult()
    with warm_runtime(api) as handler:
        from item_service import clients

        dynamodb = clients.dynamodb()
        meter = CapacityMeter()
        events = dynamodb.meta.events
        events.register("before-parameter-build.dynamodb", meter.before)
        events.register("after-call.dynamodb", meter.after)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                for size in BODY_SIZES:
                    result.rows += _operations(handler, meter, size)
        finally:
            events.unregister("before-parameter-build.dynamodb", meter.before)
            events.unregister("after-call.dynamodb", meter.after)
    return result


def _operations(handler: Any, meter: CapacityMeter, size: int) -> list[Row]:
    def call(
        method: str,
        resource: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[dict[str, Any], Units]:
        meter.take()
        event = api_event(method, resource, path, body=body, **kwargs)
        event["headers"] = {**(event["headers"] or {}), **(headers or {})}
        answer = handler.handler(event, LambdaContext(request_id="bench-request"))
        if answer["statusCode"] >= 300:
            raise RuntimeError(f"{method} {path}: {answer['statusCode']} {answer['body']}")
        return answer, meter.take()

    rows: list[Row] = []

    def row(name: str, units: Units) -> None:
        rows.append(Row(name, size, units))

    one = "/items/{id}"
    created, units = call("POST", "/items", "/items", _body(size))
    item = json.loads(created["body"])
    item_id, first = item["id"], item["timestamp"]
    by_id = {"path_params": {"id": item_id}}
    row("POST /items", units)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    _, units = call("POST", "/items", "/items", _body(size, 1), key)
    row("POST /items with Idempotency-Key", units)
    _, units = call("POST", "/items", "/items", _body(size, 1), key)
    row("POST /items, a replay", units)
    _, units = call("GET", one, f"/items/{item_id}", **by_id)
    row("GET /items/{id}", units)
    _, units = call("PUT", one, f"/items/{item_id}", _body(size, 2), **by_id)
    row("PUT /items/{id}", units)
    new_id = f"client-{uuid.uuid4().hex}"
    _, units = call(
        "PUT",
        one,
        f"/items/{new_id}",
        _body(size),
        {"If-None-Match": "*"},
        path_params={"id": new_id},
    )
    row("PUT /items/{id} with If-None-Match: *", units)
    _, units = call(
        "PATCH", one, f"/items/{item_id}", {"n": 3}, {"Content-Type": MERGE_PATCH}, **by_id
    )
    row("PATCH /items/{id}", units)
    _, units = call("GET", one, f"/items/{item_id}", query={"as_of": str(first)}, **by_id)
    row("GET /items/{id}?as_of=", units)
    versioned = "/items/{id}/versions/{timestamp}"
    _, units = call(
        "GET",
        versioned,
        f"/items/{item_id}/versions/{first}",
        path_params={"id": item_id, "timestamp": str(first)},
    )
    row("GET /items/{id}/versions/{timestamp}", units)
    _, units = call("DELETE", one, f"/items/{item_id}", **by_id)
    row("DELETE /items/{id}", units)
    _, units = call(
        "POST", "/items/{id}/restore", f"/items/{item_id}/restore", {"timestamp": first}, **by_id
    )
    row("POST /items/{id}/restore", units)
    for n in range(PAGE):
        call("PUT", one, f"/items/{item_id}", _body(size, 10 + n), **by_id)
    _, units = call(
        "GET", "/items/{id}/versions", f"/items/{item_id}/versions", query={"limit": "10"}, **by_id
    )
    row("GET /items/{id}/versions, a page of 10", units)
    for _ in range(10):
        call("POST", "/items", "/items", _body(size))
    _, units = call("GET", "/items", "/items", query={"limit": "10"})
    row("GET /items, a page of 10", units)
    # The seed: one PutItem of the version, one Query (Limit 1) to read it back.
    version_bytes = _version_size(item_id, first, size)
    seed_write = Units(write=math.ceil(version_bytes / KB), calls=["PutItem"])
    seed_read = Units(read=_read_units(version_bytes, True), calls=["Query"])
    rows.append(Row("seed: a write (one PutItem)", size, seed_write, version_bytes))
    rows.append(Row("seed: a read (one Query, Limit 1)", size, seed_read, version_bytes))
    return rows


def _version_size(item_id: str, timestamp: int, size: int) -> int:
    """The size of a version record holding ``_body(size)`` inline."""
    from item_service.records import version_item

    data = json.loads(json.dumps(_body(size)), parse_int=Decimal)
    return item_size(version_item(item_id, timestamp, data))
