"""The deploy rehearsal: the real CDK CLI bootstraps, deploys, updates and destroys the
example app in MiniStack, and the deployed API answers signed requests.

The tests run in file order against one emulator: they are the steps of one deployment's
life. Run them alone with ``pytest -m deploy``. docs/deploying.md lists what this covers.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.release.helpers import load_script

pytestmark = pytest.mark.deploy

deploy_local = load_script("deploy_local")
TEST_CREDENTIALS = Credentials(deploy_local.ACCESS_KEY, "test")
# What an update must keep: a replaced one would be empty, or answer at another URL.
KEPT = (
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::Logs::LogGroup",
    "AWS::ApiGateway::RestApi",
)


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: Any


@dataclass
class Deployment:
    """One rehearsal: the emulator, the stack's outputs and what the steps wrote."""

    running: Any
    workdir: Path
    outputs: dict[str, str]
    context: ssl.SSLContext
    items: dict[str, Any] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return str(deploy_local.execute_api_url(self.running, self.output("ItemsApiUrl")))

    def output(self, prefix: str) -> str:
        return str(deploy_local.output(self.outputs, prefix))

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.running.endpoint,
            region_name=deploy_local.REGION,
            aws_access_key_id=deploy_local.ACCESS_KEY,
            aws_secret_access_key="test",
            verify=str(self.running.certificate),
        )

    def deploy(self, **context: str) -> None:
        self.outputs = deploy_local.deploy(
            self.running,
            self.workdir / "cdk-outputs.json",
            assembly=self.workdir / "cdk.out",
            context=context,
        )

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        credentials: Credentials | None = TEST_CREDENTIALS,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """A request to the deployed stage, SigV4-signed unless ``credentials`` is None."""
        data = None if body is None else json.dumps(body).encode()
        request = AWSRequest(
            method=method,
            url=f"{self.url}{path}",
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        if credentials is not None:
            SigV4Auth(credentials, "execute-api", deploy_local.REGION).add_auth(request)
        prepared = urllib.request.Request(
            request.url, data=data, method=method, headers=dict(request.headers)
        )
        try:
            with urllib.request.urlopen(prepared, timeout=60, context=self.context) as answer:
                status, answer_headers, raw = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, raw = error.code, error.headers, error.read()
        received = {name.lower(): value for name, value in answer_headers.items()}
        return Answer(status, received, json.loads(raw) if raw else None)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("rehearsal")
    with deploy_local.emulator(workdir) as running:
        deploy_local.bootstrap(running)
        context = ssl.create_default_context(cafile=str(running.certificate))
        rehearsal = Deployment(running, workdir, {}, context)
        rehearsal.deploy()
        rehearsal.physical_ids = physical_ids(rehearsal)
        yield rehearsal


def physical_ids(deployment: Deployment) -> dict[str, str]:
    """The physical ids of the stack's resources an update must keep, by logical id."""
    resources = deployment.client("cloudformation").describe_stack_resources(
        StackName=deploy_local.STACK
    )["StackResources"]
    return {
        resource["LogicalResourceId"]: resource["PhysicalResourceId"]
        for resource in resources
        if resource["ResourceType"] in KEPT
    }


def test_bootstrap_and_deploy_leave_out_only_the_metric_math_alarm(deployment: Deployment) -> None:
    log = (deployment.workdir / "cdk-deploy.log").read_text()
    assert [line for line in log.splitlines() if line.startswith("rehearsal:")] == [
        "rehearsal: adding collection notes with access=[Allow.owner()] and two writer "
        "roles, to check that one IAM caller cannot see another's notes",
        *(
            f"rehearsal: leaving out alarm ServerlessCrudExample/Items/Monitoring/{prefix}"
            "TableThrottledRequests: MiniStack does not support metric math "
            "(Properties.Metrics); AWS deploys it"
            for prefix in ("", "Notes")
        ),
        "rehearsal: change events: MiniStack creates the pipe and reads the table's stream, "
        "but delivers pipes to SNS and Step Functions only, not to an event bus; local mode "
        "and the template tests check the events",
    ]
    alarms = deployment.client("cloudwatch").describe_alarms()["MetricAlarms"]
    names = sorted(alarm["AlarmName"].split("-")[1] for alarm in alarms)
    assert [name.rstrip("0123456789ABCDEF") for name in names] == [
        "ItemsMonitoringApiLatencyP",
        "ItemsMonitoringApiServerErrorRate",
        "ItemsMonitoringEventsDeadLettered",
        "ItemsMonitoringEventsFailed",
        "ItemsMonitoringFunctionErrors",
        "ItemsMonitoringFunctionThrottles",
        "ItemsMonitoringNotesEventsFailed",
        "ItemsMonitoringNotesFunctionErrors",
        "ItemsMonitoringNotesFunctionThrottles",
    ]
    held = deployment.client("cloudformation").describe_stack_resources(
        StackName=deploy_local.STACK
    )["StackResources"]
    kept_types = {
        r["ResourceType"] for r in held if r["LogicalResourceId"] in deployment.physical_ids
    }
    assert kept_types == set(KEPT)


def test_the_change_events_pipe_is_deployed_and_running(deployment: Deployment) -> None:
    """The stream, the pipe, the bus and the queue deploy; MiniStack does not deliver a
    pipe's records to a bus (see docs/deploying.md), so no event is awaited."""
    bus = deployment.output("ItemsEventBusName")
    bus_arn = deployment.client("events").describe_event_bus(Name=bus)["Arn"]
    pipes = deployment.client("pipes").list_pipes()["Pipes"]
    assert len(pipes) == 2, "one pipe per collection's table: items and notes"
    for pipe in pipes:
        described = deployment.client("pipes").describe_pipe(Name=pipe["Name"])
        assert described["CurrentState"] == "RUNNING"
        assert described["Target"] == bus_arn
        assert ":table/" in described["Source"] and "/stream/" in described["Source"]
    queues = deployment.client("sqs").list_queues().get("QueueUrls", [])
    assert [url for url in queues if "EventsDeadLetterQueue" in url]


def test_signed_crud_through_the_deployed_api(deployment: Deployment) -> None:
    created = deployment.call("POST", "/items", {"name": "first", "qty": 1})
    assert created.status == 201, created.body
    item_id, first = created.body["id"], created.body["timestamp"]
    assert created.headers["location"] == f"/prod/items/{item_id}"

    read = deployment.call("GET", f"/items/{item_id}")
    assert (read.status, read.body["data"]) == (200, {"name": "first", "qty": 1})

    updated = deployment.call(
        "PUT", f"/items/{item_id}", {"name": "first", "qty": 2}, headers={"If-Match": f'"{first}"'}
    )
    assert updated.status == 200, updated.body
    assert updated.body["timestamp"] > first

    kept = deployment.call("POST", "/items", {"name": "kept"})
    assert kept.status == 201
    deployment.items["kept"] = kept.body

    deleted = deployment.call("DELETE", f"/items/{item_id}")
    assert (deleted.status, deleted.body) == (204, None)
    assert deployment.call("GET", f"/items/{item_id}").status == 404

    versions = deployment.call("GET", f"/items/{item_id}/versions")
    assert versions.status == 200
    assert [(v.get("data"), v.get("deleted", False)) for v in versions.body["versions"]] == [
        (None, True),
        ({"name": "first", "qty": 2}, False),
        ({"name": "first", "qty": 1}, False),
    ]


def test_safe_writes_and_time_travel_through_the_deployed_api(deployment: Deployment) -> None:
    """PATCH, create with the client's id and Idempotency-Key, with the function's own
    role: the key record goes into the version's transaction."""
    created = deployment.call(
        "PUT", "/items/sku-1", {"a": 1, "b": 1}, headers={"If-None-Match": "*"}
    )
    assert (created.status, created.headers["location"]) == (201, "/prod/items/sku-1")
    again = deployment.call("PUT", "/items/sku-1", {"a": 9}, headers={"If-None-Match": "*"})
    assert again.status == 412, again.body

    patched = deployment.call(
        "PATCH",
        "/items/sku-1",
        {"b": None, "c": 3},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert (patched.status, patched.body["data"]) == (200, {"a": 1, "c": 3})
    first = created.body["timestamp"]
    old = deployment.call("GET", f"/items/sku-1/versions/{first}")
    assert (old.status, old.body["data"]) == (200, {"a": 1, "b": 1})

    key = {"Idempotency-Key": "deploy-rehearsal-1"}
    once = deployment.call("POST", "/items", {"name": "once"}, headers=key)
    twice = deployment.call("POST", "/items", {"name": "once"}, headers=key)
    assert (once.status, twice.status) == (201, 201), twice.body
    assert twice.body == once.body
    replayed = {name.lower(): value for name, value in twice.headers.items()}
    assert replayed.get("idempotent-replayed") == "true"
    reused = deployment.call("POST", "/items", {"name": "other"}, headers=key)
    assert (reused.status, reused.body["error"]["code"]) == (422, "idempotency_key_reused")
    # MiniStack 1.5.33 does not apply the table's TimeToLiveSpecification (its
    # DescribeTimeToLive names no attribute), so TTL is checked in the template only
    # (tests/infra/test_table.py); docs/deploying.md lists it as not rehearsed.


def test_a_large_item_is_offloaded_to_the_bucket_and_reads_back(deployment: Deployment) -> None:
    """Over 350 KB, the body goes to S3: the function's own role (which MiniStack enforces)
    reaches the bucket's prefix."""
    data = {"blob": "x" * 400_000}
    created = deployment.call("POST", "/items", data)
    assert created.status == 201, created.body
    item_id = created.body["id"]
    assert deployment.call("GET", f"/items/{item_id}").body["data"] == data
    listed = deployment.client("s3").list_object_versions(
        Bucket=deployment.output("ItemsBucketName"), Prefix=f"items/{item_id}"
    )
    assert len(listed.get("Versions", [])) == 1


def test_a_body_the_model_refuses_gets_a_400_in_the_contracts_shape(deployment: Deployment) -> None:
    """Bad input is never a 5xx, deployed. MiniStack 1.5.33 does not apply the deployed
    request validator, so the function's own check answers (on AWS, the stage does, with
    the template's BAD_REQUEST_BODY response in the same envelope)."""
    refused = deployment.call("POST", "/items", [1, 2])
    assert refused.status == 400
    assert refused.body["error"]["code"] == "invalid_body"
    assert deployment.call("GET", "/items?limit=0").body["error"]["code"] == "invalid_parameter"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/items", "GET, POST"),
        ("DELETE", "/items", "GET, POST"),
        ("HEAD", "/items", "GET, POST"),
        ("POST", "/items/some-id", "DELETE, GET, PATCH, PUT"),
        ("DELETE", "/items/some-id/versions", "GET"),
        ("OPTIONS", "/items/some-id/versions", "GET"),
    ],
)
def test_a_method_a_route_does_not_have_is_405_with_allow(
    deployment: Deployment, method: str, path: str, allow: str
) -> None:
    """The ANY method's MOCK integration, deployed. MiniStack 1.5.33 does not render
    ``$context`` in a MOCK's response template, so only the status, ``Allow`` and the
    code are compared; local mode and the template tests check the rendered message."""
    answer = deployment.call(method, path, {} if method in ("PATCH", "POST") else None)

    assert answer.status == 405
    assert answer.headers["allow"] == allow
    if method != "HEAD":
        assert answer.body["error"]["code"] == "method_not_allowed"


