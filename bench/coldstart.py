"""Cold start: a fresh process imports the handler and serves its first GET from moto.

The subject is the item service as deployed: a copy of the synthesized Lambda asset
without byte code, run with ``-B``, so every start compiles the asset's modules the way a Lambda
container does from its read-only code. The baseline (``baseline_handler.py``) gets
the same treatment. Both read one item from the same moto server on 127.0.0.1, which
holds the synthesized template's tables and buckets.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from cdk_serverless_crud.local import context
from cdk_serverless_crud.local.aws import in_memory_aws
from cdk_serverless_crud.local.environment import REGION
from cdk_serverless_crud.local.seeding import seed_items
from cdk_serverless_crud.local.template import load_api

from .common import (
    REPO,
    get_item_event,
    median,
    paired_ratio,
    runtime_child_environment,
    store_table,
)

CHILD = REPO / "bench" / "coldstart_child.py"
#: The Lambda context's module, which the child loads by path (see coldstart_child.py).
CONTEXT = Path(context.__file__)
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


def measure_cold_start(
    pairs: int, workdir: Path, *, assembly: Path, warmup_pairs: int = 1
) -> ColdStartResult:
    """Start the app's function in ``assembly`` and the baseline ``warmup_pairs + pairs`` times.

    Starts alternate (baseline first in even pairs), and the warm-up pairs, which fill
    the OS file cache, are discarded.
    """
    api = load_api(assembly)
    (function,) = api.functions
    subject_dir = workdir / "subject-asset"
    baseline_dir = workdir / "baseline-asset"
    shutil.rmtree(subject_dir, ignore_errors=True)
    shutil.rmtree(baseline_dir, ignore_errors=True)
    # The asset as TaggedFunction ships it (same excludes): no byte code.
    shutil.copytree(
        function.code_dir,
        subject_dir,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"),
    )
    baseline_dir.mkdir(parents=True)
    shutil.copy(BASELINE_HANDLER, baseline_dir / "baseline_handler.py")
    event_file = workdir / "get-event.json"
    event_file.write_text(json.dumps(get_item_event(ITEM_ID)))

    result = ColdStartResult(warmup_pairs=warmup_pairs)
    with in_memory_aws(api) as endpoint:
        dynamodb = boto3.session.Session(region_name=REGION).client(
            "dynamodb", endpoint_url=endpoint
        )
        seed_items(dynamodb, store_table(api), [ITEM_ID], versions=1)
        env = runtime_child_environment(api, endpoint)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        sides = [
            ("baseline", baseline_dir, "baseline_handler.handler"),
            ("subject", subject_dir, function.handler),
        ]
        for index in range(warmup_pairs + pairs):
            order = sides if index % 2 == 0 else list(reversed(sides))
            for side, code_dir, handler in order:
                start = _cold_start(code_dir, handler, event_file, env)
                if index >= warmup_pairs:
                    getattr(result, side).append(start)
    return result


def _cold_start(code_dir: Path, handler: str, event_file: Path, env: dict[str, str]) -> Start:
    command = [
        sys.executable,
        "-B",
        str(CHILD),
        str(code_dir),
        handler,
        str(event_file),
        str(CONTEXT),
    ]
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
