"""Warm latency: each operation through the Lambda handler, in process, against moto.

The handler runs warm (clients created, settings read), as in a reused Lambda
container; moto's in-process mock stands in for DynamoDB and S3. The operations take
turns, so background load spreads over all of them, and a raw DynamoDB GetItem on the
runtime's own client is timed alongside as this machine's floor for one AWS call.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdk_serverless_crud.local.aws import create_resources
from cdk_serverless_crud.local.context import LambdaContext
from cdk_serverless_crud.local.environment import MASKED, patched_environ, runtime_environment
from cdk_serverless_crud.local.seeding import seed_items
from cdk_serverless_crud.local.template import ApiSpec, FunctionSpec, load_api

from .common import (
    api_event,
    get_item_event,
    median,
    percentile,
    runtime_on_path,
    store_table,
)

OPERATIONS = ("create", "get", "update", "list", "versions")
BASELINE = "raw GetItem"
PAGE = 25  # the API's default page size
BODY = {"name": "widget", "price": 9.99, "tags": ["a", "b"], "stock": {"warehouse": 12}}


@dataclass
class LatencyResult:
    """Per operation and round, the p50 and p99 in seconds."""

    rounds: int
    iterations: int
    items: int
    page: int
    table_records: int = 0
    p50: dict[str, list[float]] = field(default_factory=dict)
    p99: dict[str, list[float]] = field(default_factory=dict)
    own_p50: dict[str, list[float]] = field(default_factory=dict)

    def median_p50(self, operation: str) -> float:
        return median(self.p50[operation])

    def median_p99(self, operation: str) -> float:
        return median(self.p99[operation])

    def median_own_p50(self, operation: str) -> float:
        """Time outside AWS calls: the runtime's own work (and botocore's marshalling)."""
        return median(self.own_p50[operation])

    def ratio(self, operation: str) -> float:
        """p50 as a multiple of the raw GetItem's p50 (both medians over rounds)."""
        return self.median_p50(operation) / self.median_p50(BASELINE)

    def to_json(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "iterations": self.iterations,
            "table_records": self.table_records,
            "p50": self.p50,
            "p99": self.p99,
            "own_p50": self.own_p50,
        }


@contextmanager
def warm_runtime(api: ApiSpec, function: FunctionSpec | None = None) -> Iterator[Any]:
    """The runtime's handler module, fresh, with moto in process holding the API's resources.

    Yields the ``item_service`` package's ``handler`` module, with the environment of
    ``function`` (default: the API's only function); forgets the runtime's per-container
    caches before and after, as a new container would.
    """
    from moto import mock_aws

    environment = (
        runtime_environment(api)
        if function is None
        else {**runtime_environment(api, functions=False), **function.environment}
    )
    with runtime_on_path(), patched_environ(environment, unset=MASKED):
        from item_service import clients, config, handler

        def forget() -> None:
            config.settings.cache_clear()
            clients.dynamodb.cache_clear()
            clients.s3.cache_clear()
            handler.router.cache_clear()
            handler.idempotency.cache_clear()
            handler.repository.cache_clear()

        forget()
        # Keep boto3's default session: its loaded models make new clients cheap.
        with mock_aws(config={"core": {"reset_boto3_session": False}}):
            try:
                create_resources(api, clients.dynamodb(), clients.s3())
                yield handler
            finally:
                forget()