def test_an_unknown_path_is_403_in_the_envelope(deployment: Deployment) -> None:
    """API Gateway's own answer, through the template's gateway response."""
    answer = deployment.call("GET", "/no-such-route")

    assert answer.status == 403
    assert answer.body["error"] == {
        "code": "missing_authentication_token",
        "message": "Missing Authentication Token",
        "request_id": answer.headers["x-amzn-requestid"],
    }


def test_iam_refuses_unsigned_calls_and_writes_by_a_read_only_role(deployment: Deployment) -> None:
    unsigned = deployment.call("GET", "/items", credentials=None)
    assert unsigned.status == 403

    role = deployment.client("sts").assume_role(
        RoleArn=deployment.output("ReaderRoleArn"), RoleSessionName="rehearsal-reader"
    )["Credentials"]
    reader = Credentials(role["AccessKeyId"], role["SecretAccessKey"], role["SessionToken"])
    assert deployment.call("GET", "/items", credentials=reader).status == 200
    refused = deployment.call("POST", "/items", {"name": "nope"}, credentials=reader)
    assert refused.status == 403


def assume(deployment: Deployment, output: str, session: str) -> Credentials:
    """A session of the role the stack outputs as ``output``, named ``session``."""
    role = deployment.client("sts").assume_role(
        RoleArn=deployment.output(output), RoleSessionName=session
    )["Credentials"]
    return Credentials(role["AccessKeyId"], role["SecretAccessKey"], role["SessionToken"])


