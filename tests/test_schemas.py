"""schemas: a collection's JSON Schema checked at synth, then compiled for the function.

No synth: the module is pure Python. The generated validators are executed here, as the
Lambda function will execute them.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import fastjsonschema
import pytest
from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from cdk_serverless_crud.contract import schemas

PROP = "Collection('orders').schema"

ORDER_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order",
    "type": "object",
    "$defs": {
        "Money": {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000},
        "Address": {
            "type": "object",
            "properties": {
                "street": {"type": "string", "minLength": 1, "maxLength": 100},
                "country": {"type": "string", "enum": ["FR", "DE", "US"]},
            },
            "required": ["street", "country"],
            "additionalProperties": False,
        },
    },
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "status": {"type": "string", "enum": ["pending", "shipped", "cancelled"]},
        "customer": {"type": "string", "format": "email"},
        "placedAt": {"type": "string", "format": "date-time"},
        "deliverOn": {"type": "string", "format": "date"},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
        "total": {"$ref": "#/$defs/Money"},
        "note": {"type": "string", "maxLength": 20},
        "shipTo": {"$ref": "#/$defs/Address"},
    },
    "required": ["id", "status", "customer", "quantity", "total"],
    "additionalProperties": False,
}

VALID_ORDER: dict[str, Any] = {
    "id": "0b5e9f3c-8d1a-4c1e-9a55-3f0b6a1e2d4c",
    "status": "pending",
    "customer": "ada@example.com",
    "placedAt": "2025-03-01T12:30:00Z",
    "deliverOn": "2025-03-04",
    "quantity": 3,
    "total": 59.9,
    "note": "ring twice",
    "shipTo": {"street": "1 rue de Rivoli", "country": "FR"},
}


def validator(schema: dict[str, Any]) -> Callable[[Any], Any]:
    """The generated module's ``validate``, executed as the Lambda function will."""
    namespace: dict[str, Any] = {}
    exec(schemas.validator_source(schema), namespace)
    return namespace["validate"]  # type: ignore[no-any-return]


def failures(validate: Callable[[Any], Any], data: Any) -> list[tuple[str | None, str | None]]:
    """Each failure of ``data``: (the name of its field, the rule it breaks)."""
    try:
        validate(data)
    except fastjsonschema.JsonSchemaValuesException as error:
        return [(failure.name, failure.rule) for failure in error.errors]
    return []


# check_schema


def test_a_valid_schema_comes_back_as_a_json_copy() -> None:
    given_schema = {**copy.deepcopy(ORDER_SCHEMA), "required": ("id", "status")}
    checked = schemas.check_schema(PROP, given_schema)
    assert checked == {**ORDER_SCHEMA, "required": ["id", "status"]}
    given_schema["$defs"]["Money"]["maximum"] = 1
    assert checked["$defs"]["Money"]["maximum"] == 1_000_000


@pytest.mark.parametrize(
    "dialect",
    [
        "http://json-schema.org/draft-07/schema#",
        "http://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft-07/schema#",
        "https://json-schema.org/draft-07/schema",
    ],
)
def test_draft_07_may_be_written_with_or_without_its_fragment(dialect: str) -> None:
    schemas.check_schema(PROP, {"$schema": dialect, "type": "object"})


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/definitions/Order", "definitions": {"Order": {"type": "object"}}},
        {"type": ["object"]},
        {"$id": "https://example.com/order.json", "type": "object"},
        {"type": "object", "properties": {"tree": {"$ref": "#"}}},
    ],
    ids=["root-ref", "type-list", "root-id", "recursive-ref"],
)
def test_object_schemas_are_accepted(schema: dict[str, Any]) -> None:
    assert schemas.check_schema(PROP, schema) == schema


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


