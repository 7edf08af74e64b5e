"""``--state-dir`` keeps the data across restarts; ``--seed`` loads items at start."""

from __future__ import annotations

import dataclasses
import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cdk_serverless_crud.local.aws import in_memory_aws
from cdk_serverless_crud.local.seed import SeedError
from cdk_serverless_crud.local.server import serve_local
from cdk_serverless_crud.local.template import ApiSpec, TemplateError

from .conftest import Client

CLI = [sys.executable, "-m", "cdk_serverless_crud.local.cli", "local"]

BIG = {"blob": "x" * 500_000}  # offloaded to S3


def test_items_and_their_versions_survive_a_restart(example_cdk_out: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    with serve_local(example_cdk_out, port=0, log=io.StringIO(), state_dir=state) as running:
        client = Client(running.url)
        small = client.request("POST", "/items", {"name": "kept"}).json()
        big = client.request("POST", "/items", BIG).json()
        updated = client.request("PUT", f"/items/{big['id']}", {**BIG, "v": 2}).json()
        gone = client.request("POST", "/items", {"name": "deleted"}).json()
        assert client.request("DELETE", f"/items/{gone['id']}").status == 204
    with serve_local(example_cdk_out, port=0, log=io.StringIO(), state_dir=state) as running:
        client = Client(running.url)
        fresh = {"Cache-Control": "max-age=0"}
        assert client.request("GET", f"/items/{small['id']}", headers=fresh).json() == small
        assert client.request("GET", f"/items/{big['id']}", headers=fresh).json() == updated
        versions = client.request("GET", f"/items/{big['id']}/versions", headers=fresh).json()
        assert [v["data"] for v in versions["versions"]] == [{**BIG, "v": 2}, BIG]
        assert client.request("GET", f"/items/{gone['id']}", headers=fresh).status == 404
        listed = client.request("GET", "/items?limit=100", headers=fresh).json()["items"]
        assert {i["id"] for i in listed} == {small["id"], big["id"]}
    assert (state / "s3.pickle").is_file()
    assert list((state / "dynamodb").iterdir())


def test_a_table_the_template_changed_is_created_afresh(api: ApiSpec, tmp_path: Path) -> None:
    (table,) = api.tables
    with in_memory_aws(api, dynamodb="dynamodb-local", state_dir=tmp_path) as aws:
        assert aws.notices == ()
    indexes = [
        *table.create_args["GlobalSecondaryIndexes"],
        {
            "IndexName": "by-name",
            "KeySchema": [{"AttributeName": "ix_name", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        },
    ]
    attributes = [
        *table.create_args["AttributeDefinitions"],
        {"AttributeName": "ix_name", "AttributeType": "S"},
    ]
    args = {**table.create_args, "GlobalSecondaryIndexes": indexes}
    args["AttributeDefinitions"] = attributes
    changed = dataclasses.replace(api, tables=(dataclasses.replace(table, create_args=args),))
    with in_memory_aws(changed, dynamodb="dynamodb-local", state_dir=tmp_path) as aws:
        (notice,) = aws.notices
        assert notice.startswith(f"Table {table.name}: the template changed its keys or indexes")
    with in_memory_aws(changed, dynamodb="dynamodb-local", state_dir=tmp_path) as aws:
        assert aws.notices == ()  # unchanged since: kept


def test_state_needs_dynamodb_local(api: ApiSpec, tmp_path: Path) -> None:
    with (
        pytest.raises(TemplateError, match="cannot be used with --dynamodb moto"),
        in_memory_aws(api, dynamodb="moto", state_dir=tmp_path),
    ):
        pass


def _seed_file(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "seed.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + "\n")
    return path


def test_seeded_items_are_served_and_not_loaded_twice(
    example_cdk_out: Path, tmp_path: Path
) -> None:
    seed = _seed_file(
        tmp_path,
        {"id": "widget-1", "data": {"name": "widget", "price": 9.99}},
        {"id": "widget-2", "collection": "items", "data": {"name": "gadget"}},
        {"data": {"name": "no id given"}},
    )
    state = tmp_path / "state"
    with serve_local(
        example_cdk_out, port=0, log=io.StringIO(), state_dir=state, seed=seed
    ) as running:
        assert running.seeded is not None
        assert (running.seeded.created, running.seeded.skipped) == (3, 0)
        got = Client(running.url).request("GET", "/items/widget-1").json()
        assert got["data"] == {"name": "widget", "price": 9.99}
    with serve_local(
        example_cdk_out, port=0, log=io.StringIO(), state_dir=state, seed=seed
    ) as running:
        assert running.seeded is not None
        assert (running.seeded.created, running.seeded.skipped) == (1, 2)
        listed = Client(running.url).request("GET", "/items?limit=100").json()["items"]
        assert sorted(i["data"]["name"] for i in listed) == [
            "gadget",
            "no id given",
            "no id given",
            "widget",
        ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "seed.jsonl:2: not JSON"),
        ('{"id": "a"}', 'seed.jsonl:2: expected {"data": {...}, "id"?, "collection"?}'),
        ('{"data": {}, "colour": 1}', "seed.jsonl:2: unknown field 'colour'"),
        ('{"data": {}, "collection": "orders"}', "collection 'orders' is not one of the app's"),
        ('{"data": {}, "id": 7}', "seed.jsonl:2: id must be a non-empty string"),
    ],
)
def test_a_bad_seed_line_is_named_and_nothing_is_written(
    example_cdk_out: Path, tmp_path: Path, line: str, message: str
) -> None:
    """Every line is checked against the template before any emulator starts."""
    seed = tmp_path / "seed.jsonl"
    seed.write_text('{"id": "first", "data": {"ok": true}}\n' + line + "\n")
    state = tmp_path / "state"
    with (
        pytest.raises(SeedError, match=message.replace("{", r"\{").replace("?", r"\?")),
        serve_local(example_cdk_out, port=0, log=io.StringIO(), state_dir=state, seed=seed),
    ):
        pass
    assert not state.exists(), "no emulator started, so nothing was written"


def test_after_a_bad_seed_file_a_restart_finds_nothing_written(
    example_cdk_out: Path, tmp_path: Path
) -> None:
    seed = tmp_path / "seed.jsonl"
    seed.write_text('{"id": "first", "data": {"ok": true}}\n{"data": {}, "id": 7}\n')
    state = tmp_path / "state"
    with (
        pytest.raises(SeedError, match=r"seed\.jsonl:2: id must be a non-empty string"),
        serve_local(example_cdk_out, port=0, log=io.StringIO(), state_dir=state, seed=seed),
    ):
        pass
    with serve_local(example_cdk_out, port=0, log=io.StringIO(), state_dir=state) as running:
        assert Client(running.url).request("GET", "/items").json()["items"] == []


def test_the_cli_seeds_and_says_how_many(example_cdk_out: Path, tmp_path: Path) -> None:
    seed = _seed_file(tmp_path, {"id": "one", "data": {"n": 1}}, {"id": "two", "data": {"n": 2}})
    process = subprocess.Popen(
        [*CLI, "--cdk-out", str(example_cdk_out), "--port", "0", "--seed", str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "Serving ServerlessCrudExample" in process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
    assert f"Seeded 2 items from {seed}" in errors.splitlines()
    assert process.returncode == 0
