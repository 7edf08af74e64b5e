"""How deep a body may nest, over HTTP: as deep as DynamoDB stores, and deeper is a 400.

On DynamoDB Local, which enforces DynamoDB's nesting limit as AWS does (moto does not):
a body the function let through too deep would fail there with a 500.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from cdk_serverless_crud.local.server import RunningService

from .conftest import Client, Reply, serve

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
#: Per kind of container, what opens and closes one level and the steps down to it.
KINDS = {"arrays": ("[", "]", "0"), "objects": ('{"b":', "}", "b")}


def _nested(levels: int, kind: str) -> bytes:
    """An object whose containers nest ``levels`` deep (the object is level 1)."""
    opening, closing, _ = KINDS[kind]
    inner = "[]" if kind == "arrays" else "{}"  # empty ones count as a level too
    return ('{"a":' + opening * (levels - 2) + inner + closing * (levels - 2) + "}").encode()


def _pointer_to_level(level: int, kind: str) -> str:
    return "/a" + f"/{KINDS[kind][2]}" * (level - 2)


@pytest.fixture(scope="module")
def served(example_cdk_out: Path) -> Iterator[tuple[RunningService, io.StringIO]]:
    log = io.StringIO()
    with serve(example_cdk_out, dynamodb="dynamodb-local", log=log) as running:
        yield running, log


@pytest.fixture(scope="module")
def client(served: tuple[RunningService, io.StringIO]) -> Client:
    return Client(served[0].url)


def _records(served: tuple[RunningService, io.StringIO]) -> int:
    running = served[0]
    (function,) = running.api.functions
    dynamodb: Any = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("dynamodb", endpoint_url=running.aws.dynamodb_endpoint)
    table = function.environment["TABLE_NAME"]
    return int(dynamodb.scan(TableName=table, Select="COUNT")["Count"])


def _write(client: Client, method: str, item_id: str, body: bytes) -> Reply:
    if method == "POST":
        return client.request("POST", "/items", raw=body)
    headers = MERGE_PATCH if method == "PATCH" else {}
    return client.request(method, f"/items/{item_id}", raw=body, headers=headers)


@pytest.mark.parametrize("kind", KINDS)
def test_the_deepest_body_round_trips_on_dynamodb_local(
    served: tuple[RunningService, io.StringIO], client: Client, kind: str
) -> None:
    assert served[0].aws.dynamodb == "dynamodb-local"
    deepest = json.loads(_nested(31, kind))

    created = client.request("POST", "/items", deepest)
    item_id = created.json()["id"]
    replaced = client.request("PUT", f"/items/{item_id}", deepest)

    assert (created.status, replaced.status) == (201, 200), replaced.body
    assert client.request("GET", f"/items/{item_id}").json()["data"] == deepest
    versions = client.request("GET", f"/items/{item_id}/versions").json()["versions"]
    assert [version["data"] for version in versions] == [deepest, deepest]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("kind", KINDS)
def test_one_level_more_is_400_with_a_pointer_and_writes_nothing(
    served: tuple[RunningService, io.StringIO], client: Client, kind: str, method: str
) -> None:
    item_id = client.request("POST", "/items", {"v": 1}).json()["id"]
    before = _records(served)

    refused = _write(client, method, item_id, _nested(32, kind))

    assert refused.status == 400, refused.body
    error = refused.json()["error"]
    assert error["code"] == "invalid_body"
    assert [detail["pointer"] for detail in error["details"]] == [_pointer_to_level(32, kind)]
    assert _records(served) == before
    assert client.request("GET", f"/items/{item_id}").json()["data"] == {"v": 1}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("levels", [1_000, 100_000])
def test_bodies_too_deep_to_parse_are_a_json_400_never_a_crash(
    served: tuple[RunningService, io.StringIO],
    client: Client,
    levels: int,
    kind: str,
    method: str,
) -> None:
    item_id = client.request("POST", "/items", {"v": 1}).json()["id"]
    before = _records(served)

    refused = _write(client, method, item_id, _nested(levels, kind))

    assert refused.status == 400, refused.body[:200]
    assert refused.headers["Content-Type"].startswith("application/json")
    assert refused.json()["error"]["code"] == "invalid_body"
    assert _records(served) == before
    assert "RecursionError" not in served[1].getvalue()
