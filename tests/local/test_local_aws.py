"""Local mode's in-memory AWS keeps DynamoDB's promise that moto does not: a
TransactWriteItems retried with its ClientRequestToken succeeds and writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cdk_serverless_crud.local.aws import in_memory_aws
from cdk_serverless_crud.local.template import ApiSpec


@pytest.fixture(scope="module")
def dynamodb(api: ApiSpec) -> Iterator[tuple[Any, str]]:
    with in_memory_aws(api) as aws:
        client = boto3.session.Session().client("dynamodb", endpoint_url=aws.endpoint)
        (function,) = api.functions
        yield client, function.environment["TABLE_NAME"]


def _create(table: str, item_id: str, data: str) -> dict[str, Any]:
    """A transaction that fails its condition if run twice: one put of a new record."""
    return {
        "TransactItems": [
            {
                "Put": {
                    "TableName": table,
                    "Item": {"id": {"S": item_id}, "timestamp": {"N": "1"}, "d": {"S": data}},
                    "ConditionExpression": "attribute_not_exists(#id)",
                    "ExpressionAttributeNames": {"#id": "id"},
                }
            }
        ]
    }


def _count(client: Any, table: str, item_id: str) -> int:
    return int(
        client.query(
            TableName=table,
            KeyConditionExpression="#id = :id",
            ExpressionAttributeNames={"#id": "id"},
            ExpressionAttributeValues={":id": {"S": item_id}},
            Select="COUNT",
        )["Count"]
    )


def test_a_retried_transaction_succeeds_and_writes_once(dynamodb: tuple[Any, str]) -> None:
    client, table = dynamodb
    item_id, token = uuid.uuid4().hex, uuid.uuid4().hex

    client.transact_write_items(**_create(table, item_id, "a"), ClientRequestToken=token)
    client.transact_write_items(**_create(table, item_id, "a"), ClientRequestToken=token)

    assert _count(client, table, item_id) == 1


def test_the_token_with_another_request_is_a_mismatch(dynamodb: tuple[Any, str]) -> None:
    client, table = dynamodb
    item_id, token = uuid.uuid4().hex, uuid.uuid4().hex
    client.transact_write_items(**_create(table, item_id, "a"), ClientRequestToken=token)

    with pytest.raises(ClientError) as raised:
        client.transact_write_items(**_create(table, item_id, "b"), ClientRequestToken=token)

    assert raised.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    item = client.get_item(TableName=table, Key={"id": {"S": item_id}, "timestamp": {"N": "1"}})
    assert item["Item"]["d"] == {"S": "a"}


def test_without_the_token_a_repeat_still_fails_its_condition(dynamodb: tuple[Any, str]) -> None:
    client, table = dynamodb
    item_id = uuid.uuid4().hex
    client.transact_write_items(**_create(table, item_id, "a"), ClientRequestToken="t1" + item_id)

    with pytest.raises(ClientError) as raised:
        client.transact_write_items(
            **_create(table, item_id, "a"), ClientRequestToken="t2" + item_id
        )

    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_a_failed_transaction_is_not_kept(dynamodb: tuple[Any, str]) -> None:
    """DynamoDB runs a retry of a cancelled transaction again."""
    client, table = dynamodb
    item_id, token = uuid.uuid4().hex, uuid.uuid4().hex
    client.transact_write_items(**_create(table, item_id, "a"))
    with pytest.raises(ClientError):
        client.transact_write_items(**_create(table, item_id, "a"), ClientRequestToken=token)

    with pytest.raises(ClientError) as raised:
        client.transact_write_items(**_create(table, item_id, "a"), ClientRequestToken=token)

    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
