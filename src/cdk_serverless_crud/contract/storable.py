"""What DynamoDB can store, as OpenAPI 3.1 component schemas the documents refer to.

The runtime refuses, at every depth of an item's data, an object key of 0 or more than
65535 bytes and a number DynamoDB cannot store (runtime/item_service/documents.py).
Nesting deeper than 31 levels and more than 38 significant digits are refused too;
JSON Schema cannot count either, so only the descriptions say them.
"""

from __future__ import annotations

from typing import Any

from cdk_serverless_crud.contract.component_schemas import COMPONENTS

DYNAMODB_NUMBER = "DynamoDBNumber"
"""The component that limits numbers to DynamoDB's range and lets any other value by."""
STORABLE_VALUE = "StorableValue"
"""The component of any JSON value DynamoDB can store, at any depth."""


def storable_components() -> dict[str, Any]:
    """``DynamoDBNumber`` and ``StorableValue``, by name."""
    return {
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
        STORABLE_VALUE: {
            "description": "Any JSON value DynamoDB can store: object keys of 1 byte to 64 KB "
            "in UTF-8, numbers as DynamoDBNumber says, at most 31 levels of nested objects "
            "and arrays in an item's data (the data itself is level 1), valid Unicode.",
            "type": ["object", "array", "string", "number", "boolean", "null"],
            "propertyNames": {"minLength": 1, "maxLength": 65535},
            "additionalProperties": {"$ref": COMPONENTS + STORABLE_VALUE},
            "items": {"$ref": COMPONENTS + STORABLE_VALUE},
            "allOf": [{"$ref": COMPONENTS + DYNAMODB_NUMBER}],
        },
    }
