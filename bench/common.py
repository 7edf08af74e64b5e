"""What the benchmarks share: paths, statistics, child processes and events.

The runtime under moto (events, Lambda context, environment, tables and buckets from the
synthesized template) is local mode's harness in ``cdk_serverless_crud.local``; this
module only adds the benchmarks' own defaults.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cdk_serverless_crud.local.environment import MASKED, runtime_environment
from cdk_serverless_crud.local.events import proxy_event
from cdk_serverless_crud.local.template import ApiSpec

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_APP = REPO / "example_app"
BASELINE_APP = REPO / "bench" / "baseline_app"
RUNTIME = REPO / "src" / "cdk_serverless_crud" / "runtime"

# ---------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float:
    """The median; the benchmarks report medians over repeated runs."""
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), interpolated between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def paired_ratio(subject: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of subject/baseline over runs taken back to back.

    Each pair ran under the same background load, so the ratio of a pair cancels most
    of it; the median then drops the pairs a burst of load hit on one side only.
    """
    return median([s / b for s, b in zip(subject, baseline, strict=True)])


# ---------------------------------------------------------------- processes


def tool_environment() -> dict[str, str]:
    """The environment for child processes: the checkout's Python, Node and CDK CLI."""
    env = dict(os.environ)
    paths = [str(Path(sys.executable).parent), str(REPO / "node_modules" / ".bin")]
    env["PATH"] = os.pathsep.join([*paths, env.get("PATH", "")])
    node = REPO / "node_modules" / ".bin" / "node"
    if node.exists():
        env.setdefault("JSII_NODE", str(node))
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    env.pop("PYTHONPATH", None)
    return env


def runtime_child_environment(api: ApiSpec, endpoint: str) -> dict[str, str]:
    """A child environment for the API's function: moto at ``endpoint``, no real AWS."""
    env = {k: v for k, v in tool_environment().items() if k not in MASKED}
    env.update(runtime_environment(api, endpoint))
    return env


def store_table(api: ApiSpec) -> str:
    """The name of the table the API's one function stores items in."""
    (function,) = api.functions
    return function.environment["TABLE_NAME"]


# ---------------------------------------------------------------- Lambda invocations


def api_event(
    method: str,
    resource: str,
    path: str,
    *,
    path_params: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """The proxy event of a benchmark request: ``body``, if any, sent as JSON."""
    return proxy_event(
        method,
        path,
        resource=resource,
        path_parameters=path_params or None,
        headers=[("Content-Type", "application/json")] if body is not None else [],
        query=(query or {}).items(),
        body=None if body is None else json.dumps(body),
    )


def get_item_event(item_id: str) -> dict[str, Any]:
    """GET /items/{id}."""
    return api_event("GET", "/items/{id}", f"/items/{item_id}", path_params={"id": item_id})


@contextmanager
def runtime_on_path() -> Iterator[None]:
    """Import the runtime as Lambda does: its asset root on sys.path, package item_service."""
    entry = str(RUNTIME)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added and entry in sys.path:
            sys.path.remove(entry)
