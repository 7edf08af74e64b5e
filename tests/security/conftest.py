"""The apps the security gates check, each synthesized once for the whole suite.

- the example app, as ``cdk synth`` runs it (with its cdk.json context and its cdk-nag
  plugins, which fail the synthesis on any unacknowledged finding);
- one app with a stack per non-default configuration of the service.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk
import pytest
from aws_cdk import App, Duration, Stack, Validations
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cdk_serverless_crud import (
    Authorization,
    CachedRestApiProps,
    ChangeEvents,
    Collection,
    CorsProps,
    Index,
    ServerlessCrudService,
    ServiceMonitoringProps,
    TaggedFunctionProps,
    TimeSeriesTableProps,
    VersionedStoreProps,
)
from cdk_serverless_crud import acknowledgments as library_acknowledgments

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_APP = REPO / "example_app"
EXAMPLE_STACK = "ServerlessCrudExample"
TAGS = {"Environment": "test", "Project": "security", "Owner": "platform"}
WEB_ACL = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/items/0123-abcd"


@dataclass(frozen=True)
class Synthesized:
    """An app after synthesis, and where its cloud assembly is."""

    app: App
    outdir: Path

    def template_path(self, stack: str) -> Path:
        return self.outdir / f"{stack}.template.json"

    def stack(self, name: str) -> Stack:
        found = self.app.node.find_child(name)
        assert isinstance(found, Stack)
        return found


def synthesize_example(outdir: Path, *, acknowledge: bool = True) -> App:
    """Run the example app in this process the way `cdk synth` runs it.

    With ``acknowledge=False`` the library acknowledges nothing, as if it had no
    acknowledgments: the app's cdk-nag plugins then fail the synthesis.
    """
    context = json.loads((EXAMPLE_APP / "cdk.json").read_text())["context"]
    apps: list[App] = []
    real_app = aws_cdk.App

    # jsii's Node process reads CDK_OUTDIR and the context only when it starts, so they
    # are given to the App instead.
    def app(*_: Any, **__: Any) -> App:
        apps.append(real_app(outdir=str(outdir), context=context))
        return apps[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aws_cdk, "App", app)
        if not acknowledge:
            patch.setattr(library_acknowledgments, "acknowledge", lambda *_: None)
        patch.chdir(EXAMPLE_APP)
        runpy.run_path(str(EXAMPLE_APP / "app.py"), run_name="__main__")
    (the_app,) = apps
    return the_app


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The example app, synthesized with its cdk-nag plugins."""
    outdir = tmp_path_factory.mktemp("example.out")
    return Synthesized(synthesize_example(outdir), outdir)


def _default(stack: Stack) -> None:
    ServerlessCrudService(stack, "Items", tags=TAGS)


def _cognito(stack: Stack) -> None:
    ServerlessCrudService(stack, "Created", tags=TAGS, authorization=Authorization.cognito())
    ServerlessCrudService(
        stack,
        "Relaxed",
        tags=TAGS,
        authorization=Authorization.cognito(mfa=cognito.Mfa.OPTIONAL, threat_protection=False),
        api_props=CachedRestApiProps(cloud_watch_role=False),
    )
    pool = cognito.UserPool.from_user_pool_id(stack, "Pool", "eu-west-1_abcdefghi")
    ServerlessCrudService(
        stack,
        "Existing",
        tags=TAGS,
        authorization=Authorization.cognito(pool, scopes=["items/read"]),
        api_props=CachedRestApiProps(cloud_watch_role=False),
    )


def _api_keys(stack: Stack) -> None:
    service = ServerlessCrudService(
        stack,
        "Items",
        tags=TAGS,
        authorization=Authorization.api_keys(quota_limit=1000, quota_period=apigateway.Period.DAY),
    )
    service.api.add_api_key("PartnerA")


def _public(stack: Stack) -> None:
    ServerlessCrudService(
        stack,
        "Items",
        tags=TAGS,
        authorization=Authorization.none(),
        api_props=CachedRestApiProps(cors=CorsProps(allow_origins=["*"])),
    )


