"""Access rules in the template (issue 28): the owners' indexes, the rules the function
is told, a cache keyed on the caller, and the props no authorization can enforce."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from cdk_serverless_crud import (
    Allow,
    Authorization,
    Collection,
    Index,
    ServerlessCrudService,
    Tenancy,
)

from .helpers import (
    REQUIRED_TAGS,
    assert_value_error,
    methods_by_route,
    policy_statements,
    resources,
    tables_as_built,
)

NOTE = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "status": {"enum": ["open", "closed"], "type": "string"},
    },
    "required": ["title"],
}


def _synth(authorization: Authorization, access: list[Allow]) -> Template:
    stack = Stack(App(), "Notes")
    ServerlessCrudService(
        stack,
        "Notes",
        tags=REQUIRED_TAGS,
        authorization=authorization,
        collections=[Collection("notes", schema=NOTE, indexes=[Index("status")], access=access)],
    )
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def iam_notes() -> Template:
    return _synth(Authorization.iam(), [Allow.owner(), Allow.authenticated().to("read")])


def _served_by(template: Template) -> tuple[str, dict[str, Any]]:
    """The function serving the collection (not its index backfill's)."""
    ((logical_id, function),) = [
        (logical_id, resource["Properties"])
        for logical_id, resource in template.find_resources("AWS::Lambda::Function").items()
        if resource["Properties"]["Handler"] == "item_service.handler.handler"
    ]
    return logical_id, function


def _only(template: Template, kind: str) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = resources(template, kind).items()
    return logical_id, resource["Properties"]


def test_an_owner_rule_that_reads_adds_the_owners_indexes(iam_notes: Template) -> None:
    (table,) = tables_as_built(iam_notes).values()
    indexes = {gsi["IndexName"]: gsi["KeySchema"] for gsi in table["GlobalSecondaryIndexes"]}

    assert set(indexes) == {"latest-items", "by-status", "owned-items", "owned-by-status"}
    assert indexes["owned-items"][0] == {"AttributeName": "owned", "KeyType": "HASH"}
    assert indexes["owned-by-status"][0] == {"AttributeName": "ox_status", "KeyType": "HASH"}
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types["owned"] == types["ox_status"] == "S"


def test_the_function_is_told_the_rules_and_may_query_the_owners_indexes(
    iam_notes: Template,
) -> None:
    _, function = _served_by(iam_notes)
    variables = function["Environment"]["Variables"]

    assert json.loads(variables["ACCESS"]) == [
        {"kind": "owner", "group": None, "operations": ["read", "create", "update", "delete"]},
        {"kind": "authenticated", "group": None, "operations": ["read"]},
    ]
    assert variables["OWNED_LIST_INDEX"] == "owned-items"
    (entry,) = json.loads(variables["INDEXES"])
    assert (entry["owned_index"], entry["owned_key"]) == ("owned-by-status", "ox_status")
    role = function["Role"]["Fn::GetAtt"][0]
    queried = json.dumps(
        [s for s in policy_statements(iam_notes, role) if s["Action"] == "dynamodb:Query"]
    )
    assert "/index/owned-items" in queried and "/index/owned-by-status" in queried


def test_under_iam_the_collection_s_gets_key_the_cache_on_the_caller(iam_notes: Template) -> None:
    gets = {
        route: m for route, m in methods_by_route(iam_notes).items() if route.startswith("GET ")
    }

    assert gets
    for route, method in gets.items():
        keys = method["Integration"].get("CacheKeyParameters", [])
        assert "method.request.header.Authorization" in keys, route


def test_without_rules_nothing_changes() -> None:
    template = _synth(Authorization.iam(), None)  # type: ignore[arg-type]
    (table,) = tables_as_built(template).values()
    _, function = _served_by(template)

    assert {g["IndexName"] for g in table["GlobalSecondaryIndexes"]} == {
        "latest-items",
        "by-status",
    }
    assert "ACCESS" not in function["Environment"]["Variables"]


@pytest.mark.parametrize(
    ("authorization", "access", "parts"),
    [
        (
            Authorization.none(),
            [Allow.owner()],
            ["Collection('notes').access", "NONE", "no identity"],
        ),
        (
            Authorization.api_keys(),
            [Allow.authenticated()],
            ["Collection('notes').access", "API_KEY"],
        ),
        (
            Authorization.iam(),
            [Allow.group("support")],
            ["Allow.group('support')", "AWS_IAM", "groups"],
        ),
    ],
)
def test_rules_the_authorization_cannot_enforce_are_refused(
    authorization: Authorization, access: list[Allow], parts: list[str]
) -> None:
    assert_value_error(lambda: _synth(authorization, access), parts)


def test_tenancy_keys_every_index_by_string_and_tells_the_function_the_claim() -> None:
    schema = {"type": "object", "properties": {"priority": {"type": "number"}}}
    stack = Stack(App(), "Projects")
    ServerlessCrudService(
        stack,
        "Projects",
        tags=REQUIRED_TAGS,
        authorization=Authorization.cognito(),
        collections=[
            Collection(
                "projects",
                schema=schema,
                indexes=[Index("priority")],
                tenancy=Tenancy.claim("custom:org"),
            )
        ],
    )
    template = Template.from_stack(stack)
    (table,) = tables_as_built(template).values()
    _, function = _served_by(template)

    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types["ix_priority"] == "S"  # <tenant>/<number>
    assert function["Environment"]["Variables"]["TENANCY"] == "custom:org"


@pytest.mark.parametrize("authorization", [Authorization.iam(), Authorization.api_keys()])
def test_tenancy_needs_callers_with_claims(authorization: Authorization) -> None:
    def build() -> None:
        ServerlessCrudService(
            Stack(App(), "Projects"),
            "Projects",
            tags=REQUIRED_TAGS,
            authorization=authorization,
            collections=[Collection("projects", tenancy=Tenancy.claim("custom:org"))],
        )

    assert_value_error(build, ["Collection('projects').tenancy", "'custom:org'", "claims"])


def _tables(collection: Collection) -> dict[str, dict[str, Any]]:
    stack = Stack(App(), "Upgrade")
    ServerlessCrudService(
        stack,
        "Shop",
        tags=REQUIRED_TAGS,
        authorization=Authorization.cognito(),
        collections=[collection],
    )
    return tables_as_built(Template.from_stack(stack))


def test_adding_rules_or_tenancy_replaces_no_table() -> None:
    """The table keeps its logical id and key schema (what CloudFormation would replace
    it for): rules only add the owners' indexes, and tenancy turns a number index's key
    into a string, which the README says to do with a new collection."""
    schema = {"type": "object", "properties": {"total": {"type": "number"}}}
    plain = _tables(Collection("orders", schema=schema, indexes=[Index("total")]))
    ruled = _tables(
        Collection("orders", schema=schema, indexes=[Index("total")], access=[Allow.owner()])
    )
    tenanted = _tables(
        Collection(
            "orders", schema=schema, indexes=[Index("total")], tenancy=Tenancy.claim("custom:org")
        )
    )

    assert set(plain) == set(ruled) == set(tenanted)
    (table_id,) = plain
    for changed in (ruled, tenanted):
        assert changed[table_id]["KeySchema"] == plain[table_id]["KeySchema"]
    added = {g["IndexName"] for g in ruled[table_id]["GlobalSecondaryIndexes"]} - {
        g["IndexName"] for g in plain[table_id]["GlobalSecondaryIndexes"]
    }
    assert added == {"owned-items", "owned-by-total"}  # staged: one after the other

    def key_type(props: dict[str, Any]) -> str:
        (found,) = [a for a in props["AttributeDefinitions"] if a["AttributeName"] == "ix_total"]
        return str(found["AttributeType"])

    assert (key_type(plain[table_id]), key_type(tenanted[table_id])) == ("N", "S")
