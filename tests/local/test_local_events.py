"""Change events in local mode: the template's pipe read back and run against the
table's real stream (DynamoDB Local, and moto), over real HTTP."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from jsonschema import Draft202012Validator

from cdk_serverless_crud.contract.events_contract import event_schema
from cdk_serverless_crud.local.server import RunningService

from .apps import EVENTS
from .conftest import Client, serve

PATCH = {"Content-Type": "application/merge-patch+json"}
DETAIL = Draft202012Validator({"$defs": event_schema()["$defs"], "$ref": "#/$defs/detail"})
ENTRY = Draft202012Validator({"$defs": event_schema()["$defs"], "$ref": "#/$defs/putEventsEntry"})


@pytest.fixture(scope="module")
def events_cdk_out(local_apps_cdk_out: Path) -> Path:
    return local_apps_cdk_out


@pytest.fixture(scope="module")
def served(
    events_cdk_out: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningService, Path]]:
    events_file = tmp_path_factory.mktemp("events") / "events.jsonl"
    # On DynamoDB Local, whose streams this module is about: tried on moto, the 8 concurrent
    # writers' test below got 3 of its 41 events within 10 s.
    with serve(
        events_cdk_out, stack=EVENTS, events_file=events_file, dynamodb="dynamodb-local"
    ) as running:
        yield running, events_file


@pytest.fixture(scope="module")
def client(served: tuple[RunningService, Path]) -> Client:
    return Client(served[0].url)


def _events_of(running: RunningService, item_id: str, count: int) -> list[dict[str, Any]]:
    """The first ``count`` events of ``item_id``, waiting for the pipe (10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        found = [
            {**entry, "Detail": json.loads(entry["Detail"])}
            for entry in list(running.events.events)
            if json.loads(entry["Detail"])["id"] == item_id
        ]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_each_write_is_one_event_in_the_putevents_shape(
    served: tuple[RunningService, Path], client: Client
) -> None:
    running, events_file = served
    created = client.request("POST", "/items", {"name": "a", "qty": 1}).json()
    item_id, path = created["id"], f"/items/{created['id']}"
    client.request("PUT", path, {"name": "b"})
    patched = client.request("PATCH", path, raw=b'{"qty": 2}', headers=PATCH)
    assert patched.status == 200
    client.request("DELETE", path)
    restore = {"timestamp": created["timestamp"]}
    assert client.request("POST", f"{path}/restore", restore).status == 200

    events = _events_of(running, item_id, 5)

    assert [e["DetailType"] for e in events] == [
        "Item Created",
        "Item Updated",
        "Item Updated",
        "Item Deleted",
        "Item Restored",
    ]
    bus = running.api.pipes[0].bus_name
    for event in events:
        DETAIL.validate(event["Detail"])
        assert event["Source"] == "cdk-serverless-crud.Events/Items"
        assert event["EventBusName"] == bus
    assert [e["Detail"].get("data") for e in events] == [
        {"name": "a", "qty": 1},
        {"name": "b"},
        {"name": "b", "qty": 2},
        None,
        {"name": "a", "qty": 1},
    ]
    versions = [e["Detail"]["version"] for e in events]
    assert [e["Detail"]["previous_version"] for e in events] == [None, *versions[:-1]]
    lines = [json.loads(line) for line in events_file.read_text().splitlines()]
    mine = [line for line in lines if json.loads(line["Detail"])["id"] == item_id]
    for line in mine:
        ENTRY.validate(line)
    assert [json.loads(line["Detail"]) for line in mine] == [e["Detail"] for e in events]


def test_an_offloaded_item_is_sent_as_a_data_ref_readable_in_s3(
    served: tuple[RunningService, Path], client: Client
) -> None:
    running, _ = served
    big = {"blob": "x" * 300_000}  # inline in DynamoDB, but not in a 256 KB event
    item_id = client.request("POST", "/items", big).json()["id"]

    (event,) = _events_of(running, item_id, 1)

    DETAIL.validate(event["Detail"])
    ref = event["Detail"]["data_ref"]
    s3 = boto3.client("s3", endpoint_url=running.aws.endpoint, region_name="us-east-1")
    (function,) = running.api.functions
    bucket = function.environment["BUCKET_NAME"]
    obj = s3.get_object(Bucket=bucket, Key=ref["key"], VersionId=ref["version_id"])
    assert json.loads(obj["Body"].read()) == big


def test_a_replayed_write_sends_no_second_event(
    served: tuple[RunningService, Path], client: Client
) -> None:
    running, _ = served
    key = {"Idempotency-Key": "local-events-1"}
    first = client.request("POST", "/items", {"n": 1}, headers=key)
    again = client.request("POST", "/items", {"n": 1}, headers=key)
    assert again.headers["Idempotent-Replayed"] == "true"
    item_id = first.json()["id"]
    later = client.request("PUT", f"/items/{item_id}", {"n": 2})  # a marker after the replay
    assert later.status == 200

    events = _events_of(running, item_id, 2)

    assert [e["DetailType"] for e in events] == ["Item Created", "Item Updated"]


def test_each_ids_events_keep_commit_order_under_8_concurrent_writers(
    served: tuple[RunningService, Path], client: Client
) -> None:
    running, _ = served
    item_id = client.request("POST", "/items", {"writer": -1}).json()["id"]
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def write(writer: int) -> None:
        barrier.wait()
        for n in range(5):
            statuses.append(
                client.request("PUT", f"/items/{item_id}", {"writer": writer, "n": n}).status
            )

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written = 1 + statuses.count(200)

    events = _events_of(running, item_id, written)

    assert len(events) == written
    versions = [e["Detail"]["version"] for e in events]
    assert versions == sorted(versions) and len(set(versions)) == written
    assert [e["Detail"]["previous_version"] for e in events] == [None, *versions[:-1]]
    history = client.request("GET", f"/items/{item_id}/versions?limit=100").json()["versions"]
    assert [v["timestamp"] for v in reversed(history)] == versions


def test_moto_streams_send_the_same_events(events_cdk_out: Path) -> None:
    with serve(events_cdk_out, stack=EVENTS) as running:
        client = Client(running.url)
        item_id = client.request("POST", "/items", {"n": 1}).json()["id"]
        client.request("DELETE", f"/items/{item_id}")

        events = _events_of(running, item_id, 2)

    assert running.aws.dynamodb == "moto"
    assert [e["DetailType"] for e in events] == ["Item Created", "Item Deleted"]


def test_the_cli_appends_events_to_the_events_file(events_cdk_out: Path, tmp_path: Path) -> None:
    events_file = tmp_path / "events.jsonl"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "cdk_serverless_crud.local.cli", "local"]
    options = ["--cdk-out", str(events_cdk_out), "--stack", EVENTS, "--port", str(port)]
    options += ["--dynamodb", "moto"]
    process = subprocess.Popen(
        [*command, *options, "--events-file", str(events_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}/prod" in process.stdout.readline()
        created = Client(f"http://127.0.0.1:{port}/prod").request("POST", "/items", {"n": 1})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not events_file.read_text().strip():
            time.sleep(0.05)
        (line,) = events_file.read_text().splitlines()
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    entry = json.loads(line)
    ENTRY.validate(entry)
    assert json.loads(entry["Detail"])["id"] == created.json()["id"]
    assert (
        f"Change events (1 pipe(s), bus {entry['EventBusName']}): appended to {events_file}"
        in stderr
    )
    assert process.returncode == 0


def read_until(
    client: Client,
    path: str,
    wanted: Any,
    seconds: float,
    headers: Mapping[str, str] | None = None,
) -> tuple[Any, float]:
    """GET ``path`` (from the cache when it holds it) until its data is ``wanted``."""
    start = time.monotonic()
    while True:
        reply = client.request("GET", path, headers=headers)
        body = reply.json()
        if body.get("data") == wanted or time.monotonic() - start > seconds:
            return reply, time.monotonic() - start
        time.sleep(0.01)


def test_without_invalidate_cache_a_cached_read_stays_stale(
    served: tuple[RunningService, Path], client: Client
) -> None:
    running, _ = served
    item_id = client.request("POST", "/items", {"v": 1}).json()["id"]
    assert client.request("GET", f"/items/{item_id}").headers["X-Cache"] == "Miss"
    client.request("PUT", f"/items/{item_id}", {"v": 2})
    _events_of(running, item_id, 2)

    reply, _ = read_until(client, f"/items/{item_id}", {"v": 2}, 1.0)

    assert reply.headers["X-Cache"] == "Hit"
    assert reply.json()["data"] == {"v": 1}  # until the cache_ttl of 60 s runs out
