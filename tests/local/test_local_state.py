"""``--state-dir`` keeps the data across restarts and crashes; ``--seed`` loads items at
start."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cdk_serverless_crud.local import state
from cdk_serverless_crud.local.aws import in_memory_aws, moto_server
from cdk_serverless_crud.local.environment import MASKED, MOTO_ENVIRONMENT, patched_environ
from cdk_serverless_crud.local.seed import SeedError
from cdk_serverless_crud.local.server import serve_local
from cdk_serverless_crud.local.template import ApiSpec, TemplateError

from .conftest import Client, kill_9

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


def _with_indexes(api: ApiSpec) -> ApiSpec:
    """``api`` with two more indexes on its table, ``by-name`` and ``by-size``."""
    (table,) = api.tables
    args = dict(table.create_args)
    added = ("name", "S"), ("size", "N")
    args["GlobalSecondaryIndexes"] = [
        *args["GlobalSecondaryIndexes"],
        *(
            {
                "IndexName": f"by-{name}",
                "KeySchema": [{"AttributeName": f"ix_{name}", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, _ in added
        ),
    ]
    args["AttributeDefinitions"] = [
        *args["AttributeDefinitions"],
        *({"AttributeName": f"ix_{name}", "AttributeType": kind} for name, kind in added),
    ]
    return dataclasses.replace(api, tables=(dataclasses.replace(table, create_args=args),))


def _dynamodb(aws: Any, config: Config | None = None) -> Any:
    return boto3.client(
        "dynamodb",
        config=config,
        endpoint_url=aws.dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _index_names(aws: Any, table: str) -> set[str]:
    described = _dynamodb(aws).describe_table(TableName=table)["Table"]
    return {index["IndexName"] for index in described.get("GlobalSecondaryIndexes", [])}


def test_indexes_the_template_changes_are_changed_in_place(api: ApiSpec, tmp_path: Path) -> None:
    """Two added indexes are created on the saved table, then both deleted, one per
    UpdateTable (DynamoDB Local, like DynamoDB, refuses two in one), and the saved items
    stay (a backfill fills an added attribute index: test_local_backfill)."""
    (table,) = api.tables
    base = {index["IndexName"] for index in table.create_args["GlobalSecondaryIndexes"]}
    item = {"id": {"S": "kept"}, "timestamp": {"N": "1"}, "data": {"M": {}}}
    with in_memory_aws(api, dynamodb="dynamodb-local", state_dir=tmp_path) as aws:
        _dynamodb(aws).put_item(TableName=table.name, Item=item)
        (wider,) = _with_indexes(api).tables
        once = _dynamodb(aws, Config(retries={"max_attempts": 1}))
        with pytest.raises(ClientError, match="Only 1 online index can be created or deleted"):
            once.update_table(
                TableName=table.name,
                AttributeDefinitions=wider.create_args["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[
                    {"Create": index} for index in wider.create_args["GlobalSecondaryIndexes"][1:]
                ],
            )
    for template, indexes in ((_with_indexes(api), base | {"by-name", "by-size"}), (api, base)):
        with in_memory_aws(template, dynamodb="dynamodb-local", state_dir=tmp_path) as aws:
            assert aws.notices == ()
            assert _index_names(aws, table.name) == indexes
            key = {"id": item["id"], "timestamp": item["timestamp"]}
            assert _dynamodb(aws).get_item(TableName=table.name, Key=key)["Item"] == item


def test_a_table_whose_keys_the_template_changed_is_created_afresh(
    api: ApiSpec, tmp_path: Path
) -> None:
    (table,) = api.tables
    with in_memory_aws(api, dynamodb="dynamodb-local", state_dir=tmp_path) as aws:
        assert aws.notices == ()
    args = dict(table.create_args)
    args["AttributeDefinitions"] = [
        {**a, "AttributeType": "S"} if a["AttributeName"] == "timestamp" else a
        for a in args["AttributeDefinitions"]
    ]
    changed = dataclasses.replace(api, tables=(dataclasses.replace(table, create_args=args),))
    with in_memory_aws(changed, dynamodb="dynamodb-local", state_dir=tmp_path) as aws:
        (notice,) = aws.notices
        assert notice.startswith(f"Table {table.name}: the template changed its keys, so")
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


@contextlib.contextmanager
def _killed_at_the_end(
    cdk_out: Path, state_dir: Path, errors: Path
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The CLI with ``--state-dir``, in a session of its own; yields it and its URL.

    It is killed with ``kill -9`` when the block ends, if it has not been already.
    """
    with errors.open("a") as stderr:
        process = subprocess.Popen(
            [*CLI, "--cdk-out", str(cdk_out), "--port", "0", "--state-dir", str(state_dir)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,  # so that kill_9 kills it and nothing else
        )
    try:
        assert process.stdout is not None
        banner = re.search(r" on (http://\S+) ", process.stdout.readline())
        assert banner is not None, errors.read_text()
        yield process, banner[1]
    finally:
        if process.poll() is None:
            kill_9(process)


def test_acknowledged_bodies_survive_kill_9(example_cdk_out: Path, tmp_path: Path) -> None:
    """Each body was on disk before S3 answered, so before its item was committed."""
    state_dir, errors = tmp_path / "state", tmp_path / "stderr.log"
    bodies = [{"blob": os.urandom(225_000).hex(), "n": n} for n in range(5)]  # 450 KB: S3
    with _killed_at_the_end(example_cdk_out, state_dir, errors) as (process, url):
        created = [Client(url).request("POST", "/items", body) for body in bodies]
        assert [reply.status for reply in created] == [201] * len(bodies)
        kill_9(process)  # at once: the snapshot of S3 is a second behind
    with _killed_at_the_end(example_cdk_out, state_dir, errors) as (_, url):
        for reply, body in zip(created, bodies, strict=True):
            got = Client(url).request("GET", f"/items/{reply.json()['id']}")
            assert (got.status, got.json().get("data")) == (200, body)


BUCKET = "journal-test"
UNVERSIONED = "journal-test-unversioned"


@pytest.fixture(scope="module")
def moto() -> Iterator[tuple[str, list[Callable[[Any], None]]]]:
    """moto's server as local mode runs it; each test wires its own journal into it."""
    writes: list[Callable[[Any], None]] = []
    with moto_server("127.0.0.1", threading.Lock(), writes) as endpoint:
        yield endpoint, writes


@pytest.fixture
def s3(moto: tuple[str, list[Callable[[Any], None]]], tmp_path: Path) -> Iterator[Any]:
    """An S3 client of moto's server journaling into ``tmp_path``, as ``--state-dir``
    does, but with no snapshot unless a test asks: the folder holds what a crash would
    leave. The bucket is made as ``create_resources`` makes it at each start."""
    endpoint, writes = moto
    with (
        contextlib.closing(state.S3Journal(tmp_path)) as journal,
        patched_environ(MOTO_ENVIRONMENT, unset=MASKED),
    ):
        _reset(endpoint)
        writes.append(journal.note)
        try:
            client = boto3.session.Session().client("s3", endpoint_url=endpoint)
            _make_bucket(client)
            yield client
        finally:
            writes.remove(journal.note)
            _reset(endpoint)


def _reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).close()


