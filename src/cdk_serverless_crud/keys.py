"""Customer-managed KMS keys: what their key policies must allow for the constructs' logs."""

from aws_cdk import Annotations, ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

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
