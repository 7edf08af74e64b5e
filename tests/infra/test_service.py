"""ServerlessCrudService: outputs, attributes, generated names, and the parts on their own."""

from collections.abc import Callable

import pytest
from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from cdk_serverless_crud import (
    CachedRestApi,
    ServerlessCrudService,
    TaggedFunction,
    TimeSeriesTable,
    VersionedStore,
)

from .helpers import (
    REQUIRED_TAGS,
    Synthesized,
    logical_id,
    new_stack,
    resources,
    store_bucket_id,
)

PHYSICAL_NAMES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
}


def test_outputs_name_the_url_table_bucket_and_function(template: Template) -> None:
    outputs = {
        name.removeprefix("Items")[:-8]: output["Value"]
        for name, output in template.find_outputs("*").items()
    }
    assert set(outputs) == {"ApiUrl", "TableName", "BucketName", "FunctionName"}
    assert outputs["TableName"] == {"Ref": logical_id(template, "AWS::DynamoDB::Table")}
    assert outputs["BucketName"] == {"Ref": store_bucket_id(template)}
    assert outputs["FunctionName"] == {"Ref": logical_id(template, "AWS::Lambda::Function")}
    url = outputs["ApiUrl"]["Fn::Join"][1]
    assert url[0] == "https://"
    assert {"Ref": logical_id(template, "AWS::ApiGateway::RestApi")} in url
    assert {"Ref": logical_id(template, "AWS::ApiGateway::Stage")} in url


def test_public_attributes_are_the_four_parts(default_service: Synthesized) -> None:
    service = default_service.service
    assert isinstance(service.store, VersionedStore)
    assert isinstance(service.table, TimeSeriesTable)
    assert isinstance(service.function, TaggedFunction)
    assert isinstance(service.api, CachedRestApi)
    assert service.function.function.runtime.name == "python3.14"


@pytest.fixture(scope="module")
def two_services() -> Template:
    stack = new_stack()
    ServerlessCrudService(stack, "Orders", tags=REQUIRED_TAGS)
    ServerlessCrudService(stack, "Invoices", tags=REQUIRED_TAGS)
    return Template.from_stack(stack)


@pytest.mark.parametrize("resource_type", sorted(PHYSICAL_NAMES))
def test_two_services_in_one_stack_get_their_own_generated_names(
    two_services: Template, resource_type: str
) -> None:
    found = resources(two_services, resource_type)
    assert len(found) >= 2
    assert [r for r in found.values() if PHYSICAL_NAMES[resource_type] in r["Properties"]] == []


def test_two_services_have_distinct_api_names_and_outputs(two_services: Template) -> None:
    names = [
        api["Properties"]["Name"]
        for api in resources(two_services, "AWS::ApiGateway::RestApi").values()
    ]
    assert len(set(names)) == 2
    assert len(two_services.find_outputs("*")) == 8


def _bare_store(stack: Stack) -> None:
    VersionedStore(stack, "Store")


def _bare_table(stack: Stack) -> None:
    TimeSeriesTable(stack, "Table")


def _bare_function(stack: Stack) -> None:
    TaggedFunction(stack, "Function")


def _bare_api(stack: Stack) -> None:
    api = CachedRestApi(stack, "Api")
    # Imported from another account, so the stack adds no lambda permissions for it.
    handler = lambda_.Function.from_function_arn(
        stack, "Handler", "arn:aws:lambda:us-east-1:123456789012:function:items"
    )
    api.add_item_routes(handler)


@pytest.mark.parametrize(
    ("build", "resource_types"),
    [
        (_bare_store, {"AWS::S3::Bucket", "AWS::S3::BucketPolicy"}),
        (_bare_table, {"AWS::DynamoDB::Table"}),
        (
            _bare_function,
            {"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Logs::LogGroup"},
        ),
        (
            _bare_api,
            {
                "AWS::ApiGateway::RestApi",
                "AWS::ApiGateway::Deployment",
                "AWS::ApiGateway::Stage",
                "AWS::ApiGateway::Resource",
                "AWS::ApiGateway::Method",
                "AWS::ApiGateway::Model",
                "AWS::ApiGateway::RequestValidator",
                "AWS::ApiGateway::GatewayResponse",
                "AWS::ApiGateway::Account",
                "AWS::IAM::Role",
                "AWS::Logs::LogGroup",
            },
        ),
    ],
    ids=["store", "table", "function", "api"],
)
def test_each_part_works_alone_in_a_bare_stack(
    build: Callable[[Stack], None], resource_types: set[str]
) -> None:
    stack = new_stack()
    build(stack)
    template = Template.from_stack(stack)
    found = template.to_json()["Resources"]
    assert {resource["Type"] for resource in found.values()} == resource_types
