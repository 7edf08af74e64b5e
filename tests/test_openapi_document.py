"""The OpenAPI 3.1 document of a service with typed collections, from the packaged contract."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from cdk_serverless_crud.contract import openapi as contract
from cdk_serverless_crud.contract import storable
from cdk_serverless_crud.contract.collection import Collection, Index
from cdk_serverless_crud.contract.openapi_document import (
    _schema_3_1,
    service_document,
    write_document,
)
from cdk_serverless_crud.contract.security_schemes import GENERIC_NOTE, DocumentedSecurity
from cdk_serverless_crud.runtime.item_service import documents

ADDRESS = {"type": "object", "properties": {"street": {"type": "string"}}}
ORDER_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "https://example.com/order.schema.json",
    "type": "object",
    "required": ["status", "total", "shipping"],
    "properties": {
        "status": {"type": "string", "enum": ["open", "shipped"]},
        "total": {"type": "number", "exclusiveMinimum": 0},
        "shipping": {"$ref": "#/$defs/Address"},
        "billing": {"$ref": "#/definitions/Address"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line%20item"}},
        "position": {
            "type": "array",
            "items": [{"type": "number"}, {"type": "number"}],
            "additionalItems": False,
        },
        "street": {"$ref": "#/$defs/Address/properties/street"},
        # Draft-07 ignores a $ref's siblings: any Note is a valid label.
        "label": {"$ref": "#/definitions/Note", "type": "integer"},
        "replaces": {"$ref": "#"},
        "gift": {"type": "boolean"},
    },
    "dependencies": {"gift": ["message"], "coupon": {"required": ["billing"]}},
    "$defs": {
        "Address": ADDRESS,
        "Line item": {
            "type": "object",
            "required": ["sku"],
            "properties": {
                "sku": {"type": "string", "minLength": 1},
                "note": {"$ref": "#/definitions/Note"},
            },
        },
    },
    "definitions": {
        "Address": {"type": "object", "required": ["country"]},
        "Note": {"type": "string", "maxLength": 20},
    },
}
ORDERS = Collection("orders", schema=ORDER_SCHEMA, indexes=[Index("status"), Index("total")])
AUDIT_LOG = Collection("audit-log")
COMPONENT_NAME = re.compile(r"^[a-zA-Z0-9.\-_]+$")
ORDER = {"status": "open", "total": 9.5, "shipping": {"street": "Main St"}}


def document_of(*collections: Collection) -> dict[str, Any]:
    return service_document(collections, title="Shop", version="2.1.0")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return document_of(ORDERS, AUDIT_LOG)


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    target: Any = document
    for segment in unquote(ref[2:]).split("/"):
        segment = segment.replace("~1", "/").replace("~0", "~")
        target = target[int(segment)] if isinstance(target, list) else target[segment]
    return target


def validator(document: dict[str, Any], schema: str) -> Draft202012Validator:
    """A 2020-12 validator of a component schema, resolving references in the document."""
    root = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    return Draft202012Validator(root)


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document, cls=OpenAPIV31SpecValidator)

    assert document["openapi"] == "3.1.0"
    assert (document["info"]["title"], document["info"]["version"]) == ("Shop", "2.1.0")
    assert document["servers"] == contract.load()["servers"]


def test_every_reference_resolves_and_every_component_name_is_valid(
    document: dict[str, Any],
) -> None:
    refs = set(references(document))

    assert "#/components/schemas/OrdersData.Line_item" in refs
    assert all(resolve(document, ref) is not None for ref in refs)
    for section in document["components"].values():
        assert all(COMPONENT_NAME.match(name) for name in section)


def test_each_collection_serves_the_contract_s_paths_under_its_name(
    document: dict[str, Any],
) -> None:
    operation_ids = [
        operation["operationId"]
        for item in document["paths"].values()
        for verb, operation in item.items()
        if verb != "parameters"
    ]

    assert list(document["paths"]) == [
        *(path.replace("/items", "/orders") for path in contract.load()["paths"]),
        *(path.replace("/items", "/audit-log") for path in contract.load()["paths"]),
    ]
    assert len(operation_ids) == len(set(operation_ids)) == 2 * len(contract.operations())
    assert document["paths"]["/orders"]["post"]["operationId"] == "orders_createItem"
    assert document["paths"]["/audit-log/{id}"]["put"]["operationId"] == "audit_log_replaceItem"
    assert document["paths"]["/audit-log/{id}"]["put"]["tags"] == ["audit-log"]


def test_each_collection_has_its_own_item_schemas(document: dict[str, Any]) -> None:
    paths = document["paths"]

    def schema_of(body: dict[str, Any]) -> str:
        ref: str = body["content"]["application/json"]["schema"]["$ref"]
        return ref.rsplit("/", 1)[1]

    assert schema_of(paths["/orders"]["post"]["requestBody"]) == "OrdersData"
    assert schema_of(paths["/orders/{id}"]["get"]["responses"]["200"]) == "OrdersItem"
    assert schema_of(paths["/audit-log"]["get"]["responses"]["200"]) == "AuditLogItemList"
    assert schema_of(paths["/audit-log/{id}/versions"]["get"]["responses"]["200"]) == (
        "AuditLogVersionList"
    )
    template_data = contract.load()["components"]["schemas"]["ItemData"]
    assert document["components"]["schemas"]["AuditLogData"] == {
        **template_data,
        "propertyNames": {"minLength": 1, "maxLength": 65535},
        "additionalProperties": {"$ref": "#/components/schemas/StorableValue"},
    }
    assert "ItemData" not in document["components"]["schemas"]


def test_the_listing_takes_one_query_parameter_per_index(document: dict[str, Any]) -> None:
    listing = document["paths"]["/orders"]["get"]
    indexes = {p["name"]: p for p in listing["parameters"] if "name" in p}

    assert {name: p["schema"] for name, p in indexes.items()} == {
        "status": {"type": "string", "minLength": 1, "maxLength": 2048},
        "total": {"type": "number", "exclusiveMinimum": -1e126, "exclusiveMaximum": 1e126},
    }
    assert all(p["in"] == "query" and p["required"] is False for p in indexes.values())
    assert all("At most one of status, total" in p["description"] for p in indexes.values())
    assert "at most one index parameter" in listing["description"]
    template = contract.load()["paths"]["/items"]["get"]["parameters"]
    assert listing["parameters"][: len(template)] == template
    assert document["paths"]["/audit-log"]["get"]["parameters"] == template


def test_a_bad_request_may_list_every_failing_field(document: dict[str, Any]) -> None:
    error = validator(document, "Error")
    body = {"code": "invalid_body", "message": "the body fails the collection's schema"}
    detail = {"pointer": "/price", "message": "-1 is less than the minimum of 0"}

    assert error.is_valid({"error": {**body, "details": [detail]}})
    assert error.is_valid({"error": body})
    assert not error.is_valid({"error": {**body, "details": [{"pointer": "/price"}]}})
    bad_request = document["components"]["responses"]["BadRequest"]["content"]
    assert bad_request["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


@pytest.mark.parametrize(
    ("data", "valid"),
    [
        (ORDER, True),
        ({**ORDER, "total": 0}, False),
        ({**ORDER, "shipping": {"street": 5}}, False),
        ({**ORDER, "billing": {}}, False),
        ({**ORDER, "billing": {"country": "FR"}}, True),
        ({**ORDER, "lines": [{"sku": "a", "note": "fragile"}]}, True),
        ({**ORDER, "lines": [{"sku": ""}]}, False),
        ({**ORDER, "lines": [{"sku": "a", "note": "x" * 21}]}, False),
        ({**ORDER, "position": [1, 2]}, True),
        ({**ORDER, "position": [1, 2, 3]}, False),
        ({**ORDER, "position": [1, "2"]}, False),
        ({**ORDER, "street": 5}, False),
        ({**ORDER, "label": "a string"}, True),
        ({**ORDER, "replaces": ORDER}, True),
        ({**ORDER, "replaces": {"status": "open"}}, False),
        ({**ORDER, "gift": True}, False),
        ({**ORDER, "gift": True, "message": "Happy birthday"}, True),
        ({**ORDER, "coupon": "SALE"}, False),
    ],
)
def test_the_collection_s_schema_validates_as_it_does_in_draft_07(
    document: dict[str, Any], data: dict[str, Any], valid: bool
) -> None:
    assert Draft7Validator(ORDER_SCHEMA).is_valid(data) is valid
    assert validator(document, "OrdersData").is_valid(data) is valid


def test_definitions_become_components_and_draft_07_keywords_their_2020_12_spelling(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    data = schemas["OrdersData"]

    assert [name for name in schemas if name.startswith("OrdersData")] == [
        "OrdersData",
        "OrdersData.Address",
        "OrdersData.Line_item",
        "OrdersData.Address-2",
        "OrdersData.Note",
    ]
    assert not {"$schema", "$id", "$defs", "definitions", "dependencies"} & set(data)
    assert data["dependentRequired"] == {"gift": ["message"]}
    assert data["dependentSchemas"] == {"coupon": {"required": ["billing"]}}
    number = {"type": "number", "allOf": [{"$ref": "#/components/schemas/DynamoDBNumber"}]}
    assert data["properties"]["position"]["prefixItems"] == [number] * 2
    assert data["properties"]["position"]["items"] is False
    assert data["properties"]["label"] == {"$ref": "#/components/schemas/OrdersData.Note"}
    assert ORDERS.schema == ORDER_SCHEMA


def test_nothing_of_openapi_3_0_is_left(document: dict[str, Any]) -> None:
    text = json.dumps(document)

    assert '"nullable"' not in text
    assert document["components"]["schemas"]["NextCursor"]["type"] == ["string", "null"]


@pytest.mark.parametrize(
    ("schema", "converted"),
    [
        ({"type": "string", "nullable": True}, {"type": ["string", "null"]}),
        ({"enum": ["a"], "nullable": True}, {"enum": ["a", None]}),
        ({"minimum": 1, "exclusiveMinimum": True}, {"exclusiveMinimum": 1}),
        ({"maximum": 9, "exclusiveMaximum": False}, {"maximum": 9}),
        ({"type": "integer", "example": 3}, {"type": "integer", "examples": [3]}),
        (
            {"type": "array", "items": {"type": "string", "nullable": True}},
            {"type": "array", "items": {"type": ["string", "null"]}},
        ),
    ],
)
def test_openapi_3_0_schemas_are_converted(
    schema: dict[str, Any], converted: dict[str, Any]
) -> None:
    assert _schema_3_1(schema) == converted


def test_a_single_items_collection_has_the_contract_s_operations() -> None:
    document = document_of(Collection("items"))
    template = contract.load()["paths"]

    assert list(document["paths"]) == list(template)
    for path, verb in contract.operations():
        operation, original = document["paths"][path][verb.lower()], template[path][verb.lower()]
        assert operation["operationId"] == f"items_{original['operationId']}"
        assert operation.get("parameters") == original.get("parameters")
        # API Gateway's own answers join the function's (IAM's 403, throttling, timeout).
        gateway = {"403", "429", "504"}
        assert list(operation["responses"]) == sorted({*original["responses"], *gateway})
        assert ("requestBody" in operation) == ("requestBody" in original)
    for path, item in template.items():
        assert document["paths"][path].get("parameters") == item.get("parameters")


def test_the_same_collections_give_the_same_document(
    document: dict[str, Any], tmp_path: Path
) -> None:
    again = document_of(
        Collection("orders", schema=copy.deepcopy(ORDER_SCHEMA), indexes=ORDERS.indexes),
        Collection("audit-log"),
    )
    write_document(document, tmp_path / "a.json")
    write_document(again, tmp_path / "b.json")

    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert text == (tmp_path / "b.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert json.loads(text) == document


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("other.json#/definitions/a", "only local references"),
        ("#address", "only local references"),
        ("#/$defs/Missing", "does not point at a schema"),
        ("#/properties/nothing", "does not point at a schema"),
    ],
)
def test_a_reference_openapi_cannot_carry_is_refused_naming_the_collection(
    ref: str, message: str
) -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": ref}}}

    # Collection refuses it first (schemas.check_schema); the document never sees it.
    with pytest.raises(ValueError, match=rf"Collection\('carts'\)\.schema: .*{message}"):
        document_of(Collection("carts", schema=schema))


@pytest.mark.parametrize(
    ("security", "schemes", "requirement"),
    [
        (DocumentedSecurity(), {"sigv4"}, [{"sigv4": []}]),
        (DocumentedSecurity("AWS_IAM"), {"sigv4"}, [{"sigv4": []}]),
        (
            DocumentedSecurity("COGNITO_USER_POOLS", "Authorization", ("items/read",)),
            {"cognito"},
            [{"cognito": ["items/read"]}],
        ),
        (DocumentedSecurity("API_KEY", "x-api-key"), {"api_key"}, [{"api_key": []}]),
        (DocumentedSecurity("CUSTOM", "X-Token"), {"custom"}, [{"custom": []}]),
        (DocumentedSecurity("CUSTOM"), set(), None),
        (DocumentedSecurity("NONE"), set(), None),
    ],
)
def test_the_document_declares_the_service_s_security(
    security: DocumentedSecurity, schemes: set[str], requirement: list[Any] | None
) -> None:
    document = service_document([AUDIT_LOG], title="Shop", version="2.1.0", security=security)

    validate(document, cls=OpenAPIV31SpecValidator)
    assert set(document["components"].get("securitySchemes", {})) == schemes
    assert document.get("security") == requirement
    assert ("security" in document) == bool(schemes)
    description = document["info"]["description"]
    assert GENERIC_NOTE not in description
    assert description.endswith(security.description())
    assert all(scope in description for scope in security.scopes)


@pytest.mark.parametrize(
    ("mode", "refusals"),
    [
        ("AWS_IAM", {"403": "Forbidden"}),
        ("COGNITO_USER_POOLS", {"401": "Unauthorized"}),
        ("API_KEY", {"403": "Forbidden"}),
        ("CUSTOM", {"401": "Unauthorized", "403": "Forbidden"}),
        ("NONE", {}),
    ],
)
def test_every_operation_lists_what_api_gateway_answers_itself(
    mode: str, refusals: dict[str, str]
) -> None:
    """A generated client can read every answer a deployed stage gives: the mode's
    refusals, throttling and the integration timeout, each in the error envelope."""
    security = DocumentedSecurity(mode, "X-Token" if mode == "CUSTOM" else None)
    document = service_document([AUDIT_LOG], title="Shop", version="2.1.0", security=security)

    expected = {**refusals, "429": "Throttled", "504": "IntegrationTimeout"}
    for item in document["paths"].values():
        for verb in set(item) - {"parameters"}:
            responses = item[verb]["responses"]
            gateway = {
                s: r["$ref"].rsplit("/", 1)[1] for s, r in responses.items() if s in expected
            }
            assert gateway == expected
            assert list(responses) == sorted(responses)
    for name in expected.values():
        answer = document["components"]["responses"][name]
        assert answer["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    validate(document, cls=OpenAPIV31SpecValidator)


def test_a_custom_mode_s_scheme_is_in_its_caller_header() -> None:
    document = service_document(
        [AUDIT_LOG], title="Shop", version="2.1.0", security=DocumentedSecurity("CUSTOM", "X-Token")
    )

    assert document["components"]["securitySchemes"]["custom"] == {
        "type": "apiKey",
        "name": "X-Token",
        "in": "header",
        "x-amazon-apigateway-authtype": "custom",
    }


def test_the_generic_contract_declares_no_security_and_says_why() -> None:
    generic = contract.load()

    assert "security" not in generic
    assert "securitySchemes" not in generic["components"]
    assert generic["info"]["description"].endswith(GENERIC_NOTE)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match=r"mode=.*AWS_IAM.*got 'OAUTH'"):
        DocumentedSecurity("OAUTH")


@pytest.mark.parametrize(
    ("data", "valid"),
    [({"a": 1}, True), ({}, True), ({"": 1}, False), ({"k" * 65536: 1}, False)],
)
def test_a_schemaless_collection_s_data_has_no_empty_keys(
    document: dict[str, Any], data: dict[str, Any], valid: bool
) -> None:
    assert validator(document, "AuditLogData").is_valid(data) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [(0, True), (-5.5, True), (9.9e125, True), (1e126, False), (-1e126, False), (1e200, False)],
)
def test_a_number_index_parameter_is_one_dynamodb_can_store(
    document: dict[str, Any], value: float, valid: bool
) -> None:
    listing = document["paths"]["/orders"]["get"]
    (total,) = (p for p in listing["parameters"] if p.get("name") == "total")

    assert Draft202012Validator(total["schema"]).is_valid(value) is valid
    assert "38 significant digits" in total["description"]


def test_a_merge_patch_is_an_object_of_any_members(document: dict[str, Any]) -> None:
    merge_patch = document["components"]["schemas"]["AuditLogMergePatch"]

    # Without it, openapi-typescript types a patch as Record<string, never>.
    assert merge_patch["additionalProperties"] == {"$ref": "#/components/schemas/StorableValue"}
    assert validator(document, "AuditLogMergePatch").is_valid({"a": None, "b": {"c": 1}})
    assert not validator(document, "AuditLogMergePatch").is_valid({"b": {"": 1}})
    assert not validator(document, "AuditLogMergePatch").is_valid({"b": [{"c": 1e126}]})


def _arrays(levels: int) -> dict[str, Any]:
    """An item's data whose member nests arrays down to ``levels`` (the data is level 1)."""
    value: Any = "leaf"
    for _ in range(levels - 1):
        value = [value]
    return {"a": value}


