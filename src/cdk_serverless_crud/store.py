"""VersionedStore: the versioned S3 bucket that holds item bodies too large for DynamoDB."""

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_serverless_crud import defaults, validation


@dataclass(frozen=True, kw_only=True)
class VersionedStoreProps:
    """Overrides for :class:`VersionedStore`.

    Versioning, the public access block, SSL enforcement and the abort of incomplete
    multipart uploads are not optional.
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

    def __post_init__(self) -> None:
        validation.check_range(
            "VersionedStoreProps.noncurrent_version_expiration_days",
            self.noncurrent_version_expiration_days,
            1,
            unit="days",
        )


class VersionedStore(Construct):
    """An S3 bucket with versioning always on, private, encrypted and SSL-only.

    Replaced object versions expire after ``noncurrent_version_expiration_days`` and
    incomplete multipart uploads are aborted after 7 days. The bucket is ``.bucket``.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: VersionedStoreProps | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        props = props or VersionedStoreProps()
        key = props.encryption_key
        self.bucket = s3.Bucket(
            self,
            "Resource",
            versioned=True,
            encryption=s3.BucketEncryption.KMS if key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=key,
            bucket_key_enabled=True if key else None,
            block_public_access=defaults.BLOCK_PUBLIC_ACCESS,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=defaults.ENFORCE_SSL,
            minimum_tls_version=defaults.MINIMUM_TLS_VERSION,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireNoncurrentVersions",
                    noncurrent_version_expiration=Duration.days(
                        props.noncurrent_version_expiration_days
                    ),
                    abort_incomplete_multipart_upload_after=Duration.days(
                        defaults.ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS
                    ),
                )
            ],
            removal_policy=props.removal_policy,
        )

    def grant_item_objects_read_write(
        self, grantee: iam.IGrantable, prefix: str = defaults.OBJECT_PREFIX
    ) -> iam.Grant:
        """Let ``grantee`` write objects under ``prefix`` and read any version of them.

        Grants ``s3:PutObject``, ``s3:GetObject`` and ``s3:GetObjectVersion`` on
        ``<bucket arn>/<prefix>*``, and with a KMS key ``kms:GenerateDataKey`` and
        ``kms:Decrypt`` on that key. Nothing else: no listing and no deletes.

        :param grantee: the principal, such as the item service's function.
        :param prefix: the key prefix, ending in ``/``. Default: ``items/``.
        """
        validation.check_object_prefix("prefix", prefix)
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
            resource_arns=[self.bucket.arn_for_objects(f"{prefix}*")],
        )
        key = self.bucket.encryption_key
        if key is None:
            return grant
        return grant.combine(key.grant(grantee, "kms:GenerateDataKey", "kms:Decrypt"))
