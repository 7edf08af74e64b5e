"""Baseline for the cold start benchmarks: the least a handler of this API must do.

Import boto3, create the two clients (DynamoDB and S3) at import time, as most Lambda
code does, and answer a GET with one ``get_item`` (``handler``) or a POST with one
``transact_write_items`` of the item's first version and its head (``create_handler``).
The item service does the same work plus its own: parsing and validating the event
(and, for a typed collection, the body against its schema), routing, logging, encoding.
"""

import json
import os
import time
import uuid
from decimal import Decimal

import boto3

dynamodb = boto3.client("dynamodb")
s3 = boto3.client("s3")


def handler(event, context):  # type: ignore[no-untyped-def]
    """GET one item's head record; 200 with its data, or 404."""
    response = dynamodb.get_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"id": {"S": event["pathParameters"]["id"]}, "timestamp": {"N": "0"}},
        ConsistentRead=True,
    )
    item = response.get("Item")
    if item is None:
        return {"statusCode": 404, "body": "{}"}
    return {"statusCode": 200, "body": json.dumps({"id": item["id"]["S"]})}


def create_handler(event, context):  # type: ignore[no-untyped-def]
    """POST a new item: its first version and its head in one transaction; 201.

    The body is stored as a DynamoDB map, numbers exact, as the item service stores it;
    it is not validated.
    """
    data = _attribute(json.loads(event["body"], parse_float=Decimal))
    table = os.environ["TABLE_NAME"]
    item_id = uuid.uuid4().hex
    timestamp = str(time.time_ns() // 1_000_000)
    key = {"id": {"S": item_id}}
    version = {**key, "timestamp": {"N": timestamp}, "data": data}
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": version}},
            {
                "Put": {
                    "TableName": table,
                    "Item": {
                        **key,
                        "timestamp": {"N": "0"},
                        "latest": {"N": timestamp},
                        "data": data,
                        "listing": {"S": "item"},
                    },
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            },
        ]
    )
    return {"statusCode": 201, "body": json.dumps({"id": item_id, "timestamp": int(timestamp)})}


def _attribute(value):  # type: ignore[no-untyped-def]
    """A JSON value as a DynamoDB attribute value."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, dict):
        return {"M": {k: _attribute(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"L": [_attribute(v) for v in value]}
    return {"NULL": True}
