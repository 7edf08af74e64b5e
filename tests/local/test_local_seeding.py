"""Seeded items are stored as the runtime writes them (local/seeding.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cdk_serverless_crud.local.environment import MOTO_ENVIRONMENT
from cdk_serverless_crud.local.seeding import START_MS, seed_items


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in MOTO_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName="items",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "timestamp", "AttributeType": "N"},
            ],
            KeySchema=[
                {"AttributeName": "id", "KeyType": "HASH"},
                {"AttributeName": "timestamp", "KeyType": "RANGE"},
            ],
        )
        yield client


def test_seeded_versions_carry_their_change_as_written_ones_do(dynamodb: Any) -> None:
    seed_items(dynamodb, "items", ["a"], versions=3)

    records = dynamodb.query(
        TableName="items",
        KeyConditionExpression="id = :id AND #t > :head",
        ExpressionAttributeNames={"#t": "timestamp"},
        ExpressionAttributeValues={":id": {"S": "a"}, ":head": {"N": "0"}},
    )["Items"]

    assert [(r["change"]["S"], r.get("previous", {}).get("N")) for r in records] == [
        ("created", None),
        ("updated", str(START_MS)),
        ("updated", str(START_MS + 1)),
    ]