def test_one_iam_caller_cannot_see_or_change_anothers_notes(deployment: Deployment) -> None:
    """``notes`` has ``access=[Allow.owner()]``: with MiniStack's real SigV4 identities,
    the owner is the assumed role (without the session), and a second role's every route
    on the note is the 404 of a note that does not exist."""
    alice = assume(deployment, "AliceRoleArn", "alice-1")
    bob = assume(deployment, "BobRoleArn", "bob-1")
    created = deployment.call("POST", "/notes", {"text": "alice's"}, credentials=alice)
    assert created.status == 201, created.body
    role_name = deployment.output("AliceRoleArn").rsplit("/", 1)[-1]
    assert created.body["owner"].endswith(f":assumed-role/{role_name}")
    assert created.body["written_by"] == created.body["owner"]
    note, etag = created.body["id"], f'"{created.body["timestamp"]}"'

    later_session = assume(deployment, "AliceRoleArn", "alice-2")
    assert deployment.call("GET", f"/notes/{note}", credentials=later_session).body == (
        created.body
    )
    for method, path, body in [
        ("GET", f"/notes/{note}", None),
        ("GET", f"/notes/{note}/versions", None),
        ("PUT", f"/notes/{note}", {"text": "bob's now"}),
        ("DELETE", f"/notes/{note}", None),
    ]:
        refused = deployment.call(method, path, body, credentials=bob, headers={"If-Match": etag})
        assert (refused.status, refused.body["error"]["code"]) == (404, "not_found"), method
    assert deployment.call("GET", "/notes", credentials=bob).body["items"] == []

    bobs = deployment.call("POST", "/notes", {"text": "bob's"}, credentials=bob)
    assert bobs.status == 201, bobs.body
    listed = {
        name: [
            item["id"] for item in deployment.call("GET", "/notes", credentials=who).body["items"]
        ]
        for name, who in (("alice", alice), ("bob", bob))
    }
    assert listed == {"alice": [note], "bob": [bobs.body["id"]]}
    assert deployment.call("GET", f"/notes/{note}", credentials=alice).body == created.body


