"""Helpers for reading synthesized templates."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from cdk_serverless_crud import ServerlessCrudService
from cdk_serverless_crud.local.intrinsics import Resources
from cdk_serverless_crud.local.storage import read_table, staged_indexes

from ..design import design_variables as design_variables

REQUIRED_TAGS = {"Environment": "test", "Project": "crud", "Owner": "platform"}

Resource = dict[str, Any]


@dataclass(frozen=True)
class Synthesized:
    """A stack holding one ServerlessCrudService, and its template."""

    stack: Stack
    service: ServerlessCrudService
    template: Template


def new_stack(stack_id: str = "Test") -> Stack:
    """A fresh, environment-agnostic stack in its own app."""
    return Stack(App(), stack_id)


def resources(template: Template, resource_type: str) -> dict[str, Resource]:
    """The resources of one type, by logical id."""
    return {
        logical_id: dict(resource)
        for logical_id, resource in template.find_resources(resource_type).items()
    }


def only(template: Template, resource_type: str) -> Resource:
    """The single resource of a type; fails if there is not exactly one."""
    (resource,) = resources(template, resource_type).values()
    return resource


def props(template: Template, resource_type: str) -> Resource:
    """The properties of the single resource of a type."""
    properties: Resource = only(template, resource_type)["Properties"]
    return properties


def tables_as_built(template: Template) -> dict[str, Resource]:
    """Each table's properties as its indexes end up once the deploy's index job has run:
    the template's, and the staged ones its ``IndexBackfill`` creates (with their keys'
    attribute definitions), as local mode reads them too."""
    stack = template.to_json()
    staged = staged_indexes(Resources(stack))
    built = {}
    for table_id, resource in resources(template, "AWS::DynamoDB::Table").items():
        spec = read_table("Test", table_id, resource, staged.get(table_id, ()))
        built[table_id] = {
            **resource["Properties"],
            "GlobalSecondaryIndexes": spec.create_args["GlobalSecondaryIndexes"],
            "AttributeDefinitions": spec.create_args["AttributeDefinitions"],
        }
    return built


def logical_id(template: Template, resource_type: str) -> str:
    """The logical id of the single resource of a type."""
    (found,) = resources(template, resource_type)
    return found


def store_bucket_id(template: Template) -> str:
    """The logical id of the store's bucket: the versioned bucket that sends access logs."""
    (found,) = [
        logical_id
        for logical_id, bucket in resources(template, "AWS::S3::Bucket").items()
        if "LoggingConfiguration" in bucket["Properties"]
    ]
    return found


def store_bucket(template: Template) -> Resource:
    """The store's bucket resource."""
    return resources(template, "AWS::S3::Bucket")[store_bucket_id(template)]


def bucket_policy(template: Template, bucket_id: str) -> list[Resource]:
    """The statements of the bucket policy of ``bucket_id``."""
    (policy,) = [
        policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in resources(template, "AWS::S3::BucketPolicy").values()
        if policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    return list(policy)


def policy_statements(template: Template, role_id: str) -> list[Resource]:
    """Every statement of every AWS::IAM::Policy attached to the role ``role_id``."""
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def as_list(value: Any) -> list[Any]:
    """IAM allows a single action or resource instead of a list."""
    return value if isinstance(value, list) else [value]


def get_att(resource_id: str, attribute: str = "Arn") -> Resource:
    return {"Fn::GetAtt": [resource_id, attribute]}


def join(*parts: Any) -> Resource:
    return {"Fn::Join": ["", list(parts)]}


def methods_by_route(template: Template) -> dict[str, Resource]:
    """Every AWS::ApiGateway::Method, by "VERB /path" built from the resource tree."""
    api_resources = resources(template, "AWS::ApiGateway::Resource")

    def path_of(ref: Any) -> str:
        if "Fn::GetAtt" in ref:
            return ""
        parent = api_resources[ref["Ref"]]["Properties"]
        return f"{path_of(parent['ParentId'])}/{parent['PathPart']}"

    return {
        f"{method['Properties']['HttpMethod']} {path_of(method['Properties']['ResourceId'])}": (
            method["Properties"]
        )
        for method in resources(template, "AWS::ApiGateway::Method").values()
    }


def assert_value_error(build: Callable[[], object], message_parts: list[str]) -> None:
    """``build()`` raises a ValueError whose message contains every one of the parts."""
    with pytest.raises(ValueError) as error:
        build()
    for part in message_parts:
        assert part in str(error.value)