def _hardened(stack: Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    logs = s3.Bucket(
        stack,
        "AccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    )
    service = ServerlessCrudService(
        stack,
        "Items",
        tags=TAGS,
        encryption_key=key,
        store_props=VersionedStoreProps(server_access_logs_bucket=logs),
        function_props=TaggedFunctionProps(reserved_concurrent_executions=50),
        monitoring_props=ServiceMonitoringProps(
            alarm_topic=sns.Topic(stack, "Alarms", enforce_ssl=True),
            dashboard=True,
        ),
        api_props=CachedRestApiProps(
            web_acl_arn=WEB_ACL,
            cors=CorsProps(
                allow_origins=["https://app.example.com", "https://admin.example.com"],
                allow_credentials=True,
            ),
        ),
    )
    service.grant_invoke_read(iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal()))
    service.grant_invoke_read_write(
        iam.Role(stack, "Writer", assumed_by=iam.AccountRootPrincipal())
    )


def _disposable(stack: Stack) -> None:
    ServerlessCrudService(
        stack,
        "Items",
        tags=TAGS,
        table_props=TimeSeriesTableProps(point_in_time_recovery=False, deletion_protection=False),
    )


def _uncached(stack: Stack) -> None:
    ServerlessCrudService(stack, "Items", tags=TAGS, cache_ttl=Duration.seconds(0))


def _typed(stack: Stack) -> None:
    # The shop example's two typed collections, with schemas and indexes.
    shop = runpy.run_path(str(REPO / "examples" / "shop" / "schemas.py"))
    ServerlessCrudService(
        stack,
        "Shop",
        tags=TAGS,
        collections=[
            Collection("orders", schema=shop["ORDER_SCHEMA"], indexes=[Index("status")]),
            Collection("customers", schema=shop["CUSTOMER_SCHEMA"]),
        ],
    )


def _events(stack: Stack) -> None:
    # Change events on a bus of the service's own, refreshing the cache; and on the
    # default bus, with a customer-managed key and two collections.
    ServerlessCrudService(stack, "Items", tags=TAGS, events=ChangeEvents(invalidate_cache=True))
    ServerlessCrudService(
        stack,
        "Shop",
        tags=TAGS,
        collections=[Collection("orders"), Collection("customers")],
        encryption_key=kms.Key(stack, "Key", enable_key_rotation=True),
        events=ChangeEvents(
            bus=events.EventBus.from_event_bus_name(stack, "Default", "default"), detail=False
        ),
    )


CONFIGURATIONS: dict[str, Callable[[Stack], None]] = {
    "Default": _default,
    "Cognito": _cognito,
    "ApiKeys": _api_keys,
    "Public": _public,
    "Hardened": _hardened,
    "Disposable": _disposable,
    "Uncached": _uncached,
    "Typed": _typed,
    "Events": _events,
}
"""Each non-default configuration the gates cover, by stack name."""


def build_configurations(outdir: Path, *, acknowledge: bool = True) -> App:
    """An app with one stack per configuration, synthesized into ``outdir``."""
    with pytest.MonkeyPatch.context() as patch:
        if not acknowledge:
            patch.setattr(library_acknowledgments, "acknowledge", lambda *_: None)
        app = App(outdir=str(outdir))
        for name, build in CONFIGURATIONS.items():
            build(Stack(app, name))
        app.synth()
    return app


@pytest.fixture(scope="session")
def configurations(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("configurations.out")
    return Synthesized(build_configurations(outdir), outdir)


def violations(scope: Any) -> list[str]:
    """Every unacknowledged finding of both packs under ``scope``: "rule at path"."""
    return [
        f"{violation.rule_name} at {resource.construct_path}"
        for pack in (AwsSolutionsChecks(), ServerlessChecks())
        for violation in pack.validate_scope(scope).violations
        for resource in violation.violating_resources
    ]


@dataclass(frozen=True)
class Acknowledged:
    """One acknowledgment: the construct it is on, the rule id and the reason."""

    path: str
    rule: str
    reason: str


def acknowledgments(scope: Any) -> Iterator[Acknowledged]:
    """Every acknowledgment recorded under ``scope``, as cdk-nag reads them."""
    for construct in scope.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                continue
            for rule, reason in entry.data.items():
                name = rule.split("::", 1)[1] if rule.lower().startswith("annotation::") else rule
                yield Acknowledged(construct.node.path, name, reason)
