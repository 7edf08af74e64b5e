"""The example app as the deploy rehearsal deploys it into MiniStack (``make deploy-local``).

It is ``app.build``'s stack, with three differences, each printed on every synth (with a
line saying what MiniStack does not do with the change events' pipe):

- Every alarm that uses metric math is left out, because MiniStack refuses
  ``AWS::CloudWatch::Alarm`` with ``Metrics``. In the example app that is one alarm,
  ``TableThrottledRequests``; it is deployed to AWS as it is.
- A role, ``RehearsalReader``, is added and granted ``grant_invoke_read`` only, so the
  rehearsal can check that IAM refuses it a write. Its ARN is the ``ReaderRoleArn`` output.
- A second collection, ``notes``, with ``access=[Allow.owner()]``, and two roles granted
  ``grant_invoke_read_write`` (outputs ``AliceRoleArn`` and ``BobRoleArn``), so the
  rehearsal can check that one IAM caller cannot see another's notes.

With context ``rehearsal:cognito=true``, the app also has a second stack,
``ServerlessCrudCognitoRehearsal``: ``notes`` with ``access=[Allow.owner(),
Allow.group("support").to("read")]`` behind ``Authorization.cognito(user_pool=...)``, whose
pool's app client allows ``ADMIN_USER_PASSWORD_AUTH``, so the rehearsal can sign users in
without SRP (the pool the library creates allows SRP only).

Context ``rehearsal:indexes=true`` gives ``items`` a schema and two indexes, ``status``
and ``kind``, at once: the rehearsal's update deploy adds them to a table that holds
items, which the index backfill must find.

Context ``rehearsal:cache-ttl`` (seconds) sets the stage's cache TTL; the rehearsal's
update deploy changes it. Context ``rehearsal:keep-metric-math=true`` keeps the alarms
in, to see MiniStack refuse them (the rehearsal's failed deploy).
"""

import sys

import aws_cdk as cdk
from app import build
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from cdk_serverless_crud import Allow, Authorization, Collection, Index, ServerlessCrudService

COGNITO_STACK = "ServerlessCrudCognitoRehearsal"


def leave_out_metric_math_alarms(root: IConstruct) -> list[str]:
    """Remove every alarm whose metric is metric math; the removed alarms' paths."""
    removed = []
    for construct in root.node.find_all():
        if isinstance(construct, cloudwatch.Alarm):
            alarm = construct.node.default_child
            if isinstance(alarm, cloudwatch.CfnAlarm) and alarm.metrics is not None:
                scope = construct.node.scope
                assert scope is not None
                scope.node.try_remove_child(construct.node.id)
                removed.append(construct.node.path)
    return removed


app = cdk.App()
cache_ttl = app.node.try_get_context("rehearsal:cache-ttl")
# The update deploy adds two indexes to items at once: the items written before must be
# found by both (the index backfill). MiniStack applies one index per call itself.
indexed = app.node.try_get_context("rehearsal:indexes") in (True, "true")
items = (
    Collection(
        "items",
        schema={
            "type": "object",
            "properties": {"status": {"type": "string"}, "kind": {"type": "string"}},
        },
        indexes=[Index("status"), Index("kind")],
    )
    if indexed
    else Collection("items")
)
service = build(
    app,
    collections=[items, Collection("notes", access=[Allow.owner()])],
    **({} if cache_ttl is None else {"cache_ttl": cdk.Duration.seconds(int(cache_ttl))}),
)
print(
    "rehearsal: adding collection notes with access=[Allow.owner()] and two writer roles, "
    "to check that one IAM caller cannot see another's notes",
    file=sys.stderr,
)
kept = app.node.try_get_context("rehearsal:keep-metric-math") in (True, "true")
for path in [] if kept else leave_out_metric_math_alarms(service):
    print(
        f"rehearsal: leaving out alarm {path}: MiniStack does not support metric math "
        "(Properties.Metrics); AWS deploys it",
        file=sys.stderr,
    )
if service.service_events is not None:
    print(
        "rehearsal: change events: MiniStack creates the pipe and reads the table's stream, "
        "but delivers pipes to SNS and Step Functions only, not to an event bus; local "
        "mode and the template tests check the events",
        file=sys.stderr,
    )
reader = iam.Role(
    cdk.Stack.of(service),
    "RehearsalReader",
    assumed_by=iam.AccountRootPrincipal(),
    description="The deploy rehearsal's read-only caller: grant_invoke_read and nothing else",
)
service.grant_invoke_read(reader)
cdk.CfnOutput(cdk.Stack.of(service), "ReaderRoleArn", value=reader.role_arn)
for name in ("Alice", "Bob"):
    writer = iam.Role(
        cdk.Stack.of(service),
        f"Rehearsal{name}",
        assumed_by=iam.AccountRootPrincipal(),
        description="A deploy rehearsal's writer: grant_invoke_read_write, owns its notes",
    )
    service.grant_invoke_read_write(writer)
    cdk.CfnOutput(cdk.Stack.of(service), f"{name}RoleArn", value=writer.role_arn)
if app.node.try_get_context("rehearsal:cognito") in (True, "true"):
    users = cdk.Stack(
        app, COGNITO_STACK, description="The deploy rehearsal's Cognito users and their notes"
    )
    pool = cognito.UserPool(
        users,
        "RehearsalUsers",
        self_sign_up_enabled=False,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    client = pool.add_client(
        "RehearsalClient",
        auth_flows=cognito.AuthFlow(admin_user_password=True),
        generate_secret=False,
        disable_o_auth=True,
    )
    cognito.CfnUserPoolGroup(users, "Support", user_pool_id=pool.user_pool_id, group_name="support")
    notes = ServerlessCrudService(
        users,
        "Notes",
        tags={"Environment": "dev", "Project": "cdk-serverless-crud-rehearsal", "Owner": "ci"},
        authorization=Authorization.cognito(user_pool=pool),
        collections=[
            Collection("notes", access=[Allow.owner(), Allow.group("support").to("read")])
        ],
    )
    leave_out_metric_math_alarms(notes)
    cdk.CfnOutput(users, "UserPoolId", value=pool.user_pool_id)
    cdk.CfnOutput(users, "UserPoolClientId", value=client.user_pool_client_id)
app.synth()
