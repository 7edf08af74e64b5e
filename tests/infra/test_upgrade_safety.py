"""Upgrading the library never makes CloudFormation replace a resource that holds state.

CloudFormation replaces a resource when its logical id changes, or when a property it
cannot update in place changes. For a table or a bucket that means a new, empty one,
with the old one left behind (they are retained) and every item out of the API's reach;
for a log group, lost logs; for a user pool, every user gone; for the REST API, a new URL;
for an API key, a new key value. So the logical ids and the create-only properties of
those resources are pinned here, for each way of configuring the service.

If this fails, a refactor renamed or moved a construct (a construct id, or a construct's
scope), or changed a create-only property. Put it back. If the change is meant, it is a
breaking change: say how to migrate in README "Upgrading" and in the CHANGELOG, then
update the pins.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from cdk_serverless_crud import Authorization, Collection, Index, ServerlessCrudService

from .helpers import REQUIRED_TAGS

REPO = Path(__file__).resolve().parents[2]

# The resource types whose replacement a user would notice.
KEPT = (
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::Logs::LogGroup",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::ApiKey",
)
BUCKETS = {"AWS::S3::Bucket": ["ItemsStoreAccessLogs4FEE5DFE", "ItemsStoreCB68F1EB"]}
LOG_GROUPS = {
    "AWS::Logs::LogGroup": ["ItemsApiAccessLogs1EB559D8", "ItemsFunctionLogGroup24322F45"]
}
ITEMS = {
    "AWS::DynamoDB::Table": ["ItemsTable93F06C2A"],
    **BUCKETS,
    **LOG_GROUPS,
    "AWS::ApiGateway::RestApi": ["ItemsApi076CD2B2"],
}
PINNED: dict[str, dict[str, list[str]]] = {
    "Default": ITEMS,
    "Shop": {
        "AWS::DynamoDB::Table": ["ShopCustomersTable40FAD36E", "ShopOrdersTableBC913C9B"],
        "AWS::S3::Bucket": ["ShopStore52523087", "ShopStoreAccessLogsB9D35FB4"],
        "AWS::Logs::LogGroup": [
            "ShopApiAccessLogs27C2DAD5",
            "ShopCustomersFunctionLogGroup2624D974",
            # The index backfills' (new in issue 29: added, nothing replaced).
            "ShopCustomersIndexBackfillFunctionLogGroup3F128872",
            "ShopOrdersFunctionLogGroupA2FB8219",
            "ShopOrdersIndexBackfillFunctionLogGroup3EC952D7",
        ],
        "AWS::ApiGateway::RestApi": ["ShopApiD86F6552"],
    },
    "Cognito": {
        **ITEMS,
        "AWS::Cognito::UserPool": ["ItemsApiUserPool9DD2BB63"],
        "AWS::Cognito::UserPoolClient": ["ItemsApiUserPoolUserPoolClient906CEAFA"],
    },
    "ApiKeys": {**ITEMS, "AWS::ApiGateway::ApiKey": ["ItemsApiPartnerAD1CE751A"]},
}
# Properties CloudFormation can only set when it creates the resource, as the library
# sets them (absent: None). Changing one replaces the resource.
CREATE_ONLY: dict[str, dict[str, Any]] = {
    "AWS::DynamoDB::Table": {
        "KeySchema": [
            {"AttributeName": "id", "KeyType": "HASH"},
            {"AttributeName": "timestamp", "KeyType": "RANGE"},
        ],
        "LocalSecondaryIndexes": None,
        "TableName": None,
    },
    "AWS::S3::Bucket": {"BucketName": None, "ObjectLockEnabled": None},
    "AWS::Logs::LogGroup": {"LogGroupName": None, "LogGroupClass": None},
    "AWS::Cognito::UserPool": {
        "UsernameAttributes": ["email"],
        "AliasAttributes": None,
        "UsernameConfiguration": {"CaseSensitive": False},
    },
    "AWS::Cognito::UserPoolClient": {"GenerateSecret": False},
    "AWS::ApiGateway::RestApi": {},
    "AWS::ApiGateway::ApiKey": {"Name": None, "Value": None},
}


def _default(stack: Stack) -> None:
    ServerlessCrudService(stack, "Items", tags=REQUIRED_TAGS)


def _cognito(stack: Stack) -> None:
    ServerlessCrudService(stack, "Items", tags=REQUIRED_TAGS, authorization=Authorization.cognito())


def _shop(stack: Stack) -> None:
    sys.path.insert(0, str(REPO / "examples" / "shop"))
    try:
        from schemas import CUSTOMER_SCHEMA, ORDER_SCHEMA  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    ServerlessCrudService(
        stack,
        "Shop",
        tags=REQUIRED_TAGS,
        collections=[
            Collection(
                "orders", schema=ORDER_SCHEMA, indexes=[Index("status"), Index("customer_id")]
            ),
            Collection("customers", schema=CUSTOMER_SCHEMA, indexes=[Index("email")]),
        ],
    )


def _api_keys(stack: Stack) -> None:
    service = ServerlessCrudService(
        stack, "Items", tags=REQUIRED_TAGS, authorization=Authorization.api_keys()
    )
    service.api.add_api_key("PartnerA")


CONFIGURATIONS: dict[str, Callable[[Stack], None]] = {
    "Default": _default,
    "Shop": _shop,
    "Cognito": _cognito,
    "ApiKeys": _api_keys,
}


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    """Every configuration's resources, from one app synthesized once."""
    app = App()
    stacks = {}
    for name, build in CONFIGURATIONS.items():
        stacks[name] = Stack(app, name)
        build(stacks[name])
    return {
        name: Template.from_stack(stack).to_json()["Resources"] for name, stack in stacks.items()
    }


def kept(resources: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for logical_id, resource in sorted(resources.items()):
        if resource["Type"] in KEPT:
            found.setdefault(resource["Type"], []).append(logical_id)
    return found


@pytest.mark.parametrize("configuration", PINNED)
def test_stateful_resources_keep_their_logical_ids(
    templates: dict[str, dict[str, Any]], configuration: str
) -> None:
    found = kept(templates[configuration])
    assert found == PINNED[configuration], (
        f"{configuration}: the logical ids of stateful resources changed, so an upgrade would "
        "make CloudFormation replace them (a new, empty table or bucket; lost logs, users or "
        "API keys; a new API URL). See this module's docstring."
    )


@pytest.mark.parametrize("configuration", PINNED)
def test_stateful_resources_keep_their_create_only_properties(
    templates: dict[str, dict[str, Any]], configuration: str
) -> None:
    for resource_type, logical_ids in PINNED[configuration].items():
        for logical_id in logical_ids:
            properties = templates[configuration][logical_id]["Properties"]
            actual = {name: properties.get(name) for name in CREATE_ONLY[resource_type]}
            assert actual == CREATE_ONLY[resource_type], (
                f"{configuration}/{logical_id}: a create-only property changed, so an upgrade "
                "would make CloudFormation replace it. See this module's docstring."
            )


def test_the_pins_cover_every_type_the_configurations_hold(
    templates: dict[str, dict[str, Any]],
) -> None:
    held = {t for resources in templates.values() for t in kept(resources)}
    assert held == set(KEPT)


def test_a_renamed_construct_fails_the_pin() -> None:
    """The pin is on the construct paths: the same service under another id differs."""
    stack = Stack(App(), "Renamed")
    ServerlessCrudService(stack, "Things", tags=REQUIRED_TAGS)
    assert kept(Template.from_stack(stack).to_json()["Resources"]) != ITEMS
