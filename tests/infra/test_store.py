"""VersionedStore: the bucket's secure defaults, its props and its grant."""

import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from cdk_serverless_crud import VersionedStore, VersionedStoreProps

from .helpers import get_att, join, logical_id, new_stack, only, policy_statements, props

BUCKET = "AWS::S3::Bucket"


def test_versioning_is_on(template: Template) -> None:
    assert props(template, BUCKET)["VersioningConfiguration"] == {"Status": "Enabled"}


def test_encryption_defaults_to_s3_managed_keys(template: Template) -> None:
    assert props(template, BUCKET)["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }


def test_all_public_access_is_blocked(template: Template) -> None:
    assert props(template, BUCKET)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props(template, BUCKET)["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }


def test_bucket_policy_denies_requests_without_tls_1_2(template: Template) -> None:
    bucket_id = logical_id(template, BUCKET)
    everything = [get_att(bucket_id), join(get_att(bucket_id), "/*")]
    statements = props(template, "AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    assert statements == [
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
    assert props(template, BUCKET)["LifecycleConfiguration"] == {
        "Rules": [
            {
                "Id": "ExpireNoncurrentVersions",
                "Status": "Enabled",
                "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            }
        ]
    }


def test_bucket_is_retained(template: Template) -> None:
    bucket = only(template, BUCKET)
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"


def test_bucket_name_is_generated(template: Template) -> None:
    assert "BucketName" not in props(template, BUCKET)


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
    assert props(kms_store, BUCKET)["BucketEncryption"] == {
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
    (rule,) = props(kms_store, BUCKET)["LifecycleConfiguration"]["Rules"]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert only(kms_store, BUCKET)["DeletionPolicy"] == "Delete"


def test_grant_covers_the_prefix_and_exactly_the_key_actions_needed(kms_store: Template) -> None:
    bucket_id = logical_id(kms_store, BUCKET)
    key_id = logical_id(kms_store, "AWS::KMS::Key")
    assert policy_statements(kms_store, logical_id(kms_store, "AWS::IAM::Role")) == [
        {
            "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
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
