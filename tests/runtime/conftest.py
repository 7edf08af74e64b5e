"""Fixtures for the item service runtime: moto-backed AWS and an API client."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, Protocol

import boto3
import pytest
from item_service import clients, config, handler, schema
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from cdk_serverless_crud.contract import schemas as library_schemas
from cdk_serverless_crud.contract.access import Allow, Tenancy
from cdk_serverless_crud.contract.collection import Collection, Index
from cdk_serverless_crud.contract.environment import item_environment
from cdk_serverless_crud.local.aws import create_resources
from cdk_serverless_crud.local.environment import MASKED, runtime_environment
from cdk_serverless_crud.local.template import ApiSpec, load_api

from .helpers import PACKAGE, Api

#: Runtime settings the example app leaves unset; a developer's shell must not set them.
_UNSET = ("CORS_ALLOW_ORIGINS", "CORS_ALLOW_CREDENTIALS", "REFRESH_ORIGINS")


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
    config.event_settings.cache_clear()
    clients.dynamodb.cache_clear()
    clients.s3.cache_clear()
    handler.router.cache_clear()
    handler.idempotency.cache_clear()
    handler.repository.cache_clear()
    schema.load.cache_clear()


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


@dataclass(frozen=True)
class CollectionUnderTest:
    """A function serving one collection: its own copy of the runtime, its own table."""

    api: Api
    table: str
    package: str
    """The runtime's package name, unique to the test, as local mode imports each function."""

    def module(self, name: str) -> ModuleType:
        """A module of this copy of the runtime, such as ``clients``."""
        return importlib.import_module(f"{self.package}.{name}")


class MakeCollection(Protocol):
    """Builds a collection: ``make("orders", schema={...}, indexes={"status": "S"})``."""

    def __call__(
        self,
        name: str,
        *,
        schema: Mapping[str, Any] | None = None,
        indexes: Mapping[str, str] | None = None,
        attributes: Sequence[str] | None = None,
        access: Sequence[Allow] | None = None,
        tenancy: Tenancy | None = None,
        sorted_indexes: Sequence[Index] = (),
        listing_order: str = "id",
    ) -> CollectionUnderTest: ...


@pytest.fixture
def make_collection(
    aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, example_api: ApiSpec
) -> Iterator[MakeCollection]:
    """Collections as the construct deploys them, each in a package of its own.

    The runtime is copied under a unique package name, with the ``collection_schema.py``
    that the construct generates (``schemas.validator_source``) when there is a schema,
    so no module or cache is shared with another test or with ``item_service``. The
    table has the listing index and one GSI per index. Making a collection sets the
    process's variables for its function, from the construct's own function
    (``contract.environment.item_environment``) with the example app's bucket and change
    events, which, like Lambda, it reads on its first request. A collection given
    ``indexes`` (or ``attributes``) without a schema is described to that function by a
    schema declaring just those properties, and ships no validator.
    """
    (example,) = example_api.functions
    packages: list[str] = []
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(
        name: str,
        *,
        schema: Mapping[str, Any] | None = None,
        indexes: Mapping[str, str] | None = None,
        attributes: Sequence[str] | None = None,
        access: Sequence[Allow] | None = None,
        tenancy: Tenancy | None = None,
        sorted_indexes: Sequence[Index] = (),
        listing_order: str = "id",
    ) -> CollectionUnderTest:
        collection = Collection(
            name,
            schema=_declared(schema, indexes or {}, attributes or ()),
            indexes=[Index(attribute) for attribute in indexes or {}] + list(sorted_indexes),
            listing_order=listing_order,
            access=access,
            tenancy=tenancy,
        )
        environment = item_environment(
            collection,
            table_name=f"{name}-{uuid.uuid4().hex[:8]}",
            bucket_name=example.environment["BUCKET_NAME"],
            list_index_name=example.environment["LIST_INDEX_NAME"],
            event_data_limit=_event_data_limit(example.environment),
        )
        entries = json.loads(environment.get("INDEXES", "[]"))
        table = environment["TABLE_NAME"]
        if tenancy is not None:  # the tenant's prefix makes every index key a string
            entries = [{**entry, "type": "S"} for entry in entries]
        _create_table(
            aws.dynamodb,
            table,
            entries,
            environment.get("OWNED_LIST_INDEX"),
            collection.listing_index_name,
        )
        package = f"item_service_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        shutil.copytree(
            PACKAGE / "runtime" / "item_service",
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        if schema is not None:
            # The very generator the construct ships (draft-07, no defaults, uuid).
            code = library_schemas.validator_source(library_schemas.check_schema("schema", schema))
            (tmp_path / package / "collection_schema.py").write_text(code)
        packages.append(package)
        for variable in _OPTIONAL:  # another collection's, or the example's
            monkeypatch.delenv(variable, raising=False)
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        function = importlib.import_module(f"{package}.handler")
        api = Api(handler=function.handler, collection=name)
        return CollectionUnderTest(api=api, table=table, package=package)

    yield make
    for module in [m for m in sys.modules if m.split(".")[0] in packages]:
        del sys.modules[module]