# (schema, keyword, JSON pointer, part of the explanation)
INVALID_SCHEMAS: list[tuple[dict[str, Any], str, str, str]] = [
    (
        {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"},
        "$schema",
        "/$schema",
        "draft-07",
    ),
    (
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"},
        "$schema",
        "/$schema",
        "draft-07",
    ),
    ({"$schema": 7, "type": "object"}, "$schema", "/$schema", "draft-07"),
    (_object(price={"minimum": "0"}), "minimum", "/properties/price/minimum", "'number'"),
    (_object(price=5), "properties", "/properties/price", "'object'"),
    (_object(status={"type": "strin"}), "type", "/properties/status/type", "'string'"),
    (_object(tags={"type": "array", "items": []}), "items", "/properties/tags/items", "empty"),
    (
        {**_object(a={"$ref": "#/$defs/A"}), "$defs": {"A": {"maxLength": -1}}},
        "maxLength",
        "/$defs/A/maxLength",
        "-1",
    ),
    ({"type": "array"}, "type", "/type", '"type": "object"'),
    ({"properties": {}}, "type", "/type", '"type": "object"'),
    ({"type": ["object", "null"]}, "type", "/type", '"type": "object"'),
    (
        {"$ref": "#/definitions/Tags", "definitions": {"Tags": {"type": "array"}}},
        "type",
        "/definitions/Tags/type",
        '"type": "object"',
    ),
    (
        _object(a={"$ref": "https://example.com/a.json"}),
        "$ref",
        "/properties/a/$ref",
        "only local references",
    ),
    (_object(a={"$ref": "#address"}), "$ref", "/properties/a/$ref", "only local references"),
    (_object(a={"$ref": "#/$defs/Nope"}), "$ref", "/properties/a/$ref", "does not point"),
    (
        {**_object(a={"$ref": "#/required"}), "required": ["a"]},
        "$ref",
        "/properties/a/$ref",
        "does not point at a schema",
    ),
    (
        {
            **_object(a={"$ref": "#/$defs/A"}),
            "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}},
        },
        "$ref",
        "/properties/a/$ref",
        "loop",
    ),
    (_object(a={"$id": "https://example.com/a.json"}), "$id", "/properties/a/$id", "root"),
    (_object(at={"format": "date_time"}), "format", "/properties/at/format", "date-time"),
    (_object(code={"pattern": "(unclosed"}), "pattern", "/properties/code/pattern", "regex"),
    (
        {"type": "object", "patternProperties": {"(": {}}},
        "patternProperties",
        "/patternProperties",
        "regex",
    ),
    (
        {"type": "object", "required": ["x"], "properties": {}, "additionalProperties": False},
        "required",
        "/required",
        "fastjsonschema",
    ),
    (_object(a={"enum": {1, 2}}), "enum", "/properties/a/enum", "set"),
    (_object(a={"maximum": float("nan")}), "maximum", "/properties/a/maximum", "JSON number"),
    (_object(a={"maximum": float("inf")}), "maximum", "/properties/a/maximum", "JSON number"),
    ({"type": "object", "properties": {1: {}}}, "properties", "/properties", "key 1"),
    (_object(a={"enum": [b"x"]}), "enum", "/properties/a/enum/0", "bytes"),
    (_object(**{"a/b~c": {"minimum": "0"}}), "minimum", "/properties/a~1b~0c/minimum", "number"),
]


@pytest.mark.parametrize(("schema", "keyword", "pointer", "detail"), INVALID_SCHEMAS)
def test_a_mistake_names_the_prop_the_keyword_and_its_pointer(
    schema: dict[str, Any], keyword: str, pointer: str, detail: str
) -> None:
    with pytest.raises(ValueError) as raised:
        schemas.check_schema(PROP, schema)
    message = str(raised.value)
    assert message.startswith(f"{PROP}: ")
    assert f"keyword {keyword!r} at {pointer!r}" in message
    assert detail in message


def test_a_schema_that_is_no_object_is_refused_with_the_prop() -> None:
    with pytest.raises(ValueError, match=r"^Collection\('orders'\)\.schema: .*JSON Schema"):
        schemas.check_schema(PROP, ["type", "object"])  # type: ignore[arg-type]


# property_type


@pytest.mark.parametrize(
    ("declared", "key_type"),
    [
        ({"type": "string"}, "S"),
        ({"type": "number"}, "N"),
        ({"type": "integer"}, "N"),
        ({"type": ["string"]}, "S"),
        ({"type": ["integer"]}, "N"),
        ({"type": ["string", "null"]}, None),
        ({"type": "boolean"}, None),
        ({"enum": ["a", "b"]}, None),
        (True, None),
        ({"$ref": "#/$defs/Status"}, "S"),
        ({"$ref": "#/$defs/Count"}, "N"),
    ],
)
def test_property_type_is_the_dynamodb_key_type(declared: Any, key_type: str | None) -> None:
    schema = {
        "type": "object",
        "properties": {"status": declared},
        "$defs": {
            "Status": {"type": "string"},
            "Count": {"$ref": "#/$defs/Integer"},
            "Integer": {"type": "integer"},
        },
    }
    assert schemas.property_type(schemas.check_schema(PROP, schema), "status") == key_type


def test_property_type_follows_the_root_ref_and_ignores_what_is_undeclared() -> None:
    schema = schemas.check_schema(
        PROP,
        {
            "$ref": "#/definitions/Order",
            "definitions": {"Order": _object(status={"type": "string"})},
        },
    )
    assert schemas.property_type(schema, "status") == "S"
    assert schemas.property_type(schema, "missing") is None
    assert schemas.property_type({"type": "object"}, "status") is None


# validator_source


def test_the_generated_module_says_it_is_generated_and_by_what() -> None:
    header = schemas.validator_source(ORDER_SCHEMA).splitlines()[:3]
    assert header[0].startswith("# Generated by cdk-serverless-crud")
    assert f"fastjsonschema {fastjsonschema.VERSION}" in " ".join(header)
    assert "Do not edit" in " ".join(header)


def test_the_generated_module_needs_python_3_11_and_fastjsonschema_only() -> None:
    tree = ast.parse(schemas.validator_source(ORDER_SCHEMA), feature_version=(3, 11))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    roots = {str(name).split(".")[0] for name in imported}
    assert roots <= set(sys.stdlib_module_names) | {"fastjsonschema"}
    assert "fastjsonschema" in roots


def test_the_same_schema_gives_the_same_text_whatever_its_key_order() -> None:
    reordered = json.loads(json.dumps(ORDER_SCHEMA, sort_keys=True))
    reordered["properties"] = dict(reversed(reordered["properties"].items()))
    assert schemas.validator_source(ORDER_SCHEMA) == schemas.validator_source(ORDER_SCHEMA)
    assert schemas.validator_source(reordered) == schemas.validator_source(ORDER_SCHEMA)


def test_the_same_schema_gives_the_same_text_in_another_process() -> None:
    script = (
        "import json, sys\n"
        "from cdk_serverless_crud.contract import schemas\n"
        "sys.stdout.write(schemas.validator_source(json.loads(sys.stdin.read())))\n"
    )
    texts = {
        subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(ORDER_SCHEMA),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert texts == {schemas.validator_source(ORDER_SCHEMA)}


def test_a_valid_order_passes_unchanged() -> None:
    schema = copy.deepcopy(ORDER_SCHEMA)
    schema["properties"]["note"]["default"] = "none"
    order = copy.deepcopy(VALID_ORDER)
    del order["note"]
    assert validator(schema)(order) == order
    # Defaults are documentation: validating does not write them into the item.
    assert "note" not in order


def test_a_root_id_and_percent_encoded_refs_still_give_validate() -> None:
    schema = schemas.check_schema(
        PROP,
        {
            "$id": "https://example.com/order.json",
            **_object(total={"$ref": "#/$defs/Big%20Money"}),
            "$defs": {"Big Money": {"type": "number", "minimum": 1000}},
        },
    )
    assert failures(validator(schema), {"total": 5}) == [("data.total", "minimum")]


def test_every_failing_field_is_reported() -> None:
    order = {
        **VALID_ORDER,
        "id": "not-a-uuid",
        "status": "lost",
        "customer": "ada",
        "placedAt": "2025-03-01 12:30",
        "deliverOn": "2025-02-30",
        "quantity": 0,
        "total": 0,
        "note": "x" * 21,
        "shipTo": {"street": "", "country": "FR", "floor": 2},
        "coupon": "FREE",
    }
    assert sorted(failures(validator(ORDER_SCHEMA), order)) == sorted(
        [
            ("data", "additionalProperties"),
            ("data.id", "format"),
            ("data.status", "enum"),
            ("data.customer", "format"),
            ("data.placedAt", "format"),
            ("data.deliverOn", "format"),
            ("data.quantity", "minimum"),
            ("data.total", "exclusiveMinimum"),
            ("data.note", "maxLength"),
            ("data.shipTo", "additionalProperties"),
            ("data.shipTo.street", "minLength"),
        ]
    )


def test_missing_fields_and_wrong_types_are_reported_with_paths() -> None:
    validate = validator(ORDER_SCHEMA)
    try:
        validate({"id": 7, "quantity": "3", "shipTo": {"street": "x"}})
    except fastjsonschema.JsonSchemaValuesException as error:
        found = {(tuple(failure.path), failure.rule) for failure in error.errors}
    assert found == {
        (("data",), "required"),
        (("data", "id"), "type"),
        (("data", "quantity"), "type"),
        (("data", "shipTo"), "required"),
    }
    assert failures(validate, []) == [("data", "type")]


@pytest.mark.parametrize(
    ("format_", "valid", "invalid"),
    [
        ("date-time", "2025-03-01T12:30:00.5+01:00", "2025-03-01"),
        ("date", "2024-02-29", "2023-02-29"),
        ("email", "ada@example.com", "ada@example"),
        ("uuid", "0B5E9F3C-8D1A-4C1E-9A55-3F0B6A1E2D4C", "0b5e9f3c8d1a4c1e9a553f0b6a1e2d4c"),
    ],
)
def test_formats_are_checked(format_: str, valid: str, invalid: str) -> None:
    schema = schemas.check_schema(PROP, _object(value={"type": "string", "format": format_}))
    validate = validator(schema)
    assert failures(validate, {"value": valid}) == []
    assert failures(validate, {"value": invalid}) == [("data.value", "format")]


# Schemas and bodies on which the generated validator must agree with jsonschema, the
# reference implementation (no formats: the two check different format grammars).
AGREEMENT: list[tuple[dict[str, Any], list[Any]]] = [
    (
        _object(
            name={"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"},
            score={"type": "number", "minimum": 0, "exclusiveMaximum": 10},
            count={"type": "integer", "multipleOf": 5},
        ),
        [
            {"name": "abc", "score": 0, "count": 10},
            {"name": "a", "score": 10, "count": 7},
            {"name": "abcde", "score": -1, "count": 2.5},
            {"name": "ABC", "score": 9.99, "count": 10.0},
            {"name": 3, "score": "1", "count": True},
        ],
    ),
    (
        {
            "type": "object",
            "properties": {
                "kind": {"const": "circle"},
                "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                "point": {"type": "array", "items": [{"type": "number"}], "additionalItems": False},
            },
            "if": {"properties": {"kind": {"const": "circle"}}, "required": ["kind"]},
            "then": {"required": ["radius"]},
            "else": {"required": ["side"]},
            "oneOf": [{"required": ["radius"]}, {"required": ["side"]}],
            "not": {"required": ["secret"]},
        },
        [
            {"kind": "circle", "radius": 1},
            {"kind": "circle", "side": 1},
            {"side": 2, "tags": ["a", "b"]},
            {"side": 2, "tags": ["a", "a"]},
            {"radius": 1, "side": 2},
            {"kind": "square", "side": 1, "point": [1]},
            {"side": 1, "point": [1, 2]},
            {"side": 1, "secret": True},
        ],
    ),
    (
        {
            "type": "object",
            "properties": {"child": {"$ref": "#"}, "n": {"anyOf": [{"type": "null"}, True]}},
            "propertyNames": {"maxLength": 5},
            "contains": False,
            "dependencies": {"a": ["b"], "c": {"required": ["d"]}},
            "minProperties": 1,
            "maxProperties": 3,
        },
        [
            {"child": {"child": {"n": None}}},
            {"child": {"child": {"toolong": 1}}},
            {"a": 1},
            {"a": 1, "b": 2},
            {"c": 1},
            {"c": 1, "d": 2},
            {},
            {"a": 1, "b": 2, "c": 3, "d": 4},
        ],
    ),
]


@pytest.mark.parametrize(("schema", "bodies"), AGREEMENT)
def test_the_generated_validator_agrees_with_the_reference(
    schema: dict[str, Any], bodies: list[Any]
) -> None:
    validate = validator(schemas.check_schema(PROP, schema))
    reference = Draft7Validator(schema)
    verdicts = [(bool(failures(validate, body)), not reference.is_valid(body)) for body in bodies]
    assert all(generated == expected for generated, expected in verdicts)
    assert {refused for refused, _ in verdicts} == {True, False}


# The Lambda function parses JSON numbers as decimal.Decimal. These pin what
# fastjsonschema does with them, so the runtime converts numbers before validating.


def as_json_numbers(value: Any) -> Any:
    """``value`` with each Decimal as the int or float that json.loads would give."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: as_json_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json_numbers(item) for item in value]
    return value


DECIMAL_CASES: list[tuple[dict[str, Any], Decimal, bool]] = [
    ({"type": "number"}, Decimal("1.5"), True),
    ({"type": "integer"}, Decimal("3"), True),
    ({"type": "integer"}, Decimal("3.0"), True),
    ({"type": "integer"}, Decimal("3.5"), False),
    ({"minimum": 0.1}, Decimal("0.1"), True),
    ({"maximum": 0.3}, Decimal("0.3"), True),
    ({"exclusiveMaximum": 0.1}, Decimal("0.1"), False),
    ({"minimum": 1, "maximum": 5}, Decimal("6"), False),
    ({"multipleOf": 2}, Decimal("4"), True),
    ({"multipleOf": 0.01}, Decimal("0.07"), True),
    ({"multipleOf": 0.5}, Decimal("1.2"), False),
    ({"enum": [1, 2.5]}, Decimal("1"), True),
    ({"enum": [1, 2.5]}, Decimal("2.5"), True),
    ({"const": 10}, Decimal("1E+1"), True),
]


@pytest.mark.parametrize(("declared", "number", "valid"), DECIMAL_CASES)
def test_decimals_converted_to_int_or_float_are_judged_as_json_numbers(
    declared: dict[str, Any], number: Decimal, valid: bool
) -> None:
    validate = validator(_object(n=declared))
    assert (failures(validate, as_json_numbers({"n": number})) == []) is valid


@pytest.mark.parametrize(
    ("declared", "number"),
    [
        ({"type": "integer"}, Decimal("3")),
        ({"enum": [1, 2]}, Decimal("1")),
        ({"const": 1}, Decimal("1")),
        ({"minimum": 0.1}, Decimal("0.1")),
        ({"maximum": 0.3}, Decimal("0.3")),
    ],
)
def test_raw_decimals_are_misjudged(declared: dict[str, Any], number: Decimal) -> None:
    """If fastjsonschema learns decimals, the runtime's conversion can go."""
    assert failures(validator(_object(n=declared)), {"n": number}) != []


def test_a_raw_decimal_against_a_fractional_multiple_crashes() -> None:
    with pytest.raises(InvalidOperation):
        validator(_object(n={"multipleOf": 0.01}))({"n": Decimal("0.07")})
