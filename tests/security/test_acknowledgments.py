"""Every acknowledgment the library makes, listed: a new one is a visible change.

Each names one exact finding, sits on the resource that has it, gives a reason, and
covers a finding that really occurs without it.
"""

import re
from collections import Counter
from pathlib import Path

import pytest
from aws_cdk import App, CfnResource

from .conftest import (
    Synthesized,
    acknowledgments,
    build_configurations,
    violations,
)

METHODS = (
    "items/GET",
    "items/POST",
    "items/{id}/GET",
    "items/{id}/PUT",
    "items/{id}/PATCH",
    "items/{id}/DELETE",
    "items/{id}/versions/GET",
    "items/{id}/versions/{timestamp}/GET",
    "items/{id}/restore/POST",
    # The 405 answers (not_allowed.py): MOCK methods with the API's authorization.
    "items/ANY",
    "items/{id}/ANY",
    "items/{id}/versions/ANY",
    "items/{id}/versions/{timestamp}/ANY",
    "items/{id}/restore/ANY",
)
ITEMS_PUT_DELETE = ("items/{id}/PUT", "items/{id}/DELETE")
LOG_GROUPS = "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*"
EXECUTE_API = "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<ItemsApi>"
# Logical ids end in a hash of the construct path; the listing leaves it out.
_HASH = re.compile(r"<([A-Za-z0-9]+?)[0-9A-F]{8}((?:\.[A-Za-z]+)?)>")


def _service(prefix: str, *, cloud_watch_role: bool = True, iam: bool = True) -> set[str]:
    """What every service acknowledges, as "construct path: rule id"."""
    acknowledged = {
        f"{prefix}/Function/ServiceRole/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::*]",
        f"{prefix}/Function/ServiceRole/DefaultPolicy/Resource: "
        f"AwsSolutions-IAM5[Resource::<{prefix.split('/')[-1]}Store.Arn>/items/*]",
        f"{prefix}/Function/Resource/Resource: Serverless-LambdaDLQ",
    }
    if cloud_watch_role:
        acknowledged |= {
            f"{prefix}/Api/CloudWatchRole/Resource: AwsSolutions-IAM5[Resource::{LOG_GROUPS}]",
            f"{prefix}/Api/CloudWatchRole/Resource: "
            f"AwsSolutions-IAM5[Resource::{LOG_GROUPS}:log-stream:*]",
        }
    if iam:
        acknowledged |= _methods(prefix, "AwsSolutions-COG4")
    return acknowledged


def _collections(prefix: str, *collections: str, indexed: tuple[str, ...] = ()) -> set[str]:
    """What a service of typed collections acknowledges: per function, its own prefix;
    the ``indexed`` ones' index backfill functions the same."""
    acknowledged = {
        _stage(prefix),
        f"{prefix}/Api/CloudWatchRole/Resource: AwsSolutions-IAM5[Resource::{LOG_GROUPS}]",
        f"{prefix}/Api/CloudWatchRole/Resource: "
        f"AwsSolutions-IAM5[Resource::{LOG_GROUPS}:log-stream:*]",
    }
    store = prefix.split("/")[-1]
    for name in collections:
        policy = f"{prefix}/{name}Function/ServiceRole/DefaultPolicy/Resource"
        acknowledged |= {
            f"{policy}: AwsSolutions-IAM5[Resource::*]",
            f"{policy}: AwsSolutions-IAM5[Resource::<{store}Store.Arn>/{name.lower()}/*]",
            f"{prefix}/{name}Function/Resource/Resource: Serverless-LambdaDLQ",
        }
        acknowledged |= {
            f"{prefix}/Api/Resource/Default/{method.replace('items', name.lower())}/Resource: "
            "AwsSolutions-COG4"
            for method in METHODS
        }
        if name in indexed:
            backfill = f"{prefix}/{name}IndexBackfill/Function"
            acknowledged |= {
                f"{backfill}/ServiceRole/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::*]",
                f"{backfill}/ServiceRole/DefaultPolicy/Resource: "
                f"AwsSolutions-IAM5[Resource::<{store}Store.Arn>/{name.lower()}/*]",
                f"{backfill}/Resource/Resource: Serverless-LambdaDLQ",
            }
    return acknowledged


def _events(prefix: str, *collections: str) -> set[str]:
    """What change events acknowledge: the dead-letter queue, and each enrichment."""
    acknowledged = {
        f"{prefix}/Events/DeadLetterQueue/Resource: AwsSolutions-SQS3",
        f"{prefix}/Events/DeadLetterQueue/Resource: Serverless-SQSRedrivePolicy",
    }
    for name in collections:
        enrichment = f"{prefix}/Events/{name}Enrichment"
        acknowledged |= {
            f"{enrichment}/ServiceRole/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::*]",
            f"{enrichment}/Resource/Resource: Serverless-LambdaDLQ",
        }
    return acknowledged


def _methods(prefix: str, *rules: str) -> set[str]:
    return {
        f"{prefix}/Api/Resource/Default/{method}/Resource: {rule}"
        for method in METHODS
        for rule in rules
    }


def _stage(prefix: str) -> str:
    return f"{prefix}/Api/Resource/DeploymentStage.prod/Resource: AwsSolutions-APIG3"