def test_items_written_before_their_indexes_exist(deployment: Deployment) -> None:
    """The update deploy below adds ``Index("status")`` and ``Index("kind")`` to items:
    these must be found by both (the index backfill)."""
    written = []
    for n in range(12):
        data = {"status": ("open", "closed", "held")[n % 3], "kind": ("a", "b")[n % 2]}
        created = deployment.call("POST", "/items", data)
        assert created.status == 201, created.body
        written.append((created.body["id"], data))
    deployment.items["indexed"] = written


def test_a_prop_the_library_refuses_fails_the_deploy_in_one_line(deployment: Deployment) -> None:
    with pytest.raises(deploy_local.RehearsalError) as failed:
        deployment.deploy(**{"rehearsal:cache-ttl": "7200"})
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith("cdk deploy failed: ValueError: cache_ttl")


def test_a_deploy_cloudformation_refuses_rolls_back_in_one_line(deployment: Deployment) -> None:
    """MiniStack refuses the metric-math alarm: the reason the rehearsal leaves it out."""
    with pytest.raises(deploy_local.RehearsalError) as failed:
        deployment.deploy(**{"rehearsal:keep-metric-math": "true"})
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith("cdk deploy failed: ServerlessCrudExample failed:"), message
    assert "metric math" in message
    assert physical_ids(deployment) == deployment.physical_ids
    kept = deployment.items["kept"]
    assert deployment.call("GET", f"/items/{kept['id']}").body == kept


