"""Baseline for the cold start benchmark: the least a handler of this API must do.

Import boto3, create the two clients (DynamoDB and S3) at import time, as most Lambda
code does, and answer a GET with one ``get_item``. The item service does the same
work plus its own: parsing and validating the event, routing, logging, decoding.
"""

import json
import os

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
