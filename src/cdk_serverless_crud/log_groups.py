"""Log groups: encrypted with customer-managed keys, and API Gateway's role to write them.

A key's policy must let CloudWatch Logs use it; API Gateway needs an account-wide role to
write execution and access logs.
"""

from typing import cast

from aws_cdk import Annotations, ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_serverless_crud import acknowledgments

# What CloudWatch Logs does with the key of an encrypted log group, without wildcards.
_LOGS_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
)


def encrypted_log_group(
    scope: Construct,
    construct_id: str,
    *,
    retention: logs.RetentionDays,
    encryption_key: kms.IKey | None,
) -> logs.LogGroup:
    """A log group, encrypted with ``encryption_key`` when one is given.

    CloudWatch Logs uses the key itself, so the key policy must allow the regional
    ``logs`` service principal, limited to log groups of this account and region (the
    exact log group ARN would make the key depend on the log group, which depends on the
    key). A key this app owns gets the statement; for an imported key the construct
    warns, since its policy is managed elsewhere.
    """
    if encryption_key is not None:
        allow_cloudwatch_logs(scope, encryption_key)
    return logs.LogGroup(scope, construct_id, retention=retention, encryption_key=encryption_key)


def log_groups_arn(scope: Construct) -> str:
    """The ARN pattern of every log group in the account and region of ``scope``'s stack."""
    return Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name="*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def allow_cloudwatch_logs(scope: Construct, key: kms.IKey) -> None:
    """Let CloudWatch Logs in this account and region use ``key`` for its log groups."""
    stack = Stack.of(scope)
    log_groups = log_groups_arn(scope)
    statement = iam.PolicyStatement(
        sid="AllowCloudWatchLogsOfThisAccountAndRegion",
        principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
        actions=list(_LOGS_KEY_ACTIONS),
        resources=["*"],
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
    )
    if not key.add_to_resource_policy(statement, allow_no_op=True).statement_added:
        Annotations.of(scope).add_warning_v2(
            "cdk-serverless-crud:log-key-policy",
            "The KMS key for this log group is not defined in this app, so its key policy "
            f"cannot be changed here. It must allow logs.{stack.region}.amazonaws.com to use "
            "it (kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, "
            "kms:DescribeKey), or creating the log group fails.",
        )


def register_cloud_watch_role(scope: Construct, rest_api: apigateway.RestApi) -> iam.Role:
    """API Gateway's account-wide role for CloudWatch Logs (``CloudWatchRole``), registered
    for the account (``Account``) before ``rest_api``'s stage deploys.

    Both are retained when the stack is deleted, since other APIs in the account rely on
    them.
    """
    log_groups = log_groups_arn(scope)
    log_streams = f"{log_groups}:log-stream:*"
    # Account-wide: it must cover every API's execution and access log groups in this
    # region, not only this one's.
    role = iam.Role(
        scope,
        "CloudWatchRole",
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description="API Gateway's account-wide role for writing logs to CloudWatch Logs",
        inline_policies={
            "PushToCloudWatchLogs": iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        actions=[
                            "logs:CreateLogGroup",
                            "logs:CreateLogStream",
                            "logs:DescribeLogGroups",
                            "logs:DescribeLogStreams",
                            "logs:PutLogEvents",
                        ],
                        resources=[log_groups, log_streams],
                    )
                ]
            )
        },
    )
    for resource in (log_groups, log_streams):
        acknowledgments.acknowledge(
            role,
            acknowledgments.wildcard_resource_rule("AwsSolutions-IAM5", role, resource),
            acknowledgments.CLOUD_WATCH_ROLE_LOG_GROUPS,
        )
    role.apply_removal_policy(RemovalPolicy.RETAIN)
    account = apigateway.CfnAccount(scope, "Account", cloud_watch_role_arn=role.role_arn)
    account.apply_removal_policy(RemovalPolicy.RETAIN)
    # Registering the role waits for the API resource itself (as aws-cdk-lib does; the
    # whole construct would include the stage and form a cycle); the stage, whose
    # logging needs the role, waits for the registration.
    account.node.add_dependency(cast(Construct, rest_api.node.default_child))
    rest_api.deployment_stage.node.add_dependency(account)
    return role
