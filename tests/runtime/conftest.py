"""Fixtures for the item service runtime: moto-backed AWS and an API client."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import boto3
import pytest
from bench.common import create_resources
from item_service import clients, config, handler
from moto import mock_aws

from .helpers import BUCKET, INDEX, PREFIX, TABLE, Api


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials (never real AWS) and the variables the construct sets."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": TABLE,
        "LIST_INDEX_NAME": INDEX,
        "BUCKET_NAME": BUCKET,
        "OBJECT_PREFIX": PREFIX,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "CORS_ALLOW_ORIGINS", "CORS_ALLOW_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)


def _cold_start() -> None:
    """Forget what the runtime caches per container."""
    config.settings.cache_clear()
    config.cors_policy.cache_clear()
    clients.dynamodb.cache_clear()
    clients.s3.cache_clear()
    handler.router.cache_clear()


@pytest.fixture
def aws() -> Iterator[SimpleNamespace]:
    """moto with the table (and its sparse GSI) and the versioned bucket."""
    _cold_start()
    # Keeping boto3's default session across tests keeps its loaded service models:
    # creating a client then costs milliseconds instead of ~100 ms.
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
        create_resources(dynamodb, s3)
        yield SimpleNamespace(dynamodb=dynamodb, s3=s3)
    _cold_start()


@pytest.fixture
def api(aws: SimpleNamespace) -> Api:
    """A client of the item API, backed by moto."""
    return Api()
