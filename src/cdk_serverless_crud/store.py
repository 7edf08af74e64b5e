"""VersionedStore: the versioned S3 bucket that holds item bodies too large for DynamoDB."""

from dataclasses import dataclass
from typing import Any, cast

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_serverless_crud import acknowledgments, defaults, validation

# What the store's bucket and its access log bucket share: versioned, private, owned by
# the bucket owner, reachable over TLS 1.2+ only.
_SECURE_BUCKET: dict[str, Any] = {
    "versioned": True,
    "block_public_access": defaults.BLOCK_PUBLIC_ACCESS,
    "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    "enforce_ssl": defaults.ENFORCE_SSL,
    "minimum_tls_version": defaults.MINIMUM_TLS_VERSION,
}


@dataclass(frozen=True, kw_only=True)
class VersionedStoreProps:
    """Overrides for :class:`VersionedStore`.

    Versioning, the public access block, SSL enforcement, server access logging and the
    abort of incomplete multipart uploads are not optional.
    """

    encryption_key: kms.IKey | None = None
    """KMS key for SSE-KMS (with an S3 Bucket Key, which keeps KMS requests down).

    :default: None, S3-managed keys (SSE-S3)
    """

    noncurrent_version_expiration_days: int = defaults.NONCURRENT_VERSION_EXPIRATION_DAYS
    """Days S3 keeps an object version after a newer one replaced it.

    :default: 90
    """

    removal_policy: RemovalPolicy = defaults.STORE_REMOVAL_POLICY
    """What happens to the bucket when it leaves the stack.

    :default: RemovalPolicy.RETAIN
    """

    server_access_logs_bucket: s3.IBucket | None = None
    """Where S3 delivers the bucket's server access logs, under ``store/``.

    The bucket must accept deliveries from ``logging.s3.amazonaws.com`` and use SSE-S3
    (S3 cannot deliver access logs to a bucket encrypted with SSE-KMS). When it belongs
    to this app, the store adds the bucket policy statement that allows it.

    :default: None, the store creates a private, SSL-only bucket that keeps logs 365 days
    """

    def __post_init__(self) -> None:
        validation.check_range(
            "VersionedStoreProps.noncurrent_version_expiration_days",
            self.noncurrent_version_expiration_days,
            1,
            unit="days",
        )


