"""The ``IndexBackfill`` custom resource: the deploy's side of backfill.py.

Entry point ``item_service.backfill_resource.handler``, of a function with the
collection's own environment. Two custom resources of one collection call it, told
apart by their ``Phase`` property, both with the collection's index names as
``Indexes`` and the table's staged indexes as ``TableIndexes``:

- ``start``, which the collection's function depends on, so it runs before the function
  that serves a new index is in place: it marks each staged index the table lacks as
  ``building`` and hands the job the indexes the table must end up with (staged ones
  the old properties had and these do not are deleted), and it marks the indexes the
  deploy adds (compared with the resource's old properties; on its creation, every
  index) as ``building``, if the table holds items, so no container of the new function
  queries them before they exist and are filled;
- ``run``, which depends on the function, so every head the backfill has not reached is
  rewritten with its keys by the new function if it changes: it applies the index
  changes, one UpdateTable at a time (index_changes.py), then runs the backfill, for up
  to ``RUN_SECONDS``, then, if it is not done, invokes its own function asynchronously
  (``{"continue": true}``) to go on, and answers CloudFormation either way. The deploy
  does not wait for a large table: queries of the new index answer 503
  ``index_building`` until the backfill is done.

A continuation works until its own time is nearly out, then invokes the next, so a
backfill of any size ends; progress is saved after every page (backfill.py), so a
failed invocation, retried by Lambda, resumes where it stopped. CloudFormation always
gets an answer, ``FAILED`` with the reason if the handler fails, so a deploy never
waits for its timeout.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol

import botocore.session

from . import clients
from .backfill import Backfill, Progress
from .config import settings
from .logs import error_summary, log_event

#: How long the ``run`` phase works before handing over to a continuation, so that the
#: deploy goes on; a small table is done by then.
RUN_SECONDS = 120.0
#: Time left for answering and handing over, at the end of an invocation.
MARGIN_SECONDS = 30.0


class LambdaContext(Protocol):
    invoked_function_arn: str

    def get_remaining_time_in_millis(self) -> int: ...


def handler(event: Mapping[str, Any], context: LambdaContext) -> None:
    """A CloudFormation custom resource request, or a continuation of a backfill."""
    if event.get("continue"):
        _work(context, time.monotonic() + _remaining(context))
        return
    try:
        physical_id = _on_request(event, context)
    except Exception as error:  # CloudFormation must hear of every failure
        summary = error_summary(error)
        log_event("backfill_failed", error=summary)
        physical_id = str(event.get("PhysicalResourceId") or "index-backfill-failed")
        _respond(event, "FAILED", physical_id, f"index backfill failed: {summary}")
        return
    _respond(event, "SUCCESS", physical_id)


def _on_request(event: Mapping[str, Any], context: LambdaContext) -> str:
    properties = event.get("ResourceProperties", {})
    phase = str(properties.get("Phase", ""))
    physical_id = str(
        event.get("PhysicalResourceId") or f"{settings().table_name}/index-backfill/{phase}"
    )
    if event.get("RequestType") == "Delete":
        return physical_id
    old_properties = event.get("OldResourceProperties", {})
    names = set(properties.get("Indexes", []))
    old = set(old_properties.get("Indexes", []))
    if phase == "start":
        added, removed = names - old, old - names
        backfill = _backfill()
        wanted = list(properties.get("TableIndexes", []))
        staged = {index["IndexName"] for index in wanted}
        retired = {index["IndexName"] for index in old_properties.get("TableIndexes", [])}
        created = backfill.stage(wanted, retired - staged)
        if created:
            log_event("index_changes_staged", create=created, delete=sorted(retired - staged))
        if added and backfill.holds_items():
            backfill.start(added, removed)
            log_event("backfill_started", indexes=sorted(added))
        elif removed:
            backfill.start((), removed)
    elif phase == "run":
        deadline = time.monotonic() + min(RUN_SECONDS, _remaining(context))
        _work(context, deadline)
    else:
        raise ValueError(f"Phase must be start or run, not {phase!r}")
    return physical_id


def _work(context: LambdaContext, deadline: float) -> Progress:
    """Backfill until done or ``deadline``; if not done, hand over to a continuation."""
    progress = _backfill().run(deadline)
    log_event(
        "backfill_progress",
        scanned=progress.scanned,
        written=progress.written,
        lost_races=progress.lost_races,
        refused=progress.refused,
        done=progress.done,
    )
    if not progress.done:
        clients.lambda_().invoke(
            FunctionName=context.invoked_function_arn,
            InvocationType="Event",
            Payload=json.dumps({"continue": True}).encode(),
        )
    return progress


def _backfill() -> Backfill:
    return Backfill(settings(), clients.dynamodb(), clients.s3)


def _remaining(context: LambdaContext) -> float:
    return max(0.0, context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS)


def _respond(event: Mapping[str, Any], status: str, physical_id: str, reason: str = "") -> None:
    """Answer CloudFormation at the request's pre-signed ``ResponseURL`` (an HTTPS URL
    of CloudFormation's, or of the emulator's)."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or f"See the function's log: {status}",
            "PhysicalResourceId": physical_id,
            "StackId": event.get("StackId"),
            "RequestId": event.get("RequestId"),
            "LogicalResourceId": event.get("LogicalResourceId"),
        }
    ).encode()
    request = urllib.request.Request(
        str(event["ResponseURL"]),
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    # The trust the AWS SDK is configured with: the default store on AWS, an emulator's
    # certificate where ``AWS_CA_BUNDLE`` names one (as in the deploy rehearsal).
    ca_bundle = botocore.session.get_session().get_config_variable("ca_bundle")
    context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else None
    with urllib.request.urlopen(request, timeout=30, context=context) as answer:
        answer.read()
