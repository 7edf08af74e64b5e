"""Cold start: a fresh process imports the handler and serves its first GET from moto.

The subject is the item service as deployed: a copy of the Lambda asset without byte
code, run with ``-B``, so every start compiles the asset's modules the way a Lambda
container does from its read-only code. The baseline (``baseline_handler.py``) gets
the same treatment. Both read one item from the same moto server on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import (
    HANDLER,
    REPO,
    RUNTIME,
    create_resources,
    get_item_event,
    median,
    paired_ratio,
    runtime_environment,
    seed_items,
)

CHILD = REPO / "bench" / "coldstart_child.py"
BASELINE_HANDLER = REPO / "bench" / "baseline_handler.py"
ITEM_ID = "cold-start-item"


@dataclass
class Start:
    """One cold start, as the fresh process measured it."""

    total_seconds: float
    import_seconds: float
    first_request_seconds: float
    peak_rss_bytes: int
    process_seconds: float


@dataclass
class ColdStartResult:
    """Cold starts of the item service and of the baseline, pair by pair."""

    subject: list[Start] = field(default_factory=list)
    baseline: list[Start] = field(default_factory=list)
    warmup_pairs: int = 0

    @property
    def ratio(self) -> float:
        return paired_ratio(
            [s.total_seconds for s in self.subject], [s.total_seconds for s in self.baseline]
        )

    @property
    def rss_ratio(self) -> float:
        return self.median("subject", "peak_rss_bytes") / self.median("baseline", "peak_rss_bytes")

    def median(self, side: str, name: str) -> float:
        starts: list[Start] = getattr(self, side)
        return median([getattr(s, name) for s in starts])

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": [vars(s) for s in self.subject],
            "baseline": [vars(s) for s in self.baseline],
            "ratio": self.ratio,
            "rss_ratio": self.rss_ratio,
        }


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server on a free 127.0.0.1 port, from empty state; yields its endpoint."""
    from moto.server import ThreadedMotoServer

    # werkzeug would log every AWS call of every start on stderr.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(reset, timeout=30):
            pass
        yield endpoint
    finally:
        server.stop()


def _aws_clients(endpoint: str) -> tuple[Any, Any]:
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    return (
        session.client("dynamodb", endpoint_url=endpoint),
        session.client("s3", endpoint_url=endpoint),
    )


def measure_cold_start(pairs: int, workdir: Path, *, warmup_pairs: int = 1) -> ColdStartResult:
    """Start the item service and the baseline ``warmup_pairs + pairs`` times each.

    Starts alternate (baseline first in even pairs), and the warm-up pairs, which fill
    the OS file cache, are discarded.
    """
    subject_dir = workdir / "subject-asset"
    baseline_dir = workdir / "baseline-asset"
    shutil.rmtree(subject_dir, ignore_errors=True)
    shutil.rmtree(baseline_dir, ignore_errors=True)
    # The asset as TaggedFunction ships it (same excludes): no byte code.
    shutil.copytree(
        RUNTIME, subject_dir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    )
    baseline_dir.mkdir(parents=True)
    shutil.copy(BASELINE_HANDLER, baseline_dir / "baseline_handler.py")
    event_file = workdir / "get-event.json"
    event_file.write_text(json.dumps(get_item_event(ITEM_ID)))

    result = ColdStartResult(warmup_pairs=warmup_pairs)
    with moto_server() as endpoint:
        dynamodb, s3 = _aws_clients(endpoint)
        create_resources(dynamodb, s3)
        seed_items(dynamodb, [ITEM_ID], versions=1)
        env = runtime_environment(endpoint)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        sides = [
            ("baseline", baseline_dir, "baseline_handler.handler"),
            ("subject", subject_dir, HANDLER),
        ]
        for index in range(warmup_pairs + pairs):
            order = sides if index % 2 == 0 else list(reversed(sides))
            for side, code_dir, handler in order:
                start = _cold_start(code_dir, handler, event_file, env)
                if index >= warmup_pairs:
                    getattr(result, side).append(start)
    return result


def _cold_start(code_dir: Path, handler: str, event_file: Path, env: dict[str, str]) -> Start:
    command = [sys.executable, "-B", str(CHILD), str(code_dir), handler, str(event_file)]
    started = time.perf_counter()
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    process_seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"cold start of {handler} failed:\n{completed.stderr[-2000:]}")
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    if measured["status"] != 200:
        raise RuntimeError(f"cold start of {handler} answered {measured['status']}")
    return Start(
        total_seconds=measured["total_seconds"],
        import_seconds=measured["import_seconds"],
        first_request_seconds=measured["first_request_seconds"],
        peak_rss_bytes=measured["peak_rss_bytes"],
        process_seconds=process_seconds,
    )