class AwsTimer:
    """Time spent inside the runtime's AWS calls (request sent to response parsed)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0

    def before(self, **_: Any) -> None:
        self._started = time.perf_counter()

    def after(self, **_: Any) -> None:
        self.total += time.perf_counter() - self._started

    def take(self) -> float:
        taken, self.total = self.total, 0.0
        return taken


def _invoke(handler: Any, event: dict[str, Any], expected: int) -> dict[str, Any]:
    answer = handler.handler(event, LambdaContext(request_id="bench-request"))
    if answer["statusCode"] != expected:
        raise RuntimeError(f"{event['httpMethod']} {event['path']}: {answer}")
    return json.loads(answer["body"]) if answer["body"] else {}


def measure_latency(
    rounds: int, iterations: int, *, assembly: Path, items: int = 30, history_items: int = 2
) -> LatencyResult:
    """Time ``iterations`` calls of each operation per round, on the app in ``assembly``.

    ``items`` items are seeded, ``history_items`` of them with a full page (25) of
    versions; list and versions pages are full. moto's cost grows with the table (it
    copies the whole table for each transaction and reads every record for each
    Query), so what creates and updates add is deleted again, untimed, to keep the
    table the same size throughout.
    """
    ids = [f"item-{n:05d}" for n in range(items)]
    histories = ids[:history_items]
    result = LatencyResult(rounds, iterations, items, PAGE)
    names = [*OPERATIONS, BASELINE]
    api = load_api(assembly)
    table = store_table(api)
    with warm_runtime(api) as handler:
        from item_service import clients

        dynamodb = clients.dynamodb()
        result.table_records = seed_items(dynamodb, table, histories, PAGE) + seed_items(
            dynamodb, table, ids[history_items:], 1
        )
        targets = itertools.cycle(ids)
        history_targets = itertools.cycle(histories)

        def create() -> None:
            item = _invoke(handler, api_event("POST", "/items", "/items", body=BODY), 201)
            yield_cleanup(item["id"], item["timestamp"], head=True)

        def update() -> None:
            item_id = next(targets)
            event = api_event(
                "PUT", "/items/{id}", f"/items/{item_id}", path_params={"id": item_id}, body=BODY
            )
            item = _invoke(handler, event, 200)
            yield_cleanup(item_id, item["timestamp"], head=False)

        cleanup: list[tuple[str, int, bool]] = []

        def yield_cleanup(item_id: str, timestamp: int, *, head: bool) -> None:
            cleanup.append((item_id, timestamp, head))

        calls: dict[str, Callable[[], Any]] = {
            "create": create,
            "get": lambda: _invoke(handler, get_item_event(next(targets)), 200),
            "update": update,
            "list": lambda: _invoke(handler, api_event("GET", "/items", "/items"), 200),
            "versions": lambda: _invoke(handler, _versions_event(next(history_targets)), 200),
            BASELINE: lambda: _raw_get_item(dynamodb, table, next(targets)),
        }
        timer = AwsTimer()
        events = dynamodb.meta.events
        events.register("before-call.dynamodb", timer.before)
        events.register("after-call.dynamodb", timer.after)
        # The handler logs a JSON line per request; the benchmark's output stays readable.
        try:
            with contextlib.redirect_stdout(io.StringIO()) as sink:
                for name in names:  # warm-up: first calls load models and caches
                    calls[name]()
                _clean(dynamodb, table, cleanup)
                for round_index in range(rounds):
                    samples: dict[str, list[float]] = {name: [] for name in names}
                    own: dict[str, list[float]] = {name: [] for name in names}
                    for iteration in range(iterations):
                        # Rotate the order so no operation always runs right after another.
                        shift = (round_index * iterations + iteration) % len(names)
                        for name in names[shift:] + names[:shift]:
                            timer.take()
                            started = time.perf_counter()
                            calls[name]()
                            elapsed = time.perf_counter() - started
                            samples[name].append(elapsed)
                            own[name].append(elapsed - timer.take())
                        _clean(dynamodb, table, cleanup)
                        sink.seek(0)
                        sink.truncate()
                    for name in names:
                        result.p50.setdefault(name, []).append(percentile(samples[name], 50))
                        result.p99.setdefault(name, []).append(percentile(samples[name], 99))
                        result.own_p50.setdefault(name, []).append(percentile(own[name], 50))
        finally:
            events.unregister("before-call.dynamodb", timer.before)
            events.unregister("after-call.dynamodb", timer.after)
    return result


def _clean(dynamodb: Any, table: str, written: list[tuple[str, int, bool]]) -> None:
    """Delete what the timed writes added, so the table keeps its size."""
    for item_id, timestamp, head in written:
        dynamodb.delete_item(
            TableName=table, Key={"id": {"S": item_id}, "timestamp": {"N": str(timestamp)}}
        )
        if head:
            dynamodb.delete_item(
                TableName=table, Key={"id": {"S": item_id}, "timestamp": {"N": "0"}}
            )
    written.clear()


def _versions_event(item_id: str) -> dict[str, Any]:
    return api_event(
        "GET",
        "/items/{id}/versions",
        f"/items/{item_id}/versions",
        path_params={"id": item_id},
    )


def _raw_get_item(dynamodb: Any, table: str, item_id: str) -> None:
    response = dynamodb.get_item(
        TableName=table,
        Key={"id": {"S": item_id}, "timestamp": {"N": "0"}},
        ConsistentRead=True,
    )
    if "Item" not in response:
        raise RuntimeError(f"seeded item {item_id} is missing")
