"""What the benchmarks share: paths, statistics, moto resources and API Gateway events."""

from __future__ import annotations

import json
import os
import statistics
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_APP = REPO / "example_app"
BASELINE_APP = REPO / "bench" / "baseline_app"
RUNTIME = REPO / "src" / "cdk_serverless_crud" / "runtime"
HANDLER = "item_service.handler.handler"

# Names the runtime reads from its environment (docs/design.md); any value works in moto.
TABLE = "items-table"
INDEX = "latest-items"
BUCKET = "items-bucket"
PREFIX = "items/"
STAGE = "prod"

#: Dummy credentials and the runtime's settings: boto3 talks to moto, never to AWS.
RUNTIME_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "TABLE_NAME": TABLE,
    "LIST_INDEX_NAME": INDEX,
    "BUCKET_NAME": BUCKET,
    "OBJECT_PREFIX": PREFIX,
}
MASKED_ENVIRONMENT = (
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
)

START_MS = 1_700_000_000_000
"""Timestamp of the first version of seeded items (epoch ms)."""


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


def runtime_environment(endpoint: str | None = None) -> dict[str, str]:
    """A child environment for the Lambda runtime: moto at ``endpoint``, no real AWS."""
    env = {k: v for k, v in tool_environment().items() if k not in MASKED_ENVIRONMENT}
    env.update(RUNTIME_ENVIRONMENT)
    if endpoint is not None:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


# ---------------------------------------------------------------- AWS resources in moto


def create_resources(dynamodb: Any, s3: Any) -> None:
    """The table (with its sparse listing index) and the versioned bucket, as deployed."""
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "timestamp", "AttributeType": "N"},
            {"AttributeName": "listing", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "id", "KeyType": "HASH"},
            {"AttributeName": "timestamp", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": INDEX,
                "KeySchema": [
                    {"AttributeName": "listing", "KeyType": "HASH"},
                    {"AttributeName": "id", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})


def seed_items(dynamodb: Any, ids: Sequence[str], versions: int) -> int:
    """Write items with ``versions`` versions each, straight to the table.

    Uses the layout of docs/design.md (version records plus one head per item), which
    is what the API would have written, at a fraction of the cost. Returns the number
    of records written.
    """
    data = {"M": {"name": {"S": "widget"}, "price": {"N": "9.99"}}}
    records: list[dict[str, Any]] = []
    for item_id in ids:
        for version in range(versions):
            records.append(
                {"id": {"S": item_id}, "timestamp": {"N": str(START_MS + version)}, "data": data}
            )
        records.append(
            {
                "id": {"S": item_id},
                "timestamp": {"N": "0"},
                "latest": {"N": str(START_MS + versions - 1)},
                "data": data,
                "listing": {"S": "item"},
            }
        )
    for start in range(0, len(records), 25):
        batch = [{"PutRequest": {"Item": r}} for r in records[start : start + 25]]
        dynamodb.batch_write_item(RequestItems={TABLE: batch})
    return len(records)


# ---------------------------------------------------------------- Lambda invocations


class ReadCounter:
    """Items DynamoDB read for the runtime, and its calls, since the last take()."""

    def __init__(self) -> None:
        self.items = 0
        self.calls: list[str] = []

    def after_call(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        """botocore's ``after-call.dynamodb`` event: count what the call read."""
        self.calls.append(model.name)
        if model.name == "Query":
            self.items += int(parsed.get("ScannedCount", 0))
        elif model.name == "GetItem":
            self.items += 1 if "Item" in parsed else 0

    def take(self) -> tuple[int, list[str]]:
        """The count and calls so far, then start again."""
        taken = (self.items, self.calls)
        self.items, self.calls = 0, []
        return taken


def api_event(
    method: str,
    resource: str,
    path: str,
    *,
    path_params: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """An API Gateway REST (v1) Lambda proxy event; absent maps are null, as in AWS."""
    headers = {"Content-Type": "application/json"} if body is not None else None
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} if headers else None,
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": dict(path_params) if path_params else None,
        "stageVariables": None,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
        },
    }


def get_item_event(item_id: str) -> dict[str, Any]:
    """GET /items/{id}."""
    return api_event("GET", "/items/{id}", f"/items/{item_id}", path_params={"id": item_id})


class LambdaContext:
    """The part of the Lambda context the handler reads; 29 s left, as API Gateway allows."""

    aws_request_id = "bench-request"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the timeout."""
        return 29_000


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
