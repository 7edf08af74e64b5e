"""Typed collections: one API, stage and bucket; a table, function and prefix each."""

import functools
import json
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from cdk_serverless_crud import Collection, Index, ServerlessCrudService, assets

from .helpers import (
    REQUIRED_TAGS,
    assert_value_error,
    get_att,
    join,
    methods_by_route,
    policy_statements,
    resources,
    store_bucket_id,
    tables_as_built,
)

ORDER_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "status": {"enum": ["new", "paid", "shipped"], "type": "string"},
        "customer_id": {"type": "string", "minLength": 1},
        "total": {"type": "number", "minimum": 0},
        "placed_at": {"type": "string", "format": "date-time"},
        "shipping": {"$ref": "#/$defs/Address"},
    },
    "required": ["status", "customer_id", "total"],
    "additionalProperties": False,
    "$defs": {
        "Address": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        }
    },
}


class Shop:
    """The two-collection service, synthesized once for the module."""

    def __init__(self) -> None:
        self.app = App()
        self.stack = Stack(self.app, "Shop")
        self.service = ServerlessCrudService(
            self.stack,
            "Shop",
            tags=REQUIRED_TAGS,
            collections=[
                Collection(
                    "orders",
                    schema=ORDER_SCHEMA,
                    indexes=[Index("status"), Index("customer_id", sort="placed_at")],
                ),
                Collection("customers", listing_order="updated"),
            ],
        )
        self.template = Template.from_stack(self.stack)
        self.assembly = self.app.synth()

    def function_id(self, collection: str) -> str:
        (found,) = [
            logical_id
            for logical_id, function in resources(self.template, "AWS::Lambda::Function").items()
            if function["Properties"]["Environment"]["Variables"]["COLLECTION"] == collection
            and function["Properties"]["Handler"] == "item_service.handler.handler"
        ]
        return found

    def function(self, collection: str) -> dict[str, Any]:
        function: dict[str, Any] = resources(self.template, "AWS::Lambda::Function")[
            self.function_id(collection)
        ]["Properties"]
        return function

    def asset_dir(self, collection: str) -> Path:
        key = self.function(collection)["Code"]["S3Key"]
        return Path(self.assembly.directory) / f"asset.{key.removesuffix('.zip')}"


@pytest.fixture(scope="module")
def shop() -> Shop:
    return Shop()


def _table_id(shop: Shop, collection: str) -> str:
    variables = shop.function(collection)["Environment"]["Variables"]
    table_id: str = variables["TABLE_NAME"]["Ref"]
    return table_id


