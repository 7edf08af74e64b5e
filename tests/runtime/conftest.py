"""Fixtures for the item service runtime: moto-backed AWS and an API client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from item_service import clients, config, handler
from moto import mock_aws

from cdk_serverless_crud.local.aws import create_resources
from cdk_serverless_crud.local.environment import MASKED, runtime_environment
from cdk_serverless_crud.local.template import ApiSpec, load_api

from .helpers import Api

#: Runtime settings the example app leaves unset; a developer's shell must not set them.
_UNSET = ("CORS_ALLOW_ORIGINS", "CORS_ALLOW_CREDENTIALS")


@pytest.fixture(scope="session")
def example_api(example_cdk_out: Path) -> ApiSpec:
    """The example app's API as deployed: its function's settings, tables and buckets."""
    return load_api(example_cdk_out)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, example_api: ApiSpec) -> None:
    """Fake credentials (never real AWS) and the variables the construct sets."""
    for name in (*MASKED, *_UNSET):
        monkeypatch.delenv(name, raising=False)
    for name, value in runtime_environment(example_api).items():
        monkeypatch.setenv(name, value)


def _cold_start() -> None:
    """Forget what the runtime caches per container."""
    config.settings.cache_clear()
    config.cors_policy.cache_clear()
    clients.dynamodb.cache_clear()
    clients.s3.cache_clear()
    handler.router.cache_clear()


@pytest.fixture
def aws(example_api: ApiSpec) -> Iterator[SimpleNamespace]:
    """moto with the template's tables and buckets; ``table`` and ``bucket`` name the store."""
    _cold_start()
    # Keeping boto3's default session across tests keeps its loaded service models:
    # creating a client then costs milliseconds instead of ~100 ms.
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
        create_resources(example_api, dynamodb, s3)
        (function,) = example_api.functions
        yield SimpleNamespace(
            dynamodb=dynamodb,
            s3=s3,
            table=function.environment["TABLE_NAME"],
            bucket=function.environment["BUCKET_NAME"],
        )
    _cold_start()


@pytest.fixture
def api(aws: SimpleNamespace) -> Api:
    """A client of the item API, backed by moto."""
    return Api()
