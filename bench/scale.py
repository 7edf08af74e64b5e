"""Local mode at size: requests per second against tables of 100, 1,000 and 10,000 items.

One sequential client, as a developer clicking through an app or a test suite sends, on
the example app. Each table is seeded straight into its DynamoDB in the runtime's layout
(``seed_items``, one version per item), then every operation runs back to back for a
fixed time: GET of an item, a list page and a versions page (all with
``Cache-Control: max-age=0``, so the stage cache does not answer), PUT of a seeded item,
then POST of new items. The goal (issue 15): every operation's rate at the largest size
is at least :data:`GOAL` of its rate at the smallest. moto is measured beside DynamoDB
Local at the sizes it can seed in reasonable time, to show why it is no longer the
default.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from cdk_serverless_crud.local.environment import MOTO_ENVIRONMENT, REGION
from cdk_serverless_crud.local.seeding import seed_items
from cdk_serverless_crud.local.template import load_api

from .common import median, store_table
from .throughput import BODY, Request, generate_load, running_local

#: The lowest acceptable rate at the largest size, as a fraction of the smallest's.
GOAL = 0.67
OPERATIONS = ("POST", "PUT", "GET", "list page", "versions page")
FRESH = {"Cache-Control": "max-age=0"}
JSON_BODY = {"Content-Type": "application/json"}


@dataclass
class ScaleResult:
    """Rates (requests/s) per backend, table size and operation, one per repetition."""

    seconds: float
    sizes: dict[str, tuple[int, ...]]
    rates: dict[str, dict[int, dict[str, list[float]]]] = field(default_factory=dict)
    errors: int = 0

    def rate(self, backend: str, size: int, operation: str) -> float:
        """The median rate over the repetitions."""
        return median(self.rates[backend][size][operation])

    def ratio(self, backend: str, operation: str) -> float:
        """The rate at the backend's largest size over its rate at its smallest."""
        sizes = self.sizes[backend]
        return self.rate(backend, sizes[-1], operation) / self.rate(backend, sizes[0], operation)

    def meets_goal(self, backend: str) -> bool:
        return all(self.ratio(backend, operation) >= GOAL for operation in OPERATIONS)

    def to_json(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "rates": self.rates, "errors": self.errors}


def measure_scale(
    cdk_out: Path,
    sizes: dict[str, tuple[int, ...]],
    *,
    seconds: float,
    repetitions: int,
) -> ScaleResult:
    """For each backend and size, a fresh server, seeded, then every operation in turn."""
    result = ScaleResult(seconds, sizes)
    table = store_table(load_api(cdk_out))
    for backend, backend_sizes in sizes.items():
        for size in backend_sizes:
            rates = result.rates.setdefault(backend, {}).setdefault(size, {})
            with running_local(cdk_out, backend) as (url, endpoint):
                ids = [f"seed-{n:06d}" for n in range(size)]
                seed_items(_client(endpoint), table, ids, versions=1)
                for _ in range(repetitions):
                    for operation, (request, status) in _requests(ids).items():
                        load = generate_load(url, request, 1, seconds, expected=status)
                        rates.setdefault(operation, []).append(load.rate)
                        result.errors += load.errors
    return result


def _client(endpoint: str) -> Any:
    return boto3.session.Session(
        aws_access_key_id=MOTO_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=MOTO_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    ).client("dynamodb", endpoint_url=endpoint)


def _requests(ids: list[str]) -> dict[str, tuple[Callable[[int], Request], int]]:
    """Each operation's request maker and expected status; reads first, writes last."""
    spread = itertools.cycle(ids[:: max(1, len(ids) // 97)])  # ids across the table

    def item(_: int) -> str:
        return next(spread)

    put_body = json.dumps({"name": "gadget", "price": 19.99}).encode()
    return {
        "GET": (lambda c: ("GET", f"/items/{item(c)}", FRESH, None), 200),
        "list page": (lambda c: ("GET", "/items?limit=25", FRESH, None), 200),
        "versions page": (lambda c: ("GET", f"/items/{item(c)}/versions", FRESH, None), 200),
        "PUT": (lambda c: ("PUT", f"/items/{item(c)}", JSON_BODY, put_body), 200),
        "POST": (lambda c: ("POST", "/items", JSON_BODY, BODY), 201),
    }