EXAMPLE = (
    _service("ServerlessCrudExample/Items")
    | {_stage("ServerlessCrudExample/Items")}
    | _events("ServerlessCrudExample/Items", "")
)

CONFIGURATIONS = {
    "Default": _service("Default/Items") | {_stage("Default/Items")},
    "Cognito": (
        _service("Cognito/Created", iam=False)
        | {_stage("Cognito/Created")}
        | _service("Cognito/Relaxed", iam=False, cloud_watch_role=False)
        | {
            _stage("Cognito/Relaxed"),
            "Cognito/Relaxed/Api/UserPool/Resource: AwsSolutions-COG2",
            "Cognito/Relaxed/Api/UserPool/Resource: AwsSolutions-COG8",
        }
        | _service("Cognito/Existing", iam=False, cloud_watch_role=False)
        | {_stage("Cognito/Existing")}
    ),
    "ApiKeys": (
        _service("ApiKeys/Items", iam=False)
        | {_stage("ApiKeys/Items")}
        | _methods("ApiKeys/Items", "AwsSolutions-APIG4", "AwsSolutions-COG4")
    ),
    "Public": (
        _service("Public/Items", iam=False)
        | {_stage("Public/Items")}
        | _methods("Public/Items", "AwsSolutions-APIG4", "AwsSolutions-COG4")
    ),
    "Hardened": _service("Hardened/Items")
    | {
        f"Hardened/{role}/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::{EXECUTE_API}{path}]"
        for role, path in [
            ("Reader", "/prod/GET/items/*"),
            ("Reader", "/prod/GET/items/*/versions"),
            ("Reader", "/prod/GET/items/*/versions/*"),
            ("Writer", "/prod/GET/items/*"),
            ("Writer", "/prod/GET/items/*/versions"),
            ("Writer", "/prod/GET/items/*/versions/*"),
            ("Writer", "/prod/PUT/items/*"),
            ("Writer", "/prod/PATCH/items/*"),
            ("Writer", "/prod/DELETE/items/*"),
            ("Writer", "/prod/POST/items/*/restore"),
        ]
    },
    "Disposable": _service("Disposable/Items")
    | {_stage("Disposable/Items"), "Disposable/Items/Table/Resource/Resource: AwsSolutions-DDB3"},
    "Uncached": _service("Uncached/Items") | {_stage("Uncached/Items")},
    "Typed": _collections("Typed/Shop", "Orders", "Customers", indexed=("Orders",)),
    "Events": _service("Events/Items")
    | {_stage("Events/Items")}
    | _events("Events/Items", "")
    | {
        "Events/Items/Events/CacheRefresher/Resource/Resource: Serverless-LambdaDLQ",
        "Events/Items/Events/CacheRefresher/ServiceRole/DefaultPolicy/Resource: "
        "AwsSolutions-IAM5[Resource::*]",
    }
    | {
        "Events/Items/Events/CacheRefresher/ServiceRole/DefaultPolicy/Resource: "
        f"AwsSolutions-IAM5[Resource::{EXECUTE_API}{path}]"
        for path in ("/prod/GET/items/*", "/prod/GET/items/*/versions")
    }
    | _collections("Events/Shop", "Orders", "Customers")
    | _events("Events/Shop", "Orders", "Customers"),
}


def _listed(scope: object) -> list[str]:
    unhashed = r"<\1\2>"
    return sorted(f"{a.path}: {_HASH.sub(unhashed, a.rule)}" for a in acknowledgments(scope))


def test_the_example_app_acknowledges_exactly_these(example: Synthesized) -> None:
    assert _listed(example.app) == sorted(EXAMPLE)


@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_each_configuration_acknowledges_exactly_these(
    configurations: Synthesized, configuration: str
) -> None:
    assert _listed(configurations.stack(configuration)) == sorted(CONFIGURATIONS[configuration])


def test_each_acknowledgment_is_made_once_on_a_resource_with_a_reason(
    configurations: Synthesized,
) -> None:
    found = list(acknowledgments(configurations.app))
    assert [key for key, n in Counter((a.path, a.rule) for a in found).items() if n > 1] == []
    for acknowledged in found:
        construct = configurations.app.node.find_child(acknowledged.path.split("/")[0])
        for part in acknowledged.path.split("/")[1:]:
            construct = construct.node.find_child(part)
        assert isinstance(construct, CfnResource), acknowledged
        assert re.fullmatch(r"(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?", acknowledged.rule)
        assert len(acknowledged.reason) > 80, acknowledged


@pytest.fixture(scope="module")
def unacknowledged(tmp_path_factory: pytest.TempPathFactory) -> App:
    """The same configurations, built as if the library acknowledged nothing."""
    return build_configurations(tmp_path_factory.mktemp("unacknowledged"), acknowledge=False)


def test_each_acknowledgment_covers_a_finding_that_occurs_without_it(
    configurations: Synthesized, unacknowledged: App
) -> None:
    findings = {line for line in violations(unacknowledged)}
    acknowledged = {f"{a.rule} at {a.path}" for a in acknowledgments(configurations.app)}
    assert acknowledged == findings


def test_the_reasons_are_the_ones_documented(configurations: Synthesized) -> None:
    security = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    flattened = " ".join(security.split())
    for reason in {a.reason for a in acknowledgments(configurations.app)}:
        assert reason in flattened, reason