@pytest.mark.parametrize(("levels", "valid"), [(2, True), (31, True), (32, False)])
def test_the_data_schema_says_how_deep_arrays_may_nest(
    document: dict[str, Any], levels: int, valid: bool
) -> None:
    assert validator(document, "AuditLogData").is_valid(_arrays(levels)) is valid
    assert validator(document, "AuditLogMergePatch").is_valid(_arrays(levels)) is valid
    # Objects in arrays keep the limit of keys and numbers, at any depth.
    assert not validator(document, "AuditLogData").is_valid({"a": [[{"b": [{"": 1}]}]]})
    assert storable.MAX_DEPTH == documents.MAX_DEPTH


def test_no_storable_array_holds_its_own_schema(document: dict[str, Any]) -> None:
    """openapi-typescript types an array of its own schema as a type that refers to
    itself, which tsc --strict refuses (TS2502); and a schema naming the next level
    twice would make tools that inline references expand it 2 ** 30 times."""
    schemas = document["components"]["schemas"]
    storable = {name: schema for name, schema in schemas.items() if name.startswith("Storable")}
    for name, schema in storable.items():
        seen = name
        while "items" in schema:
            seen = schema["items"]["$ref"].rsplit("/", 1)[1]
            assert seen != name, f"{name}'s arrays hold {name}"
            schema = schemas[seen]
        assert seen == "StorableScalar" or name == "StorableScalar"
        assert schema.get("additionalProperties") is None
