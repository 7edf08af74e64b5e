"""A page costs what is on it, however long the items' histories are.

Items read are counted from DynamoDB's own answers (Query's ScannedCount, the item a
GetItem returns) on the runtime's client; moto's ConsumedCapacity is a placeholder.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from item_service import clients

from .helpers import TABLE, Api

ITEMS = 3
START = 1_700_000_000_000


class ReadCounter:
    """Items DynamoDB read for the runtime since the last reset."""

    def __init__(self) -> None:
        self.items = 0
        self.operations: list[str] = []

    def after_call(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.operations.append(model.name)
        if model.name == "Query":
            self.items += parsed["ScannedCount"]
        elif model.name == "GetItem":
            self.items += 1 if "Item" in parsed else 0

    def take(self) -> tuple[int, list[str]]:
        """The count and operations so far, then start again."""
        taken = (self.items, self.operations)
        self.items, self.operations = 0, []
        return taken


@pytest.fixture
def reads(api: Api) -> Iterator[ReadCounter]:
    counter = ReadCounter()
    events = clients.dynamodb().meta.events
    events.register("after-call.dynamodb", counter.after_call)
    yield counter
    events.unregister("after-call.dynamodb", counter.after_call)


def _seed(aws: SimpleNamespace, versions: int) -> list[str]:
    """Write items with long histories straight to the table (docs/design.md layout)."""
    ids = [f"item-{n}" for n in range(ITEMS)]
    records: list[dict[str, Any]] = []
    for item_id in ids:
        data = {"M": {"n": {"N": "1"}}}
        for version in range(versions):
            records.append(
                {"id": {"S": item_id}, "timestamp": {"N": str(START + version)}, "data": data}
            )
        records.append(
            {
                "id": {"S": item_id},
                "timestamp": {"N": "0"},
                "latest": {"N": str(START + versions - 1)},
                "data": data,
                "listing": {"S": "item"},
            }
        )
    for start in range(0, len(records), 25):
        batch = [{"PutRequest": {"Item": r}} for r in records[start : start + 25]]
        aws.dynamodb.batch_write_item(RequestItems={TABLE: batch})
    return ids


@pytest.mark.parametrize("versions", [1, 100, 1000])
def test_reads_do_not_grow_with_history(
    api: Api, aws: SimpleNamespace, reads: ReadCounter, versions: int
) -> None:
    item_id = _seed(aws, versions)[0]

    assert api.request("GET", f"/items/{item_id}").status == 200
    assert reads.take() == (1, ["GetItem"])

    page = api.request("GET", "/items", query={"limit": "2"}).json()
    assert len(page["items"]) == 2
    assert reads.take() == (2, ["Query"])

    page = api.request("GET", f"/items/{item_id}/versions", query={"limit": "1"}).json()
    assert page["versions"][0]["timestamp"] == START + versions - 1
    assert reads.take() == (1, ["Query"])

    api.request("GET", f"/items/{item_id}/versions", query={"limit": "25"})
    assert reads.take() == (min(versions, 25), ["Query"])
