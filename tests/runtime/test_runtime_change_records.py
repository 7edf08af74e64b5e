"""Each version record says what it did and which version it follows: a change event is
built from that record alone."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from .helpers import Api

PATCH = {"Content-Type": "application/merge-patch+json"}


def _versions(aws: SimpleNamespace, item_id: str) -> list[dict[str, Any]]:
    """The item's version records, oldest first, as stored (no head)."""
    items = aws.dynamodb.query(
        TableName=aws.table,
        KeyConditionExpression="id = :id AND #ts > :zero",
        ExpressionAttributeNames={"#ts": "timestamp"},
        ExpressionAttributeValues={":id": {"S": item_id}, ":zero": {"N": "0"}},
        ConsistentRead=True,
    )["Items"]
    return [
        {
            "timestamp": int(item["timestamp"]["N"]),
            "change": item["change"]["S"],
            "previous": int(item["previous"]["N"]) if "previous" in item else None,
        }
        for item in items
    ]


def test_every_kind_of_write_records_its_change_and_previous_version(
    api: Api, aws: SimpleNamespace
) -> None:
    first = api.create({"n": 1}).json()
    item_id, created_at = first["id"], int(first["timestamp"])
    path = f"/items/{item_id}"
    assert api.request("PUT", path, {"n": 2}).status == 200
    patch = api.request("PATCH", path, body=json.dumps({"m": 1}), headers=PATCH)
    assert patch.status == 200, patch.body
    assert api.request("DELETE", path).status == 204
    restore = api.request("POST", f"{path}/restore", {"timestamp": created_at})
    assert restore.status == 200, restore.body

    versions = _versions(aws, item_id)

    assert [v["change"] for v in versions] == [
        "created",
        "updated",
        "updated",
        "deleted",
        "restored",
    ]
    assert [v["previous"] for v in versions] == [None] + [v["timestamp"] for v in versions[:-1]]


def test_a_client_id_written_again_after_a_delete_is_created_anew(
    api: Api, aws: SimpleNamespace
) -> None:
    put = {"If-None-Match": "*"}
    assert api.request("PUT", "/items/sku-9", {"n": 1}, headers=put).status == 201
    assert api.request("DELETE", "/items/sku-9").status == 204
    assert api.request("PUT", "/items/sku-9", {"n": 2}, headers=put).status == 201

    versions = _versions(aws, "sku-9")

    assert [v["change"] for v in versions] == ["created", "deleted", "created"]
    assert versions[2]["previous"] == versions[1]["timestamp"]


def test_key_and_head_records_carry_no_change(api: Api, aws: SimpleNamespace) -> None:
    api.request("POST", "/items", {"n": 1}, headers={"Idempotency-Key": "k-1"})

    zero = aws.dynamodb.scan(
        TableName=aws.table,
        FilterExpression="#ts = :zero",
        ExpressionAttributeNames={"#ts": "timestamp"},
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )["Items"]

    assert len(zero) == 2  # the head and the key record
    assert all("change" not in item and "previous" not in item for item in zero)