def test_an_update_deploy_changes_the_stage_in_place_and_keeps_the_data(
    deployment: Deployment,
) -> None:
    url = deployment.url
    deployment.deploy(**{"rehearsal:cache-ttl": "120", "rehearsal:indexes": "true"})
    assert deployment.url == url

    stage = deployment.client("apigateway").get_stage(
        restApiId=deployment.url.split("/")[-2], stageName="prod"
    )
    assert stage["methodSettings"]["*/*"]["cacheTtlInSeconds"] == 120
    after = physical_ids(deployment)
    assert {k: v for k, v in after.items() if k in deployment.physical_ids} == (
        deployment.physical_ids
    )
    added = sorted(set(after) - set(deployment.physical_ids))
    assert [name.rstrip("0123456789ABCDEF") for name in added] == [
        "ItemsIndexBackfillFunctionLogGroup"
    ], "the indexes' backfill adds its function's log group, and nothing is replaced"
    kept = deployment.items["kept"]
    read = deployment.call("GET", f"/items/{kept['id']}")
    assert (read.status, read.body) == (200, kept)


def test_two_indexes_added_in_one_deploy_find_the_items_written_before(
    deployment: Deployment,
) -> None:
    """The update deploy added two indexes to items, which held items already; the
    deploy's index backfill gave them their keys (within the deploy, for a table this
    small), so a query of either finds every old item and the new ones. The template
    leaves both indexes out: the job created them, one UpdateTable each."""
    table = deployment.client("dynamodb").describe_table(
        TableName=deployment.output("ItemsTableName")
    )["Table"]
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {
        "latest-items",
        "by-kind",
        "by-status",
    }
    written = deployment.items["indexed"]
    new = deployment.call("POST", "/items", {"status": "open", "kind": "b"})
    assert new.status == 201, new.body
    written = [*written, (new.body["id"], {"status": "open", "kind": "b"})]
    for attribute, value in (("status", "open"), ("kind", "b"), ("status", "held")):
        answer = deployment.call("GET", f"/items?{attribute}={value}&limit=100")
        assert answer.status == 200, answer.body
        expected = sorted(i for i, data in written if data[attribute] == value)
        assert [item["id"] for item in answer.body["items"]] == expected, (attribute, value)


def test_destroy_keeps_the_retained_table_and_bucket(deployment: Deployment) -> None:
    table = deployment.output("ItemsTableName")
    assert deployment.output("ItemsFunctionName")
    bucket = deployment.output("ItemsBucketName")
    deploy_local.destroy(deployment.running, assembly=deployment.workdir / "cdk.out")

    stacks = deployment.client("cloudformation").list_stacks()["StackSummaries"]
    assert {s["StackName"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"} == {
        "CDKToolkit"
    }
    dynamodb = deployment.client("dynamodb")
    kept = deployment.items["kept"]
    stored = dynamodb.query(
        TableName=table,
        KeyConditionExpression="id = :id",
        ExpressionAttributeValues={":id": {"S": kept["id"]}},
    )["Items"]
    assert str(kept["timestamp"]) in {item["timestamp"]["N"] for item in stored}
    deployment.client("s3").head_bucket(Bucket=bucket)
    functions = deployment.client("lambda").list_functions()["Functions"]
    assert [f["FunctionName"] for f in functions] == [], "the destroyed stack's function is gone"
