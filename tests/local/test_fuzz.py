"""Schemathesis against local mode, from the packaged OpenAPI contract.

Bounded for CI: a fixed number of examples per operation, derandomized so a failure
reproduces. Every answer must be a non-5xx that matches the documented status codes,
content type, headers and response schema.
"""

from __future__ import annotations

import io
from importlib.resources import files

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cdk_serverless_crud.local.server import RunningService

CONTRACT = files("cdk_serverless_crud.contract") / "openapi.json"
schema = schemathesis.openapi.from_path(str(CONTRACT))

# "Positive data acceptance" is left out on purpose: opaque cursors, ids that were never
# created and If-Match values of other versions are valid by the schema's types yet
# rightly answer 4xx.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_every_answer_matches_the_contract(
    case: schemathesis.Case, service: tuple[RunningService, io.StringIO]
) -> None:
    case.call_and_validate(base_url=service[0].url, checks=CHECKS)
