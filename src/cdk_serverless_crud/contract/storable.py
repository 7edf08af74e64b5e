"""What DynamoDB can store, as OpenAPI 3.1 component schemas the documents refer to.

The runtime refuses, at every depth of an item's data, an object key of 0 or more than
65535 bytes and a number DynamoDB cannot store (runtime/item_service/documents.py), and
objects and arrays nested deeper than 31 levels. The schemas say the keys and numbers at
every depth. Nesting they say for arrays in arrays only: an array's members are one
component per level (``StorableArrayItem3`` to ``StorableArrayItem31``, then
``StorableScalar``), while an object's members refer back to ``StorableValue``.

Both halves serve tools: openapi-typescript types an array of its own schema as a type
that refers to itself, which ``tsc --strict`` refuses (TS2502), so no array may hold its
own schema; and tools that inline references (Swagger UI) would expand a schema whose
every level names the next twice into 2 ** 30 copies, so objects keep the cycle, which
they stop at. 38 significant digits, and the depth of objects, only the descriptions say.
"""

from __future__ import annotations

from typing import Any

from cdk_serverless_crud.contract.component_schemas import COMPONENTS

DYNAMODB_NUMBER = "DynamoDBNumber"
"""The component that limits numbers to DynamoDB's range and lets any other value by."""
STORABLE_VALUE = "StorableValue"
"""The component of any JSON value DynamoDB can store as a member of an item's data."""
STORABLE_ARRAY_ITEM = "StorableArrayItem"
"""The prefix of the components of an array's members, followed by their level."""
STORABLE_SCALAR = "StorableScalar"
"""The component of a value at the deepest level, where objects and arrays are refused."""
MAX_DEPTH = 31
"""Levels of nested objects and arrays in an item's data; the data itself is level 1."""

_TYPES = ["object", "array", "string", "number", "boolean", "null"]


def storable_components() -> dict[str, Any]:
    """``DynamoDBNumber``, ``StorableValue``, one ``StorableArrayItem<level>`` for each
    level an array's members may be at, and ``StorableScalar``, by name."""
    components: dict[str, Any] = {
        DYNAMODB_NUMBER: {
            "description": "A number DynamoDB can store: 0, or of a magnitude from 1E-130 to "
            "below 1E+126, with at most 38 significant digits. Any other value is let by.",
            # The bounds apply to numbers only, and every branch says its type: code
            # generators read an untyped branch as a type of its own.
            "if": {"type": "number"},
            "then": {
                "anyOf": [
                    {"type": "number", "const": 0},
                    {"type": "number", "minimum": 1e-130, "exclusiveMaximum": 1e126},
                    {"type": "number", "maximum": -1e-130, "exclusiveMinimum": -1e126},
                ]
            },
        },
        STORABLE_VALUE: _value(
            "Any JSON value DynamoDB can store as a member of an item's data: object keys of "
            "1 byte to 64 KB in UTF-8, numbers as DynamoDBNumber says, valid Unicode, and "
            f"objects and arrays nested at most {MAX_DEPTH} levels deep in the data (the "
            "data itself is level 1). Arrays in arrays say their depth (StorableArrayItem3 "
            "and on); an object's members are StorableValue again, so that tools that "
            "inline references stop there.",
            _array_item(3),
        ),
    }
    for level in range(3, MAX_DEPTH + 1):
        components[_array_item(level)] = _value(
            f"A member of an array, at level {level} of an item's data: StorableValue, "
            "with arrays one level deeper.",
            _array_item(level + 1),
        )
    components[STORABLE_SCALAR] = {
        "description": f"A member of an array at level {MAX_DEPTH}: a string, number, "
        "boolean or null, since DynamoDB nests no deeper.",
        "type": ["string", "number", "boolean", "null"],
        "allOf": [{"$ref": COMPONENTS + DYNAMODB_NUMBER}],
    }
    return components


def _array_item(level: int) -> str:
    """The component of an array's member at ``level`` of an item's data."""
    return STORABLE_SCALAR if level > MAX_DEPTH else f"{STORABLE_ARRAY_ITEM}{level}"


def _value(description: str, array_item: str) -> dict[str, Any]:
    """A storable value whose objects hold StorableValue and arrays ``array_item``."""
    return {
        "description": description,
        "type": list(_TYPES),
        "propertyNames": {"minLength": 1, "maxLength": 65535},
        "additionalProperties": {"$ref": COMPONENTS + STORABLE_VALUE},
        "items": {"$ref": COMPONENTS + array_item},
        "allOf": [{"$ref": COMPONENTS + DYNAMODB_NUMBER}],
    }
