"""Local mode throughput: requests per second with 1 and 8 concurrent clients.

The server (``local_server.py``) runs in its own process on 127.0.0.1; clients are
threads here, each sending requests back to back on its own connection (local mode's
werkzeug server closes it after each answer, and the client reconnects), for a fixed
time and a capped number of requests. The baseline is the standard library's HTTP
server answering a fixed body: the most a Python HTTP server does on this machine,
measured in the same run.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .common import REPO, median, tool_environment

SERVER = REPO / "bench" / "local_server.py"
LOOPBACK = "127.0.0.1"  # the only address load is ever sent to
CONCURRENCY = (1, 8)
KINDS = ("cached GET", "uncached GET", "PUT")
BASELINE = "baseline GET"
BODY = json.dumps({"name": "widget", "price": 9.99}).encode()

Request = tuple[str, str, dict[str, str], bytes | None]


@dataclass
class Load:
    """One load run: completed requests, wall time, and what the answers said."""

    requests: int
    seconds: float
    errors: int
    cache_hits: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass
class ThroughputResult:
    """Load runs per (kind, clients), one per repetition."""

    duration: float
    concurrency: tuple[int, ...] = CONCURRENCY
    fresh_put_servers: bool = True
    runs: dict[str, list[Load]] = field(default_factory=dict)

    @staticmethod
    def key(kind: str, clients: int) -> str:
        return f"{kind} x{clients}"

    def rate(self, kind: str, clients: int) -> float:
        """Median requests/s over the repetitions."""
        return median([load.rate for load in self.runs[self.key(kind, clients)]])

    def ratio(self, kind: str, clients: int) -> float:
        """Median rate as a fraction of the baseline server's median rate, same clients."""
        return self.rate(kind, clients) / self.rate(BASELINE, clients)

    def errors(self) -> int:
        return sum(load.errors for loads in self.runs.values() for load in loads)

    def has(self, kind: str, clients: int) -> bool:
        return self.key(kind, clients) in self.runs

    def hit_fraction(self, clients: int) -> float:
        loads = self.runs[self.key("cached GET", clients)]
        return sum(load.cache_hits for load in loads) / sum(load.requests for load in loads)

    def add(self, kind: str, clients: int, load: Load) -> None:
        self.runs.setdefault(self.key(kind, clients), []).append(load)

    def to_json(self) -> dict[str, Any]:
        return {
            key: [{**vars(load), "rate": load.rate} for load in loads]
            for key, loads in self.runs.items()
        }


@contextmanager
def running_server(kind: str, cdk_out: Path | None = None) -> Iterator[str]:
    """Start ``local_server.py`` and yield its stage URL; stop it on exit."""
    with _spawned(kind, cdk_out) as lines:
        yield lines[0]


@contextmanager
def running_local(cdk_out: Path, dynamodb: str) -> Iterator[tuple[str, str]]:
    """Local mode with the given DynamoDB; yield its stage URL and DynamoDB endpoint."""
    with _spawned("local", cdk_out, dynamodb) as (url, endpoint):
        yield url, endpoint


@contextmanager
def _spawned(kind: str, cdk_out: Path | None = None, *args: str) -> Iterator[list[str]]:
    """Start ``local_server.py``; yield the lines it prints once it serves (URL first)."""
    command = [sys.executable, str(SERVER), kind]
    if cdk_out is not None:
        command += [str(cdk_out), *args]
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=tool_environment(),
            text=True,
        )
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline().strip()]
            if lines[0] and kind == "local":
                lines.append(process.stdout.readline().strip())
            if not all(lines):
                process.wait(timeout=30)
                errors.seek(0)
                raise RuntimeError(f"the {kind} server did not start:\n{errors.read()[-2000:]}")
            yield lines
        finally:
            # It holds nothing worth a graceful shutdown (its data is in memory), so stop
            # it at once; closing stdin stops it too, should this process die first.
            if process.stdin is not None:
                process.stdin.close()
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def generate_load(
    url: str,
    request: Callable[[int], Request],
    clients: int,
    duration: float,
    *,
    expected: int = 200,
    max_requests: int = 50_000,
    warmup_requests: int = 3,
) -> Load:
    """``clients`` threads send ``request(client)`` back to back for ``duration`` seconds.

    Each client first sends ``warmup_requests`` untimed requests (connection set up,
    cache filled), then all start together. Bounded by time and by ``max_requests``.
    """
    parts = urlsplit(url)
    if parts.hostname != LOOPBACK:
        raise ValueError(f"load is only generated against 127.0.0.1, not {url}")
    start = threading.Barrier(clients + 1)
    lock = threading.Lock()
    totals = {"requests": 0, "errors": 0, "hits": 0}
    finished: list[float] = []
    failures: list[BaseException] = []

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(LOOPBACK, parts.port, timeout=30)
        done = errors = hits = 0
        try:
            for _ in range(warmup_requests):
                _send(connection, parts.path, request(index))
            start.wait()
            deadline = time.perf_counter() + duration
            while time.perf_counter() < deadline:
                with lock:
                    if totals["requests"] + done >= max_requests:
                        break
                status, cache = _send(connection, parts.path, request(index))
                done += 1
                errors += status != expected
                hits += cache == "Hit"
        except BaseException as error:  # reported after the run, never swallowed
            failures.append(error)
            start.abort()
        finally:
            connection.close()
            with lock:
                totals["requests"] += done
                totals["errors"] += errors
                totals["hits"] += hits
                finished.append(time.perf_counter())

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):
        start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=duration + 60)
    if failures:
        raise RuntimeError(f"load generation failed: {failures[0]!r}") from failures[0]
    return Load(
        requests=totals["requests"],
        seconds=max(finished) - began,
        errors=totals["errors"],
        cache_hits=totals["hits"],
    )