#: The item function's variables that only some collections have.
_OPTIONAL = (
    "INDEXES",
    "ATTRIBUTES",
    "EVENT_DATA_LIMIT",
    "ACCESS",
    "OWNED_LIST_INDEX",
    "TENANCY",
    "LISTING_ORDER",
)

_SCHEMA_TYPES = {"S": "string", "N": "number"}


def _declared(
    schema: Mapping[str, Any] | None, indexes: Mapping[str, str], attributes: Sequence[str]
) -> Mapping[str, Any] | None:
    """``schema``, or for a test that leaves it out, one declaring ``indexes`` with their
    types and ``attributes`` as strings: what the function is told of them."""
    if schema is not None or not (indexes or attributes):
        return schema
    properties = {attribute: {"type": _SCHEMA_TYPES[t]} for attribute, t in indexes.items()}
    properties |= {attribute: {"type": "string"} for attribute in attributes}
    return {"type": "object", "properties": properties}


def _event_data_limit(environment: Mapping[str, str]) -> int | None:
    limit = environment.get("EVENT_DATA_LIMIT")
    return int(limit) if limit else None


def _create_table(
    dynamodb: Any,
    name: str,
    indexes: list[dict[str, Any]],
    owned_list: str | None = None,
    ordered_listing: str | None = None,
) -> None:
    """The collection's table: the docs/design.md layout, plus one GSI per index, and
    the owners' indexes where an owner rule reads (``owned_list``)."""
    attributes = {"id": "S", "timestamp": "N", "listing": "S"}
    attributes.update({index["key"]: index["type"] for index in indexes})
    attributes.update({index["sort_key"]: "S" for index in indexes if "sort_key" in index})
    sparse = [(os.environ["LIST_INDEX_NAME"], "listing", "id")]
    if ordered_listing is not None:
        attributes["lx"] = "S"
        sparse.append((ordered_listing, "listing", "lx"))
    sparse += [(index["index"], index["key"], index.get("sort_key", "id")) for index in indexes]
    if owned_list is not None:
        attributes["owned"] = "S"
        attributes.update({index["owned_key"]: "S" for index in indexes})
        sparse += [(owned_list, "owned", "id")]
        sparse += [
            (index["owned_index"], index["owned_key"], index.get("sort_key", "id"))
            for index in indexes
        ]
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": t} for n, t in attributes.items()
        ],
        KeySchema=[
            {"AttributeName": "id", "KeyType": "HASH"},
            {"AttributeName": "timestamp", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index_name,
                "KeySchema": [
                    {"AttributeName": key, "KeyType": "HASH"},
                    {"AttributeName": sort, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index_name, key, sort in sparse
        ],
    )


@pytest.fixture
def atomic_moto_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make each in-process moto request atomic, as each DynamoDB request is.

    moto's TransactWriteItems checks conditions, writes, and on failure restores a
    copy of the whole table, with no lock: two threads in it at once can undo each
    other. Real DynamoDB serializes transactions on an item. The service's own
    read-compute-write race still runs concurrently; only single calls are atomic.
    """
    lock = threading.Lock()
    original = BotocoreStubber.__call__

    def atomic(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", atomic)
