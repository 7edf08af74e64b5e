"""VersionedStore: the bucket's secure defaults, its access logs, its props and its grant."""

import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from cdk_serverless_crud import VersionedStore, VersionedStoreProps

from .helpers import (
    Resource,
    bucket_policy,
    get_att,
    join,
    logical_id,
    new_stack,
    policy_statements,
    resources,
    store_bucket,
    store_bucket_id,
)

BUCKET = "AWS::S3::Bucket"


def store(template: Template) -> Resource:
    """The properties of the store's bucket."""
    properties: Resource = store_bucket(template)["Properties"]
    return properties


def access_logs_bucket_id(template: Template) -> str:
    return str(store(template)["LoggingConfiguration"]["DestinationBucketName"]["Ref"])


def test_versioning_is_on(template: Template) -> None:
    assert store(template)["VersioningConfiguration"] == {"Status": "Enabled"}


def test_encryption_defaults_to_s3_managed_keys(template: Template) -> None:
    assert store(template)["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }


def test_all_public_access_is_blocked(template: Template) -> None:
    assert store(template)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert store(template)["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }


def test_bucket_policy_denies_requests_without_tls_1_2(template: Template) -> None:
    bucket_id = store_bucket_id(template)
    everything = [get_att(bucket_id), join(get_att(bucket_id), "/*")]
    assert bucket_policy(template, bucket_id) == [
        {
            "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": everything,
        },
        {
            "Action": "s3:*",
            "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": everything,
        },
    ]


def test_lifecycle_expires_noncurrent_versions_and_aborts_uploads(template: Template) -> None:
    # Only noncurrent versions and their leftover delete markers: the item service never
    # makes a body a version points at noncurrent (tests/runtime/test_runtime_offload.py),
    # so nothing here can expire a referenced body. A rule with "Expiration" would.
    assert store(template)["LifecycleConfiguration"] == {
        "Rules": [
            {
                "Id": "ExpireNoncurrentVersions",
                "Status": "Enabled",
                "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                "ExpiredObjectDeleteMarker": True,
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            }
        ]
    }


def test_bucket_is_retained(template: Template) -> None:
    bucket = store_bucket(template)
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"


def test_bucket_name_is_generated(template: Template) -> None:
    assert "BucketName" not in store(template)


def test_server_access_logs_go_to_a_bucket_of_their_own(template: Template) -> None:
    logging = store(template)["LoggingConfiguration"]
    assert logging == {
        "DestinationBucketName": {"Ref": access_logs_bucket_id(template)},
        "LogFilePrefix": "store/",
        "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}},
    }


def test_access_logs_bucket_is_private_ssl_only_and_expires_logs(template: Template) -> None:
    logs_id = access_logs_bucket_id(template)
    bucket = resources(template, BUCKET)[logs_id]
    properties = bucket["Properties"]
    # S3 delivers access logs only to buckets encrypted with S3-managed keys.
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }
    assert (
        properties["PublicAccessBlockConfiguration"]
        == store(template)["PublicAccessBlockConfiguration"]
    )
    assert properties["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["LifecycleConfiguration"]["Rules"] == [
        {
            "Id": "ExpireAccessLogs",
            "Status": "Enabled",
            "ExpirationInDays": 365,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ]
    assert "LoggingConfiguration" not in properties
    assert bucket["DeletionPolicy"] == "Retain"


def test_only_s3_log_delivery_for_this_bucket_may_write_access_logs(template: Template) -> None:
    logs_id = access_logs_bucket_id(template)
    statements = bucket_policy(template, logs_id)
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert [d["Condition"] for d in denies] == [
        {"Bool": {"aws:SecureTransport": "false"}},
        {"NumericLessThan": {"s3:TlsVersion": 1.2}},
    ]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow == {
        "Action": "s3:PutObject",
        "Condition": {
            "ArnLike": {"aws:SourceArn": get_att(store_bucket_id(template))},
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        },
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Resource": join(get_att(logs_id), "/store/*"),
    }


@pytest.fixture(scope="module")
def provided_log_bucket() -> Template:
    """A store whose access logs go to a bucket the app provides."""
    stack = new_stack()
    shared = s3.Bucket(
        stack,
        "SharedLogs",
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    )
    VersionedStore(stack, "Store", props=VersionedStoreProps(server_access_logs_bucket=shared))
    return Template.from_stack(stack)


def test_a_provided_log_bucket_receives_the_logs_and_no_other_is_created(
    provided_log_bucket: Template,
) -> None:
    (shared_id,) = [
        lid for lid in resources(provided_log_bucket, BUCKET) if lid.startswith("SharedLogs")
    ]
    assert set(resources(provided_log_bucket, BUCKET)) == {
        shared_id,
        store_bucket_id(provided_log_bucket),
    }
    assert store(provided_log_bucket)["LoggingConfiguration"]["DestinationBucketName"] == {
        "Ref": shared_id
    }
    principals = [s["Principal"] for s in bucket_policy(provided_log_bucket, shared_id)]
    assert {"Service": "logging.s3.amazonaws.com"} in principals


@pytest.fixture(scope="module")
def kms_store() -> Template:
    """A store on its own, with a KMS key, other props, and a role granted item access."""
    stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    store = VersionedStore(
        stack,
        "Store",
        props=VersionedStoreProps(
            encryption_key=key,
            noncurrent_version_expiration_days=30,
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    store.grant_item_objects_read_write(role, "bodies/")
    return Template.from_stack(stack)


def test_kms_key_encrypts_with_a_bucket_key(kms_store: Template) -> None:
    key_id = logical_id(kms_store, "AWS::KMS::Key")
    assert store(kms_store)["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {
                "BucketKeyEnabled": True,
                "ServerSideEncryptionByDefault": {
                    "KMSMasterKeyID": get_att(key_id),
                    "SSEAlgorithm": "aws:kms",
                },
            }
        ]
    }


def test_noncurrent_version_days_and_removal_policy_are_props(kms_store: Template) -> None:
    (rule,) = store(kms_store)["LifecycleConfiguration"]["Rules"]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert store_bucket(kms_store)["DeletionPolicy"] == "Delete"
    logs_bucket = resources(kms_store, BUCKET)[access_logs_bucket_id(kms_store)]
    assert logs_bucket["DeletionPolicy"] == "Delete"


def test_grant_covers_the_prefix_and_exactly_the_key_actions_needed(kms_store: Template) -> None:
    bucket_id = store_bucket_id(kms_store)
    key_id = logical_id(kms_store, "AWS::KMS::Key")
    assert policy_statements(kms_store, logical_id(kms_store, "AWS::IAM::Role")) == [
        {
            "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"],
            "Effect": "Allow",
            "Resource": join(get_att(bucket_id), "/bodies/*"),
        },
        {
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Effect": "Allow",
            "Resource": get_att(key_id),
        },
    ]


@pytest.mark.parametrize("prefix", ["", "/", "items", "items/*/", "it?ms/"])
def test_grant_refuses_prefixes_that_widen_access(prefix: str) -> None:
    stack = new_stack()
    store = VersionedStore(stack, "Store")
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    with pytest.raises(ValueError, match="prefix must be a key prefix ending in '/'"):
        store.grant_item_objects_read_write(role, prefix)


def test_an_imported_log_bucket_gets_a_warning_about_its_policy() -> None:
    stack = new_stack()
    imported = s3.Bucket.from_bucket_name(stack, "Shared", "shared-access-logs")
    VersionedStore(stack, "Store", props=VersionedStoreProps(server_access_logs_bucket=imported))
    warnings = Annotations.from_stack(stack).find_warning(
        "/Test/Store", Match.string_like_regexp("must allow logging.s3.amazonaws.com")
    )
    assert len(warnings) == 1
    assert store(Template.from_stack(stack))["LoggingConfiguration"]["DestinationBucketName"] == (
        "shared-access-logs"
    )
