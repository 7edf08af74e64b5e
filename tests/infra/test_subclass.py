"""Extension by subclassing: replace one part and keep the rest, or add routes."""

from dataclasses import replace

import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk.assertions import Template

from cdk_serverless_crud import (
    Collection,
    ServerlessCrudService,
    TimeSeriesTable,
    TimeSeriesTableProps,
)
from cdk_serverless_crud.contract import openapi as contract

from .helpers import (
    REQUIRED_TAGS,
    get_att,
    logical_id,
    methods_by_route,
    new_stack,
    only,
    policy_statements,
    props,
    store_bucket,
)

#: One ANY method per path of the contract answers its other methods with 405.
PATHS = len({path for path, _ in contract.operations()})


class DisposableTableService(ServerlessCrudService):
    """A test environment's service: its table may be deleted with the stack."""

    def create_table(self, collection: Collection, props: TimeSeriesTableProps) -> TimeSeriesTable:
        disposable = replace(props, deletion_protection=False, removal_policy=RemovalPolicy.DESTROY)
        return super().create_table(collection, disposable)


class TaggedItemsService(ServerlessCrudService):
    """Adds GET /items/{id}/tags?lang=..., served by the same function."""

    def add_routes(self) -> None:
        super().add_routes()
        tags = self.api.rest_api.root.resource_for_path("/items/{id}/tags")
        self.api.add_cached_get(tags, self.function.function, query_params=["lang"])


class CarelessRouteService(ServerlessCrudService):
    """Adds a GET without cache keys, which would mix up cached answers across ids."""

    def add_routes(self) -> None:
        super().add_routes()
        raw = self.api.rest_api.root.resource_for_path("/items/{id}/raw")
        raw.add_method("GET", apigateway.LambdaIntegration(self.function.function))


@pytest.fixture(scope="module")
def disposable() -> Template:
    stack = new_stack()
    DisposableTableService(stack, "Items", tags=REQUIRED_TAGS)
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def with_tags_route() -> Template:
    stack = new_stack()
    TaggedItemsService(stack, "Items", tags=REQUIRED_TAGS)
    return Template.from_stack(stack)


def test_replaced_table_is_disposable(disposable: Template) -> None:
    table = only(disposable, "AWS::DynamoDB::Table")
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"]["DeletionProtectionEnabled"] is False
    assert table["Properties"]["GlobalSecondaryIndexes"][0]["IndexName"] == "latest-items"


def test_the_rest_is_kept_and_wired_to_the_replaced_table(disposable: Template) -> None:
    table_id = logical_id(disposable, "AWS::DynamoDB::Table")
    function = props(disposable, "AWS::Lambda::Function")
    assert function["Environment"]["Variables"]["TABLE_NAME"] == {"Ref": table_id}
    statements = policy_statements(disposable, function["Role"]["Fn::GetAtt"][0])
    assert get_att(table_id) in [statement["Resource"] for statement in statements]
    assert store_bucket(disposable)["DeletionPolicy"] == "Retain"
    assert len(methods_by_route(disposable)) == len(contract.operations()) + PATHS


def test_added_route_keys_its_cache_on_inherited_path_and_own_query_parameters(
    with_tags_route: Template,
) -> None:
    methods = methods_by_route(with_tags_route)
    assert len(methods) == len(contract.operations()) + PATHS + 1
    tags = methods["GET /items/{id}/tags"]
    assert tags["Integration"]["CacheKeyParameters"] == [
        "method.request.path.id",
        "method.request.querystring.lang",
    ]
    assert tags["RequestParameters"] == {
        "method.request.path.id": True,
        "method.request.querystring.lang": False,
    }


def test_a_cached_route_without_cache_keys_fails_synthesis() -> None:
    stack = new_stack()
    CarelessRouteService(stack, "Items", tags=REQUIRED_TAGS)
    with pytest.raises(
        RuntimeError, match=r"GET /items/\{id\}/raw is cached .* method\.request\.path\.id"
    ):
        Template.from_stack(stack)
