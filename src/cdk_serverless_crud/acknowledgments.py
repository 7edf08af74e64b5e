"""Every compliance finding the library acknowledges, with its reason, on one screen.

Security reviewers run cdk-nag's ``AwsSolutions`` and ``Serverless`` packs on CDK apps.
The constructs fix what AWS lets them fix; the few findings left are acknowledged here,
each on the narrowest construct, by its exact rule id (IAM4 and IAM5 ids carry the
resource), through aws-cdk-lib's ``Validations``, so the library needs no cdk-nag.
``docs/security.md`` explains each one, and a test lists them all.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

# Function
LAMBDA_DLQ = (
    "API Gateway invokes the function synchronously (Lambda proxy integration): every "
    "failure is returned to the caller as an HTTP error and nothing is retried, so a "
    "dead-letter queue, which only receives failed asynchronous events, would stay empty."
)
XRAY_WILDCARD = (
    "xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level "
    "permissions; '*' is the only resource AWS accepts for active tracing."
)
ITEM_OBJECTS_WILDCARD = (
    "Item bodies are written under the fixed key prefix, with names only known at run "
    "time (the item id, then a random name per write); the grant is limited to "
    "s3:PutObject, s3:GetObject, s3:GetObjectVersion and s3:DeleteObject under that prefix "
    "of this one bucket."
)

# Change events
EVENTS_DLQ_IS_A_DLQ = (
    "This queue is the dead-letter queue of the change events' pipes and of the cache "
    "refresher's rule: it receives a message for each stream record a pipe could not "
    "deliver and each event the refresher could not process, and nothing consumes it "
    "automatically, so a dead-letter queue of its own would have nothing to catch. Its "
    "depth is alarmed."
)

ENRICHMENT_DLQ = (
    "The pipe invokes the enrichment function synchronously: a failed call is retried by "
    "the pipe, with bounded attempts and record age, and the stream records it could not "
    "deliver go to the pipe's own encrypted, alarmed dead-letter queue, so a function "
    "dead-letter queue, which only receives failed asynchronous events, would stay empty."
)

REFRESHER_DLQ = (
    "EventBridge invokes the cache refresher asynchronously through a rule whose target "
    "has bounded retries, a maximum event age and the change events' encrypted, alarmed "
    "dead-letter queue, which receives every event the function could not process; a "
    "function dead-letter queue of its own would only duplicate it."
)

BACKFILL_DLQ = (
    "The index backfill invokes itself asynchronously with an event that holds no data "
    '({"continue": true}): its progress is in the table. An invocation that fails after '
    "Lambda's two retries is in the function's log and Errors metric, and invoking the "
    "function again with that event resumes where it stopped; a dead-letter queue would "
    "hold nothing to replay."
)

# API
CLOUD_WATCH_ROLE_LOG_GROUPS = (
    "The API Gateway CloudWatch role is account-wide (AWS::ApiGateway::Account): every "
    "REST API of the account and region writes its execution and access logs through it, "
    "to log groups this stack cannot name, so it is scoped to log groups of this account "
    "and region only. It holds no managed policy and no other action."
)
NO_WEB_ACL = (
    "No web_acl_arn was given. A web ACL is a paid, account-level choice, and the size "
    "rule of AWS's common rule set (SizeRestrictions_BODY) blocks bodies far smaller than "
    "the 6 MB this API accepts; pass CachedRestApiProps(web_acl_arn=...) to associate one. "
    "Stage throttling and request validation apply either way."
)
IAM_NOT_COGNITO = (
    "Callers authenticate with AWS IAM (SigV4) and are authorized per method by IAM "
    "policies (grant_invoke_read / grant_invoke_read_write); a Cognito user pool authorizer "
    "is the alternative for end users, chosen with Authorization.cognito()."
)
API_KEY_NOT_AUTHORIZATION = (
    "Authorization.api_keys() was chosen explicitly: every method requires an API key of "
    "the usage plan, which identifies the caller and enforces its quota and throttling. "
    "API keys are not secret credentials; choose Authorization.iam() or .cognito() to "
    "authorize callers."
)
NO_AUTHORIZATION = (
    "Authorization.none() was chosen explicitly, for a public API; the construct adds a "
    "warning annotation. Stage throttling and request validation still apply."
)
EXECUTE_API_PATH_PARAMETERS = (
    "execute-api ARNs stand for a path parameter with '*' (the item id is only known at "
    "run time); the grant names each method and the stage of this one API, and allows "
    "one execute-api action only (Invoke, or InvalidateCache for GETs)."
)
USER_POOL_MFA_OPTIONAL = (
    "Authorization.cognito(mfa=Mfa.OPTIONAL) was chosen explicitly: users may enrol a TOTP "
    "second factor, and with threat protection on (the default) risky sign-ins are "
    "challenged."
)
USER_POOL_ESSENTIALS = (
    "Authorization.cognito(threat_protection=False) was chosen explicitly, to stay on the "
    "Essentials feature plan; MFA and the password policy still apply."
)

# Table
TABLE_PITR_OFF = (
    "TimeSeriesTableProps(point_in_time_recovery=False) was chosen explicitly, for example "
    "for a disposable environment; the table can then only be restored from backups taken "
    "another way."
)


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding, by its exact rule id, on the resource that has it.

    For an L2 construct, that is its CloudFormation resource (``node.default_child``), so
    the acknowledgment covers nothing else the construct may hold.
    """
    child = scope.node.default_child
    target = child if isinstance(child, CfnResource) else scope
    Validations.of(target).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def wildcard_resource_rule(rule: str, scope: IConstruct, resource: str) -> str:
    """The id of a finding about ``resource`` as cdk-nag writes it: ``rule[Resource::...]``.

    cdk-nag flattens references: ``Ref`` becomes ``<LogicalId>``, ``Fn::GetAtt`` becomes
    ``<LogicalId.Attribute>`` and ``Fn::Join`` joins its parts.
    """
    return f"{rule}[Resource::{_flatten(Stack.of(scope).resolve(resource))}]"


def acknowledge_on_grantee(grantee: iam.IGrantable, resources: Sequence[str], reason: str) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for exactly ``resources`` where a grant put them.

    A grant to a role, user or group lands in its ``DefaultPolicy``; to an imported role,
    in a policy whose id starts with ``Policy``. Principals without such a policy (an
    account, a service) are left alone.
    """
    node = getattr(grantee.grant_principal, "node", None)
    if node is None:
        return
    policies = [child for child in node.children if isinstance(child, iam.Policy)]
    default = [policy for policy in policies if policy.node.id == "DefaultPolicy"]
    for policy in default or [p for p in policies if p.node.id.startswith("Policy")]:
        for resource in resources:
            rule = wildcard_resource_rule("AwsSolutions-IAM5", policy, resource)
            acknowledge(policy, rule, reason)


def _flatten(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, Mapping):
        if "Fn::Join" in value:
            delimiter, parts = value["Fn::Join"]
            return str(delimiter).join(_flatten(part) for part in parts)
        if "Fn::Sub" in value:
            return _flatten(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{_flatten(resource)}.{_flatten(attribute)}>"
        if "Fn::ImportValue" in value:
            return _flatten(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{_flatten(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))
