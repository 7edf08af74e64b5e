"""Schemathesis against local mode, from the documents synthesis writes (issue 27).

Each synthesized service writes ``<stack>.<service>.openapi.json`` into the cloud
assembly. This fuzzes the example app's and the shop's, served by local mode, and fails
on any 5xx, on any answer the document does not describe (status code, content type,
headers, body), and on any request the document admits that the service refuses for a
reason the document could have stated (``valid_requests_are_accepted``).

It runs schemathesis' engine, as its CLI does, rather than ``schema.parametrize()``: the
documents exist only once a fixture has synthesized the apps, and the lazy
``schemathesis.pytest.from_fixture`` fails on pytest 9.2 (it rewrites ``node._nodeid``).
The engine also runs every phase: examples, coverage (boundary values), fuzzing, and
the stateful phase, which follows the documents' links from a created item.

Bounded for CI: a fixed number of examples per operation, derandomized with a fixed
seed so a failure reproduces, one worker.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from jsonschema import Draft202012Validator
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.engine import Status, events

from cdk_serverless_crud.local.server import RunningService

from .conftest import serve

#: Refusals of a request the document admits that no document can foresee, by status:
#: an id that was never created, an If-Match naming another version, a restore of a
#: deletion, a retry racing its first attempt, and an Idempotency-Key used before.
UNFORESEEABLE = {
    404: {"not_found"},
    409: {"version_deleted", "request_in_progress"},
    412: {"precondition_failed"},
    422: {"idempotency_key_reused"},
}

#: The runtime's message when the item a patch merges into fails the collection's schema.
MERGED_NOT_MATCHING = "the item this patch makes does not match the collection's schema"


class RefusedAdmittedRequest(Failure):
    """A request the document admits, refused for a reason the document could state.

    One finding per refusal (status, code and message), not one per operation, so that a
    run reports every such mismatch of an operation, not only the first it meets.
    """

    kind_title = "A request the document admits was refused"

    @property
    def _unique_key(self) -> str:
        return self.message


@schemathesis.check
def valid_requests_are_accepted(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """A request generated as valid is not refused for a reason the document could state.

    Schemathesis' own ``positive_data_acceptance`` cannot tell a refusal the document
    should have prevented (an empty key, a number it allows) from one no document can
    foresee (an id never created); this one reads the error envelope's code to do so.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if not 400 <= status < 500:
        return None  # a 5xx is not_a_server_error's to report
    code, message = _error(response)
    if _unforeseeable(status, code, message, case) or _outside_the_document(case):
        return None
    raise RefusedAdmittedRequest(
        operation=case.operation.label, message=f"{status} {code}: {message}", case_id=case.id
    )


def _error(response: Any) -> tuple[str | None, str]:
    """The code and message of the contract's error envelope, if the answer is one."""
    try:
        error = json.loads(response.content)["error"]
        return error["code"], error.get("message", "")
    except (ValueError, KeyError, TypeError):
        return None, response.text[:200]


def _unforeseeable(status: int, code: str | None, message: str, case: schemathesis.Case) -> bool:
    if code in UNFORESEEABLE.get(status, ()):
        return True
    # A patch is checked once merged into the stored item: one the document admits can
    # still make an item the schema refuses, which depends on stored state, as a 412 does.
    if status == 400 and code == "invalid_body" and case.method.upper() == "PATCH":
        return message.startswith(MERGED_NOT_MATCHING)
    if status != 400 or code != "invalid_parameter":
        return False
    # A cursor's validity is its signature, not a fact a schema can state: any string of
    # the documented alphabet is admitted, and only those the service handed out work.
    if "cursor" in (case.query or {}):
        return True
    # Two index parameters on one listing, and If-Match naming ETags together with
    # If-None-Match: *, are 400s the document states in words: OpenAPI has no way to say
    # that parameters exclude each other.
    index_parameters = set(case.query or {}) - {"limit", "cursor", "order"}
    if case.method.upper() == "GET" and len(index_parameters) > 1:
        return True
    # A range condition (placed_at.gte) needs a query of the index sorted by its
    # attribute: a dependency between parameters, stated in the document's words.
    if case.method.upper() == "GET" and "needs a query by an index sorted by" in message:
        return True
    headers = {name.lower(): value for name, value in (case.headers or {}).items()}
    return "if-none-match" in headers and headers.get("if-match", "*").strip() != "*"


def _outside_the_document(case: schemathesis.Case) -> bool:
    """Whether a parameter of a case generated as valid breaks its own schema after all.

    Schemathesis' coverage phase sends ``If-Match: 0`` as a valid value of a header
    whose pattern wants quotes; such a case is no request the document admits.
    """
    values = {"path": case.path_parameters, "query": case.query, "header": case.headers}
    for parameter in case.operation.iter_parameters():
        value = (values.get(parameter.location.value) or {}).get(parameter.name)
        schema = parameter.definition.get("schema", {})
        if (
            isinstance(value, str)
            and schema.get("type") == "string"
            and not Draft202012Validator(schema).is_valid(value)
        ):
            return True
    return False


#: The checks every answer goes through, by the names schemathesis registers them under.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    valid_requests_are_accepted.__name__,
]

#: Bounded for CI and derandomized, so that a failure reproduces run after run.
RUN = {
    "seed": 27,
    "workers": 1,
    "continue-on-failure": True,
    "generation": {"max-examples": 15, "deterministic": True, "database": "none"},
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    "phases": {"stateful": {"max-steps": 10}},
}


@pytest.fixture(scope="module", params=["example", "shop"])
def served_app(request: pytest.FixtureRequest) -> Iterator[tuple[Path, RunningService]]:
    """One synthesized app (the example app, then the shop), served on moto."""
    cdk_out: Path = request.getfixturevalue(f"{request.param}_cdk_out")
    with serve(cdk_out) as running:
        yield cdk_out, running


def test_the_generated_documents_hold_against_local_mode(
    served_app: tuple[Path, RunningService],
) -> None:
    cdk_out, running = served_app
    (written,) = cdk_out.glob("*.openapi.json")
    # The document's server is the relative "/{stage}"; requests go to the served stage.
    config = SchemathesisConfig.from_dict({**RUN, "base-url": running.url})
    schema = schemathesis.openapi.from_path(str(written), config=config)

    problems: dict[str, str] = {}
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            problems.update(_failures(event))
        elif isinstance(event, events.NonFatalError):
            problems[event.label] = f"{event.label}: {event.info.title}: {event.info.message}"
        elif isinstance(event, events.FatalError):
            raise event.exception
    assert not problems, f"{len(problems)} failures:\n\n" + "\n\n".join(problems.values())


def _failures(event: events.ScenarioFinished) -> dict[str, str]:
    """Each distinct failure of a scenario, with the requests that reproduce it."""
    found = {}
    for nodes in event.recorder.checks.values():
        for node in nodes:
            if node.status == Status.FAILURE and node.failure_info is not None:
                failure = node.failure_info.failure
                where = f"[{event.phase.value}] {event.recorder.label}: {failure.title}"
                found.setdefault(
                    f"{where}\n{failure.message}",
                    f"{where}\n{failure.message}\n{node.failure_info.code_sample}",
                )
    return found