def _make_bucket(s3: Any) -> None:
    with contextlib.suppress(ClientError):  # kept from before the restart
        s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})


def _restart(s3: Any, state_dir: Path) -> None:
    """What local mode does at start: empty moto, load the folder, make the buckets."""
    _reset(s3.meta.endpoint_url)
    state.load_s3(state_dir)
    _make_bucket(s3)


def _contents(s3: Any) -> dict[tuple[str, str], bytes | None]:
    """Every version in the bucket: its body, or None for a delete marker."""
    listed = s3.list_object_versions(Bucket=BUCKET)
    found: dict[tuple[str, str], bytes | None] = {
        (m["Key"], m["VersionId"]): None for m in listed.get("DeleteMarkers", [])
    }
    for v in listed.get("Versions", []):
        body = s3.get_object(Bucket=BUCKET, Key=v["Key"], VersionId=v["VersionId"])["Body"]
        found[v["Key"], v["VersionId"]] = body.read()
    return found


#: Encoded on the wire by boto3 (%20, %2B, %25, %C3%A9, %3F), decoded as moto does.
ODD_KEY = "a b/c+d%2F é?.json"


def _write_some(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=ODD_KEY, Body=b"first")
    s3.put_object(Bucket=BUCKET, Key=ODD_KEY, Body=b"second")
    s3.put_object(Bucket=BUCKET, Key="deleted", Body=b"x" * 500_000)
    s3.delete_object(Bucket=BUCKET, Key="deleted")  # a delete marker on top


def test_the_journal_alone_brings_back_versions_and_deletes(s3: Any, tmp_path: Path) -> None:
    _write_some(s3)
    s3.create_bucket(Bucket=UNVERSIONED)
    s3.put_object(Bucket=UNVERSIONED, Key="kept", Body=b"k")
    s3.put_object(Bucket=UNVERSIONED, Key="deleted", Body=b"d")
    s3.delete_object(Bucket=UNVERSIONED, Key="deleted")  # no marker: the key is gone
    before = _contents(s3)
    _restart(s3, tmp_path)
    assert not (tmp_path / "s3.pickle").exists()
    assert _contents(s3) == before
    assert len(before) == 4
    assert s3.get_object(Bucket=BUCKET, Key=ODD_KEY)["Body"].read() == b"second"
    listed = s3.list_objects_v2(Bucket=UNVERSIONED)["Contents"]
    assert [o["Key"] for o in listed] == ["kept"]