class VersionedStore(Construct):
    """An S3 bucket with versioning always on, private, encrypted, SSL-only and logged.

    Replaced and deleted object versions expire after
    ``noncurrent_version_expiration_days``, then their delete markers; incomplete
    multipart uploads are aborted after 7 days. The item service never replaces an object
    a version points at: each body has a key of its own, and only bodies that no version
    points at are deleted. The bucket is ``.bucket``; its
    server access logs go to ``.access_logs_bucket``, the one given in the props or one
    the store creates.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: VersionedStoreProps | None = None
    ) -> None:
        """Create the bucket and, unless the props name one, its access log bucket.

        :param props: overrides of the defaults. Default: ``VersionedStoreProps()``.
        """
        super().__init__(scope, construct_id)
        props = props or VersionedStoreProps()
        self.access_logs_bucket: s3.IBucket = (
            props.server_access_logs_bucket or self._create_access_logs_bucket(props.removal_policy)
        )
        key = props.encryption_key
        self.bucket = s3.Bucket(
            self,
            "Resource",
            **_SECURE_BUCKET,
            encryption=s3.BucketEncryption.KMS if key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=key,
            bucket_key_enabled=True if key else None,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireNoncurrentVersions",
                    noncurrent_version_expiration=Duration.days(
                        props.noncurrent_version_expiration_days
                    ),
                    # A delete marker left alone once its key's versions have expired.
                    expired_object_delete_marker=True,
                    abort_incomplete_multipart_upload_after=Duration.days(
                        defaults.ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS
                    ),
                )
            ],
            removal_policy=props.removal_policy,
        )
        self._log_to(self.access_logs_bucket, defaults.ACCESS_LOGS_PREFIX)

    def _log_to(self, destination: s3.IBucket, prefix: str) -> None:
        """Send the bucket's server access logs to ``destination`` under ``prefix``.

        With ACLs disabled, S3's log delivery writes under a bucket policy that names this
        bucket and account (aws-cdk-lib writes one only behind a feature flag of the app).
        """
        cfn_bucket = cast(s3.CfnBucket, self.bucket.node.default_child)
        cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=destination.bucket_name,
            log_file_prefix=prefix,
            target_object_key_format=s3.CfnBucket.TargetObjectKeyFormatProperty(
                partitioned_prefix=s3.CfnBucket.PartitionedPrefixProperty(
                    partition_date_source="EventTime"
                )
            ),
        )
        delivery = iam.PolicyStatement(
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[destination.arn_for_objects(f"{prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": self.bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
            },
        )
        if not destination.add_to_resource_policy(delivery).statement_added:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-crud:access-logs-bucket-policy",
                "The server access logs bucket is not defined in this app, so its policy "
                "cannot be changed here. It must allow logging.s3.amazonaws.com to "
                f"s3:PutObject under {prefix}, or S3 delivers no access logs.",
            )

    def _create_access_logs_bucket(self, removal_policy: RemovalPolicy) -> s3.Bucket:
        """A bucket for the server access logs; SSE-S3 is the only encryption S3 logs accept."""
        return s3.Bucket(
            self,
            "AccessLogs",
            **_SECURE_BUCKET,
            encryption=s3.BucketEncryption.S3_MANAGED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=Duration.days(defaults.ACCESS_LOGS_EXPIRATION_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(
                        defaults.ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS
                    ),
                )
            ],
            removal_policy=removal_policy,
        )

    def grant_item_objects_read(
        self, grantee: iam.IGrantable, prefix: str = defaults.OBJECT_PREFIX
    ) -> iam.Grant:
        """Let ``grantee`` read any version of the objects under ``prefix``, and nothing
        more: ``s3:GetObject`` and ``s3:GetObjectVersion`` on ``<bucket arn>/<prefix>*``,
        and with a KMS key ``kms:Decrypt`` on that key (the index backfill reads the
        offloaded bodies of the items it gives keys).
        """
        return self._grant_objects(
            grantee, prefix, ["s3:GetObject", "s3:GetObjectVersion"], ["kms:Decrypt"]
        )

    def grant_item_objects_read_write(
        self, grantee: iam.IGrantable, prefix: str = defaults.OBJECT_PREFIX
    ) -> iam.Grant:
        """Let ``grantee`` write objects under ``prefix``, read any version of them, and
        delete the ones it wrote in vain.

        Grants ``s3:PutObject``, ``s3:GetObject``, ``s3:GetObjectVersion`` and
        ``s3:DeleteObject`` on ``<bucket arn>/<prefix>*``, and with a KMS key
        ``kms:GenerateDataKey`` and ``kms:Decrypt`` on that key. ``s3:DeleteObject``
        without ``s3:DeleteObjectVersion`` can only add a delete marker: the object's data
        stays readable by version until the lifecycle rule expires it. Nothing else: no
        listing and no version deletes. The wildcard
        under the prefix is acknowledged for cdk-nag (``AwsSolutions-IAM5``) on the
        grantee's policy.

        :param grantee: the principal, such as the item service's function.
        :param prefix: the key prefix, ending in ``/``. Default: ``items/``.
        """
        return self._grant_objects(
            grantee,
            prefix,
            ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"],
            ["kms:GenerateDataKey", "kms:Decrypt"],
        )

    def _grant_objects(
        self,
        grantee: iam.IGrantable,
        prefix: str,
        actions: list[str],
        key_actions: list[str],
    ) -> iam.Grant:
        """``actions`` on the objects under ``prefix``, and ``key_actions`` on the
        bucket's KMS key if it has one; the prefix's wildcard acknowledged for cdk-nag."""
        validation.check_object_prefix("prefix", prefix)
        objects = self.bucket.arn_for_objects(f"{prefix}*")
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=actions, resource_arns=[objects]
        )
        acknowledgments.acknowledge_on_grantee(
            grantee, [objects], acknowledgments.ITEM_OBJECTS_WILDCARD
        )
        key = self.bucket.encryption_key
        if key is None:
            return grant
        return grant.combine(key.grant(grantee, *key_actions))
