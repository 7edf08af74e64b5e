"""A page costs what is on it, however long the items' histories are.

Items read are counted from DynamoDB's own answers (Query's ScannedCount, the item a
GetItem returns) on the runtime's client; moto's ConsumedCapacity is a placeholder.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from item_service import clients

from cdk_serverless_crud.local.reads import ReadCounter
from cdk_serverless_crud.local.seeding import START_MS, seed_items

from .helpers import Api

ITEMS = 3


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
    seed_items(aws.dynamodb, aws.table, ids, versions)
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
    assert page["versions"][0]["timestamp"] == START_MS + versions - 1
    assert reads.take() == (1, ["Query"])

    api.request("GET", f"/items/{item_id}/versions", query={"limit": "25"})
    assert reads.take() == (min(versions, 25), ["Query"])
