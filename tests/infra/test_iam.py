"""Least privilege: the function's role allows exactly what the runtime calls."""

import json
from typing import Any

from aws_cdk.assertions import Template

from .helpers import (
    as_list,
    get_att,
    join,
    logical_id,
    policy_statements,
    props,
    resources,
    store_bucket_id,
)


def _canonical(statements: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(statement, sort_keys=True) for statement in statements)


def test_function_role_has_exactly_the_design_statements(template: Template) -> None:
    table_id = logical_id(template, "AWS::DynamoDB::Table")
    bucket_id = store_bucket_id(template)
    role_id = props(template, "AWS::Lambda::Function")["Role"]["Fn::GetAtt"][0]
    log_group_id = props(template, "AWS::Lambda::Function")["LoggingConfig"]["LogGroup"]["Ref"]
    expected: list[dict[str, Any]] = [
        {
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            "Effect": "Allow",
            "Resource": get_att(table_id),
        },
        {
            "Action": "dynamodb:Query",
            "Effect": "Allow",
            "Resource": join(get_att(table_id), "/index/latest-items"),
        },
        {
            "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"],
            "Effect": "Allow",
            "Resource": join(get_att(bucket_id), "/items/*"),
        },
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": get_att(log_group_id),
        },
        {
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Effect": "Allow",
            "Resource": "*",
        },
    ]
    assert _canonical(policy_statements(template, role_id)) == _canonical(expected)


def test_function_role_has_no_inline_or_managed_policies(template: Template) -> None:
    role_id = props(template, "AWS::Lambda::Function")["Role"]["Fn::GetAtt"][0]
    role = resources(template, "AWS::IAM::Role")[role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    assert "Policies" not in role


def test_no_role_in_the_service_has_an_aws_managed_policy(template: Template) -> None:
    roles = resources(template, "AWS::IAM::Role").values()
    assert len(roles) == 2
    assert [role for role in roles if "ManagedPolicyArns" in role["Properties"]] == []


def test_no_statement_in_the_service_allows_a_wildcard_action(template: Template) -> None:
    documents = [
        policy["Properties"]["PolicyDocument"]
        for policy in resources(template, "AWS::IAM::Policy").values()
    ] + [
        inline["PolicyDocument"]
        for role in resources(template, "AWS::IAM::Role").values()
        for inline in role["Properties"].get("Policies", [])
    ]
    actions = [
        action
        for document in documents
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
    ]
    assert actions
    assert [action for action in actions if "*" in action] == []
