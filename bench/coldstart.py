"""Cold start: a fresh process imports a handler and serves its first request from moto.

Two measures, each against the baseline handler in ``baseline_handler.py``:

- **GET**: the item service as deployed (a copy of the synthesized Lambda asset) reads
  one item; the baseline does one ``get_item``.
- **Typed POST**: a typed collection's asset, built by the library from the 30-property
  product schema (``product.py``), creates an item from a valid body of about 1 KB. The
  runtime imports the generated validator (and the vendored fastjsonschema) on the first
  POST or PUT, so this measure includes that import and one validation; the baseline
  parses the body and writes the same two records in one ``transact_write_items``.

Every copy is without byte code, run with ``-B``, so every start compiles the code's
modules the way a Lambda container does from its read-only code. Both sides talk to
the same moto server on 127.0.0.1, which holds the synthesized template's tables and
buckets.
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

from cdk_serverless_crud.assets import collection_asset
from cdk_serverless_crud.local import context
from cdk_serverless_crud.local.aws import in_memory_aws
from cdk_serverless_crud.local.environment import REGION
from cdk_serverless_crud.local.seeding import seed_items
from cdk_serverless_crud.local.template import load_api

from .common import (
    REPO,
    api_event,
    get_item_event,
    median,
    paired_ratio,
    runtime_child_environment,
    store_table,
)
from .product import PRODUCT_SCHEMA, product_body

CHILD = REPO / "bench" / "coldstart_child.py"
#: The Lambda context's module, which the child loads by path (see coldstart_child.py).
CONTEXT = Path(context.__file__)
BASELINE_HANDLER = REPO / "bench" / "baseline_handler.py"
ITEM_ID = "cold-start-item"
#: The typed POST's body: about 1 KB of JSON, every one of the 30 properties set.
TYPED_BODY_BYTES = 1024
# The asset as TaggedFunction ships it (same excludes): no byte code.
_NO_BYTE_CODE = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


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

    Each serves one GET of a seeded item. Starts alternate (baseline first in even
    pairs), and the warm-up pairs, which fill the OS file cache, are discarded.
    """
    api = load_api(assembly)
    (function,) = api.functions
    subject_dir = _copy_code(function.code_dir, workdir / "subject-asset")
    event_file = workdir / "get-event.json"
    event_file.write_text(json.dumps(get_item_event(ITEM_ID)))
    with in_memory_aws(api) as aws:
        dynamodb = boto3.session.Session(region_name=REGION).client(
            "dynamodb", endpoint_url=aws.dynamodb_endpoint
        )
        seed_items(dynamodb, store_table(api), [ITEM_ID], versions=1)
        return _pairs(
            pairs,
            warmup_pairs,
            baseline=(_baseline_code(workdir), "baseline_handler.handler"),
            subject=(subject_dir, function.handler),
            event_file=event_file,
            env=runtime_child_environment(api, aws.endpoint),
            status=200,
        )


def measure_typed_cold_start(
    pairs: int, workdir: Path, *, assembly: Path, warmup_pairs: int = 1
) -> ColdStartResult:
    """Cold starts of a typed collection's function serving its first POST, and the baseline's.

    The function's code is ``collection_asset(PRODUCT_SCHEMA)``, with the environment of
    the app's function in ``assembly`` (the collection ``items``, its table and bucket):
    the function the library deploys for ``Collection("items", schema=PRODUCT_SCHEMA)``.
    Each start creates a new item from the same valid body; pairs as for GET.
    """
    api = load_api(assembly)
    (function,) = api.functions
    subject_dir = _copy_code(collection_asset(PRODUCT_SCHEMA), workdir / "typed-asset")
    event_file = workdir / "post-event.json"
    body = product_body(TYPED_BODY_BYTES)
    event_file.write_text(json.dumps(api_event("POST", "/items", "/items", body=body)))
    with in_memory_aws(api) as aws:
        return _pairs(
            pairs,
            warmup_pairs,
            baseline=(_baseline_code(workdir), "baseline_handler.create_handler"),
            subject=(subject_dir, function.handler),
            event_file=event_file,
            env=runtime_child_environment(api, aws.endpoint),
            status=201,
        )


def _copy_code(source: Path, target: Path) -> Path:
    """A copy of a Lambda asset without byte code, as it is deployed."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=_NO_BYTE_CODE)
    return target


def _baseline_code(workdir: Path) -> Path:
    """The baseline handler alone in a folder, as its Lambda code would be."""
    target = workdir / "baseline-asset"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copy(BASELINE_HANDLER, target / "baseline_handler.py")
    return target


def _pairs(
    pairs: int,
    warmup_pairs: int,
    *,
    baseline: tuple[Path, str],
    subject: tuple[Path, str],
    event_file: Path,
    env: dict[str, str],
    status: int,
) -> ColdStartResult:
    """``warmup_pairs + pairs`` pairs of starts, baseline first in even pairs."""
    result = ColdStartResult(warmup_pairs=warmup_pairs)
    env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    sides = [("baseline", *baseline), ("subject", *subject)]
    for index in range(warmup_pairs + pairs):
        order = sides if index % 2 == 0 else list(reversed(sides))
        for side, code_dir, handler in order:
            start = _cold_start(code_dir, handler, event_file, env, status)
            if index >= warmup_pairs:
                getattr(result, side).append(start)
    return result


def _cold_start(
    code_dir: Path, handler: str, event_file: Path, env: dict[str, str], status: int
) -> Start:
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
    if measured["status"] != status:
        raise RuntimeError(
            f"cold start of {handler} answered {measured['status']}, not {status}:\n"
            f"{completed.stdout[-2000:]}"
        )
    return Start(
        total_seconds=measured["total_seconds"],
        import_seconds=measured["import_seconds"],
        first_request_seconds=measured["first_request_seconds"],
        peak_rss_bytes=measured["peak_rss_bytes"],
        process_seconds=process_seconds,
    )