def test_each_collection_has_its_own_table_with_its_indexes(shop: Shop) -> None:
    tables = tables_as_built(shop.template)
    assert len(tables) == 2
    orders = tables[_table_id(shop, "orders")]
    indexes = {gsi["IndexName"]: gsi for gsi in orders["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"latest-items", "by-status", "by-customer_id.placed_at"}
    assert indexes["by-customer_id.placed_at"]["KeySchema"] == [
        {"AttributeName": "ix_customer_id", "KeyType": "HASH"},
        {"AttributeName": "sx_customer_id", "KeyType": "RANGE"},
    ]
    assert {"AttributeName": "sx_customer_id", "AttributeType": "S"} in orders[
        "AttributeDefinitions"
    ]
    assert indexes["by-status"]["KeySchema"] == [
        {"AttributeName": "ix_status", "KeyType": "HASH"},
        {"AttributeName": "id", "KeyType": "RANGE"},
    ]
    assert indexes["by-status"]["Projection"] == {"ProjectionType": "ALL"}
    assert {"AttributeName": "ix_status", "AttributeType": "S"} in orders["AttributeDefinitions"]
    customers = tables[_table_id(shop, "customers")]
    listings = {gsi["IndexName"]: gsi for gsi in customers["GlobalSecondaryIndexes"]}
    assert list(listings) == ["latest-items", "latest-items.updated"]
    assert listings["latest-items.updated"]["KeySchema"] == [
        {"AttributeName": "listing", "KeyType": "HASH"},
        {"AttributeName": "lx", "KeyType": "RANGE"},
    ]


def test_a_numeric_index_has_a_number_key() -> None:
    collection = Collection(
        "products",
        schema={"type": "object", "properties": {"price": {"type": "integer"}}},
        indexes=[Index("price")],
    )
    stack = Stack(App(), "Products")
    ServerlessCrudService(stack, "Shop", tags=REQUIRED_TAGS, collections=[collection])
    (table,) = tables_as_built(Template.from_stack(stack)).values()
    definitions = table["AttributeDefinitions"]
    assert {"AttributeName": "ix_price", "AttributeType": "N"} in definitions


def test_each_function_knows_its_collection_and_indexes(shop: Shop) -> None:
    orders = shop.function("orders")["Environment"]["Variables"]
    assert orders["OBJECT_PREFIX"] == "orders/"
    assert json.loads(orders["INDEXES"]) == [
        {
            "attribute": "status",
            "index": "by-status",
            "key": "ix_status",
            "type": "S",
            "owned_key": "ox_status",
        },
        {
            "attribute": "customer_id",
            "index": "by-customer_id.placed_at",
            "key": "ix_customer_id",
            "type": "S",
            "owned_key": "ox_customer_id",
            "sort": "placed_at",
            "sort_type": "date-time",
            "sort_key": "sx_customer_id",
        },
    ]
    # The schema's other top-level properties: a query by one of them is a 400.
    assert json.loads(orders["ATTRIBUTES"]) == ["placed_at", "shipping", "total"]
    customers = shop.function("customers")["Environment"]["Variables"]
    assert customers["OBJECT_PREFIX"] == "customers/"
    assert customers["LISTING_ORDER"] == "updated"
    assert "LISTING_ORDER" not in orders
    assert "INDEXES" not in customers
    assert "ATTRIBUTES" not in customers


def test_each_role_reaches_only_its_own_table_indexes_and_prefix(shop: Shop) -> None:
    bucket_id = store_bucket_id(shop.template)
    for collection, indexes in (
        ("orders", ["latest-items", "by-status", "by-customer_id.placed_at"]),
        ("customers", ["latest-items", "latest-items.updated"]),
    ):
        table_id = _table_id(shop, collection)
        role_id = shop.function(collection)["Role"]["Fn::GetAtt"][0]
        statements = policy_statements(shop.template, role_id)
        data = [s for s in statements if str(s["Action"]).startswith(("['dynamodb", "dynamodb"))]
        assert data == [
            {
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                "Effect": "Allow",
                "Resource": get_att(table_id),
            },
            {
                "Action": "dynamodb:Query",
                "Effect": "Allow",
                "Resource": [join(get_att(table_id), f"/index/{name}") for name in indexes]
                if len(indexes) > 1
                else join(get_att(table_id), f"/index/{indexes[0]}"),
            },
        ]
        objects = [s for s in statements if "s3:GetObject" in str(s["Action"])]
        assert [s["Resource"] for s in objects] == [join(get_att(bucket_id), f"/{collection}/*")]


def test_the_collections_share_one_api_stage_cache_and_bucket(shop: Shop) -> None:
    assert len(resources(shop.template, "AWS::ApiGateway::RestApi")) == 1
    (stage,) = resources(shop.template, "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["CacheClusterEnabled"] is True
    # The store and its access log bucket, as for one collection.
    assert len(resources(shop.template, "AWS::S3::Bucket")) == 2
    assert store_bucket_id(shop.template)


def test_each_collection_has_the_item_routes_on_its_own_function(shop: Shop) -> None:
    routes = methods_by_route(shop.template)
    for collection in ("orders", "customers"):
        function_id = shop.function_id(collection)
        for route in (
            f"GET /{collection}",
            f"POST /{collection}",
            f"GET /{collection}/{{id}}",
            f"PUT /{collection}/{{id}}",
            f"DELETE /{collection}/{{id}}",
            f"GET /{collection}/{{id}}/versions",
        ):
            uri = json.dumps(routes[route]["Integration"]["Uri"])
            assert function_id in uri, route
    assert not [route for route in routes if "/items" in route]


def test_index_attributes_are_cache_keys_of_the_collection_listing(shop: Shop) -> None:
    routes = methods_by_route(shop.template)
    keys = routes["GET /orders"]["Integration"]["CacheKeyParameters"]
    assert "method.request.querystring.status" in keys
    assert "method.request.querystring.customer_id" in keys
    assert "method.request.querystring.limit" in keys
    parameters = routes["GET /orders"]["RequestParameters"]
    assert parameters["method.request.querystring.status"] is False
    # A query by an unindexed attribute is a 400 that must not be cached for the plain
    # listing, so those attributes are cache keys too.
    assert "method.request.querystring.total" in keys
    assert "method.request.querystring.placed_at" in keys
    # The order and every range condition of a sorted index: brackets (placed_at[gte])
    # are refused by API Gateway in a parameter name, so the operator follows a dot.
    for name in ("order", *(f"placed_at.{op}" for op in ("gt", "gte", "lt", "lte", "prefix"))):
        assert f"method.request.querystring.{name}" in keys, name
    customer_keys = routes["GET /customers"]["Integration"]["CacheKeyParameters"]
    assert "method.request.querystring.status" not in customer_keys
    assert "method.request.querystring.order" in customer_keys
    assert not [key for key in customer_keys if "placed_at" in key]


def test_a_typed_collection_s_request_model_leaves_its_schema_to_the_function(
    shop: Shop,
) -> None:
    models = {
        m["Properties"]["Name"]: m["Properties"]
        for m in resources(shop.template, "AWS::ApiGateway::Model").values()
    }
    # Issue 27: a body API Gateway refuses gets a 400 naming no field, so the model
    # encodes none of the schema (enum, minimum, required...); the function checks it
    # and names every failing field.
    assert models["OrdersData"]["Schema"] == {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "OrdersData",
        "type": "object",
    }
    routes = methods_by_route(shop.template)
    for route in ("POST /orders", "PUT /orders/{id}"):
        (model,) = routes[route]["RequestModels"].values()
        assert model == {"Ref": _model_id(shop, "OrdersData")}
    for route in ("POST /customers", "PUT /customers/{id}"):
        (model,) = routes[route]["RequestModels"].values()
        assert model == {"Ref": _model_id(shop, "ItemData")}


def _model_id(shop: Shop, name: str) -> str:
    (found,) = [
        logical_id
        for logical_id, model in resources(shop.template, "AWS::ApiGateway::Model").items()
        if model["Properties"]["Name"] == name
    ]
    return found


def test_a_typed_collection_ships_its_generated_validator(shop: Shop) -> None:
    orders = shop.asset_dir("orders")
    generated = (orders / "item_service" / "collection_schema.py").read_text()
    assert "def validate(" in generated
    assert (orders / "fastjsonschema" / "__init__.py").is_file()
    assert (orders / "fastjsonschema" / "LICENSE").is_file()
    assert (orders / "item_service" / "handler.py").is_file()
    customers = shop.asset_dir("customers")
    assert not (customers / "item_service" / "collection_schema.py").exists()
    assert not (customers / "fastjsonschema").exists()


def test_the_same_schema_gives_the_same_asset(monkeypatch: pytest.MonkeyPatch) -> None:
    def asset_key(schema: dict[str, Any]) -> str:
        stack = Stack(App(), "Again")
        ServerlessCrudService(
            stack,
            "Shop",
            tags=REQUIRED_TAGS,
            collections=[Collection("orders", schema=schema)],
        )
        (function,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
        key: str = function["Properties"]["Code"]["S3Key"]
        return key

    first = asset_key(ORDER_SCHEMA)
    # Built again from scratch, in a fresh folder, with the keys in another order.
    monkeypatch.setattr(assets, "_BUILT", {})
    monkeypatch.setattr(assets, "_build_root", functools.cache(lambda keep: Path(mkdtemp())))
    assert asset_key(dict(reversed(ORDER_SCHEMA.items()))) == first


def test_alarms_watch_every_collection(shop: Shop) -> None:
    alarms = shop.service.monitoring.alarms
    assert set(alarms) == {
        "ApiServerErrorRate",
        "ApiLatencyP99",
        "OrdersFunctionErrors",
        "OrdersFunctionThrottles",
        "OrdersTableThrottledRequests",
        "CustomersFunctionErrors",
        "CustomersFunctionThrottles",
        "CustomersTableThrottledRequests",
    }


def test_outputs_name_each_collection(shop: Shop) -> None:
    outputs = shop.template.to_json()["Outputs"]
    for name in ("OrdersTableName", "OrdersFunctionName", "CustomersTableName", "BucketName"):
        assert [output for output in outputs if output.startswith(f"Shop{name}")], name


def test_parts_are_reachable_by_collection_name(shop: Shop) -> None:
    orders = shop.service.collections["orders"]
    assert orders.collection.name == "orders"
    assert orders.table.node.id == "OrdersTable"
    assert orders.function.node.id == "OrdersFunction"
    with pytest.raises(AttributeError, match="collections"):
        _ = shop.service.table
    with pytest.raises(AttributeError, match="collections"):
        _ = shop.service.function


def test_the_items_collection_keeps_the_ids_of_earlier_versions(template: Template) -> None:
    # Upgrading the library must never replace a table that holds data.
    # The logical ids of earlier versions, hash included.
    assert list(resources(template, "AWS::DynamoDB::Table")) == ["ItemsTable93F06C2A"]
    assert list(resources(template, "AWS::Lambda::Function")) == ["ItemsFunctionC5CBC9E4"]


@pytest.mark.parametrize(
    ("build", "parts"),
    [
        (lambda: Collection("Orders"), ["Collection.name", "'Orders'"]),
        (lambda: Collection("1orders"), ["Collection.name"]),
        (lambda: Collection("o" * 64), ["Collection.name"]),
        (lambda: Index("a.b"), ["Index.attribute", "'a.b'"]),
        (lambda: Index("limit"), ["Index.attribute", "'limit'"]),
        (
            lambda: Collection("orders", indexes=[Index("status")]),
            ["Collection('orders').indexes", "'status'", '"string"'],
        ),
        (
            lambda: Collection(
                "orders",
                schema={"type": "object", "properties": {"paid": {"type": "boolean"}}},
                indexes=[Index("paid")],
            ),
            ["Collection('orders').indexes", "'paid'"],
        ),
        (
            lambda: Collection(
                "orders", schema=ORDER_SCHEMA, indexes=[Index("status"), Index("status")]
            ),
            ["Collection('orders').indexes", "'status' twice"],
        ),
        (
            lambda: Collection(
                "many",
                schema={
                    "type": "object",
                    "properties": {f"a{i}": {"type": "string"} for i in range(20)},
                },
                indexes=[Index(f"a{i}") for i in range(20)],
            ),
            ["Collection('many').indexes", "20 indexes", "at most 19"],
        ),
    ],
)
def test_bad_collection_props_name_the_prop(build: Any, parts: list[str]) -> None:
    assert_value_error(build, parts)


def test_collection_names_must_be_distinct() -> None:
    assert_value_error(
        lambda: ServerlessCrudService(
            Stack(App(), "Twice"),
            "Shop",
            tags=REQUIRED_TAGS,
            collections=[Collection("orders"), Collection("orders")],
        ),
        ["collections", "'orders' twice"],
    )
    assert_value_error(
        lambda: ServerlessCrudService(
            Stack(App(), "None"), "Shop", tags=REQUIRED_TAGS, collections=[]
        ),
        ["collections", "at least one"],
    )
    assert_value_error(
        lambda: ServerlessCrudService(
            Stack(App(), "Many"),
            "Shop",
            tags=REQUIRED_TAGS,
            collections=[Collection(f"c{i}") for i in range(13)],
        ),
        ["collections", "13 collections", "at most 12"],
    )


def test_the_openapi_document_is_written_into_the_cloud_assembly(shop: Shop) -> None:
    document = shop.service.openapi_document
    written = Path(shop.assembly.directory) / shop.service.openapi_document_file
    assert json.loads(written.read_text()) == document
    assert document["openapi"] == "3.1.0"
    assert {"/orders", "/orders/{id}", "/orders/{id}/versions", "/customers"} <= set(
        document["paths"]
    )
    schemas = document["components"]["schemas"]
    assert schemas["OrdersData"]["properties"]["shipping"] == {
        "$ref": "#/components/schemas/OrdersData.Address"
    }

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" not in node:
            return node
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return resolve(target)

    parameters = {
        resolve(p)["name"]: resolve(p) for p in document["paths"]["/orders"]["get"]["parameters"]
    }
    assert {"status", "customer_id", "limit", "cursor", "order"} <= set(parameters)
    assert parameters["order"]["schema"]["enum"] == ["asc", "desc"]
    assert parameters["placed_at.gte"]["schema"] == {"type": "string", "format": "date-time"}
    assert parameters["placed_at.prefix"]["schema"] == {"type": "string"}
    assert "customer_id" in parameters["placed_at.lt"]["description"]


@pytest.mark.parametrize(
    ("index", "message"),
    [
        (Index("status", sort="nope"), ["Collection('orders')", "sort='nope'", "'nope'"]),
        (Index("status", sort="shipping"), ["sort='shipping'", '"date-time"']),
    ],
)
def test_a_sort_attribute_the_schema_does_not_declare_sortable_is_refused(
    index: Index, message: list[str]
) -> None:
    assert_value_error(lambda: Collection("orders", schema=ORDER_SCHEMA, indexes=[index]), message)


def test_a_listing_order_outside_the_three_is_refused() -> None:
    assert_value_error(
        lambda: Collection("notes", listing_order="newest"),
        ["Collection('notes').listing_order", "'id', 'created', 'updated'", "'newest'"],
    )


def test_a_sort_must_name_another_property_and_order_is_reserved() -> None:
    assert_value_error(lambda: Index("status", sort="status"), ["Index('status').sort"])
    assert_value_error(lambda: Index("status", sort="a.b"), ["Index('status').sort", "a.b"])
    assert_value_error(lambda: Index("order"), ["Index.attribute", "'order'"])


def test_a_subclass_table_without_the_collection_indexes_is_refused() -> None:
    class OwnTable(ServerlessCrudService):
        def create_table(self, collection: Collection, props: Any) -> Any:
            from cdk_serverless_crud import TimeSeriesTable

            return TimeSeriesTable(self, f"{collection.construct_prefix}Table", props=props)

    assert_value_error(
        lambda: OwnTable(
            Stack(App(), "Own"),
            "Shop",
            tags=REQUIRED_TAGS,
            collections=[Collection("orders", schema=ORDER_SCHEMA, indexes=[Index("status")])],
        ),
        ["create_table", "'orders'", "by-status", "add_attribute_index"],
    )