@pytest.mark.parametrize("tail", ["cut-in-its-header", "cut-in-its-body", "zeros"])
def test_a_record_a_crash_damaged_is_dropped_and_the_next_ones_are_kept(
    s3: Any, tmp_path: Path, tail: str
) -> None:
    journal = tmp_path / "s3.journal"
    s3.put_object(Bucket=BUCKET, Key="whole", Body=b"kept")
    whole = journal.read_bytes()
    s3.put_object(Bucket=BUCKET, Key="torn", Body=b"t" * 10_000)
    torn = journal.read_bytes()[len(whole) :]
    damaged = {
        "cut-in-its-header": torn[:3],
        "cut-in-its-body": torn[: len(torn) // 2],
        "zeros": bytes(len(torn)),  # what a file system may leave after a power cut
    }[tail]
    journal.write_bytes(whole + damaged)
    _restart(s3, tmp_path)
    assert [k for k, _ in _contents(s3)] == ["whole"]
    s3.put_object(Bucket=BUCKET, Key="after", Body=b"new")
    _restart(s3, tmp_path)
    assert sorted(k for k, _ in _contents(s3)) == ["after", "whole"]


def test_a_write_the_disk_refused_is_not_acknowledged_nor_hides_the_next(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.put_object(Bucket=BUCKET, Key="first", Body=b"1")
    real_write, journal = os.write, (tmp_path / "s3.journal").stat().st_ino

    def half_then_full_disk(descriptor: int, data: Any) -> int:
        if os.fstat(descriptor).st_ino != journal:
            return real_write(descriptor, data)
        monkeypatch.setattr(os, "write", real_write)
        real_write(descriptor, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full_disk)
    once = boto3.session.Session().client(
        "s3", endpoint_url=s3.meta.endpoint_url, config=Config(retries={"total_max_attempts": 1})
    )
    with pytest.raises(ClientError, match="500"):
        once.put_object(Bucket=BUCKET, Key="refused", Body=b"r")
    s3.put_object(Bucket=BUCKET, Key="after", Body=b"2")
    _restart(s3, tmp_path)
    assert sorted(k for k, _ in _contents(s3)) == ["after", "first"]


def test_a_snapshot_empties_the_journal_and_replaying_it_again_changes_nothing(
    s3: Any, tmp_path: Path
) -> None:
    journal = tmp_path / "s3.journal"
    _write_some(s3)
    expected = _contents(s3)
    records = journal.read_bytes()
    state.save_s3(tmp_path)
    assert journal.stat().st_size == 0
    _restart(s3, tmp_path)
    assert _contents(s3) == expected
    journal.write_bytes(records)  # a crash after the snapshot, before the journal emptied
    _restart(s3, tmp_path)
    assert _contents(s3) == expected
    state.load_s3(tmp_path)  # and once more over itself
    assert _contents(s3) == expected


def test_objects_deleted_together_stay_deleted(s3: Any, tmp_path: Path) -> None:
    """DeleteObjects names its keys in its body: it is saved whole before it answers."""
    s3.put_object(Bucket=BUCKET, Key="kept", Body=b"k")
    for key in ("one", "two"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "one"}, {"Key": "two"}]})
    expected = _contents(s3)
    _restart(s3, tmp_path)
    assert _contents(s3) == expected
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1


def test_a_snapshot_is_taken_once_the_journal_outgrows_it_not_after_every_write(
    s3: Any,
    moto: tuple[str, list[Callable[[Any], None]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A snapshot costs the whole bucket (about 1 s at 10,000 objects) under moto's lock;
    # the journal already makes each write durable, so small writes take none.
    monkeypatch.setattr(state, "SAVE_EVERY", 0.01)
    monkeypatch.setattr(state, "SNAPSHOT_AFTER_BYTES", 100_000)
    folder = tmp_path / "running"
    folder.mkdir()
    _, writes = moto
    with state.saving_s3(folder, threading.Lock()) as written:
        writes.append(written)
        try:
            s3.put_object(Bucket=BUCKET, Key="small", Body=b"x" * 1_000)
            time.sleep(0.2)  # twenty looks of the saving thread
            assert not (folder / "s3.pickle").exists()
            s3.put_object(Bucket=BUCKET, Key="large", Body=b"y" * 200_000)
            deadline = time.monotonic() + 10
            while not (folder / "s3.pickle").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert (folder / "s3.pickle").exists()
        finally:
            writes.remove(written)
    assert (folder / "s3.journal").stat().st_size == 0
