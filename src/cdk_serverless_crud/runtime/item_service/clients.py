"""boto3 clients, created once per container and only when first needed."""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client

# Fail fast rather than let API Gateway's 29 s timeout answer for us.
_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 3},
)


# boto3's default session is not thread-safe while it creates clients (the clients
# themselves are). Lambda runs one request at a time, but local mode serves requests on
# many threads with this same code.
_CREATING = threading.Lock()


@functools.cache
def dynamodb() -> DynamoDBClient:
    """The DynamoDB client; every request needs it."""
    with _CREATING:
        return boto3.client("dynamodb", config=_CONFIG)


@functools.cache
def s3() -> S3Client:
    """The S3 client; only offloaded items need it, so it is created on first use."""
    with _CREATING:
        return boto3.client("s3", config=_CONFIG)


@functools.cache
def lambda_() -> LambdaClient:
    """The Lambda client; only the index backfill needs it, to continue itself."""
    with _CREATING:
        return boto3.client("lambda", config=_CONFIG)