def _send(connection: http.client.HTTPConnection, base: str, request: Request) -> tuple[int, str]:
    method, path, headers, body = request
    connection.request(method, base + path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status, response.getheader("X-Cache") or ""


def _create_items(url: str, count: int) -> list[str]:
    parts = urlsplit(url)
    if parts.hostname != LOOPBACK:
        raise ValueError(f"items are only created on 127.0.0.1, not {url}")
    connection = http.client.HTTPConnection(LOOPBACK, parts.port, timeout=30)
    ids = []
    try:
        for _ in range(count):
            headers = {"Content-Type": "application/json"}
            connection.request("POST", parts.path + "/items", body=BODY, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            if response.status != 201:
                raise RuntimeError(f"POST /items answered {response.status}: {payload[:200]!r}")
            ids.append(json.loads(payload)["id"])
    finally:
        connection.close()
    return ids


def measure_throughput(
    cdk_out: Path,
    repetitions: int,
    duration: float,
    *,
    concurrency: tuple[int, ...] = CONCURRENCY,
    fresh_put_servers: bool = True,
) -> ThroughputResult:
    """Each repetition runs every phase; the order of phases turns round each time.

    Local mode serves GETs from one server, and each PUT run from a fresh one, so every
    PUT run starts from the same (empty) table, whichever DynamoDB local mode runs (under
    moto a PUT costs more as the table grows). Without ``fresh_put_servers``
    (smoke tests), PUTs follow the GETs on their server.
    """
    result = ThroughputResult(duration, concurrency, fresh_put_servers)
    phases: list[Callable[[int], None]] = [
        lambda index: _baseline_phase(result, duration, _order(concurrency, index)),
        lambda index: _get_phase(
            result, cdk_out, duration, _order(concurrency, index), puts=not fresh_put_servers
        ),
    ]
    if fresh_put_servers:
        phases.append(
            lambda index: _put_phase(result, cdk_out, duration, _order(concurrency, index))
        )
    for index in range(repetitions):
        shift = index % len(phases)
        for phase in phases[shift:] + phases[:shift]:
            phase(index)
    return result


def _order(concurrency: tuple[int, ...], index: int) -> tuple[int, ...]:
    return concurrency if index % 2 == 0 else tuple(reversed(concurrency))


def _baseline_phase(result: ThroughputResult, duration: float, order: tuple[int, ...]) -> None:
    with running_server("baseline") as url:
        for clients in order:
            load = generate_load(url, lambda _: ("GET", "/items/x", {}, None), clients, duration)
            result.add(BASELINE, clients, load)


def _get_phase(
    result: ThroughputResult,
    cdk_out: Path,
    duration: float,
    order: tuple[int, ...],
    *,
    puts: bool = False,
) -> None:
    with running_server("local", cdk_out) as url:
        (item_id,) = _create_items(url, 1)
        path = f"/items/{item_id}"
        fresh = {"Cache-Control": "max-age=0"}
        for clients in order:
            cached = generate_load(url, lambda _: ("GET", path, {}, None), clients, duration)
            result.add("cached GET", clients, cached)
            uncached = generate_load(url, lambda _: ("GET", path, fresh, None), clients, duration)
            result.add("uncached GET", clients, uncached)
        for clients in order if puts else ():
            paths = [f"/items/{item_id}" for item_id in _create_items(url, clients)]
            load = generate_load(url, _put_request(paths), clients, duration)
            result.add("PUT", clients, load)


def _put_phase(
    result: ThroughputResult, cdk_out: Path, duration: float, order: tuple[int, ...]
) -> None:
    for clients in order:
        with running_server("local", cdk_out) as url:
            # One item per client: writers to one item would contend, and retry.
            paths = [f"/items/{item_id}" for item_id in _create_items(url, clients)]
            load = generate_load(url, _put_request(paths), clients, duration)
            result.add("PUT", clients, load)


def _put_request(paths: list[str]) -> Callable[[int], Request]:
    headers = {"Content-Type": "application/json"}
    return lambda client: ("PUT", paths[client], headers, BODY)
