"""A realistic typed collection for the benchmarks: a product with 30 properties.

Strings with lengths, patterns, enums and formats (date-time, date, email, uri, uuid),
numbers and integers with ranges, booleans, arrays, and three ``$defs`` objects (an
address, dimensions, a variant) referenced with ``$ref``; ``required`` and
``additionalProperties: false`` throughout. Bodies of a given size grow the ``variants``
array, the part of a product that grows in real catalogues.
"""

from __future__ import annotations

import copy
import json
from typing import Any

ADDRESS = {
    "type": "object",
    "properties": {
        "street": {"type": "string", "minLength": 1, "maxLength": 200},
        "city": {"type": "string", "minLength": 1, "maxLength": 100},
        "postcode": {"type": "string", "pattern": "^[A-Z0-9 -]{3,10}$"},
        "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
    },
    "required": ["street", "city", "country"],
    "additionalProperties": False,
}
DIMENSIONS = {
    "type": "object",
    "properties": {
        "width": {"type": "number", "exclusiveMinimum": 0, "maximum": 10000},
        "height": {"type": "number", "exclusiveMinimum": 0, "maximum": 10000},
        "depth": {"type": "number", "exclusiveMinimum": 0, "maximum": 10000},
        "unit": {"type": "string", "enum": ["mm", "cm", "m", "in"]},
    },
    "required": ["width", "height", "depth", "unit"],
    "additionalProperties": False,
}
VARIANT = {
    "type": "object",
    "properties": {
        "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4,8}-[A-Z0-9]{1,4}$"},
        "colour": {"type": "string", "enum": ["black", "white", "red", "green", "blue"]},
        "size": {"type": "string", "enum": ["XS", "S", "M", "L", "XL", "XXL"]},
        "price": {"type": "number", "minimum": 0, "maximum": 1000000},
        "stock": {"type": "integer", "minimum": 0},
        "barcode": {"type": "string", "pattern": "^[0-9]{13}$"},
    },
    "required": ["sku", "price", "stock"],
    "additionalProperties": False,
}

PRODUCT_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Product",
    "type": "object",
    "properties": {
        "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4,8}$"},
        "product_id": {"type": "string", "format": "uuid"},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string", "maxLength": 5000},
        "status": {"type": "string", "enum": ["draft", "active", "discontinued", "archived"]},
        "category": {
            "type": "string",
            "enum": ["apparel", "footwear", "garden", "kitchen", "office", "sports", "toys"],
        },
        "brand": {"type": "string", "minLength": 1, "maxLength": 100},
        "price": {"type": "number", "minimum": 0, "maximum": 1000000},
        "currency": {"type": "string", "enum": ["EUR", "GBP", "JPY", "USD"]},
        "discount": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        "tax_rate": {"type": "number", "minimum": 0, "maximum": 0.5},
        "stock": {"type": "integer", "minimum": 0},
        "min_order": {"type": "integer", "minimum": 1, "maximum": 1000},
        "weight_kg": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
        "rating": {"type": "number", "minimum": 0, "maximum": 5, "multipleOf": 0.5},
        "reviews": {"type": "integer", "minimum": 0},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "release_date": {"type": "string", "format": "date"},
        "contact_email": {"type": "string", "format": "email", "maxLength": 254},
        "homepage": {"type": "string", "format": "uri"},
        "barcode": {"type": "string", "pattern": "^[0-9]{13}$"},
        "active": {"type": "boolean"},
        "fragile": {"type": "boolean"},
        "tags": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 50},
            "maxItems": 100,
            "uniqueItems": True,
        },
        "dimensions": {"$ref": "#/$defs/Dimensions"},
        "manufacturer": {"$ref": "#/$defs/Address"},
        "warehouse": {"$ref": "#/$defs/Address"},
        "variants": {"type": "array", "items": {"$ref": "#/$defs/Variant"}, "maxItems": 5000},
        "notes": {"type": ["string", "null"], "maxLength": 1000},
    },
    "required": ["sku", "product_id", "name", "status", "price", "currency", "stock"],
    "additionalProperties": False,
    "$defs": {"Address": ADDRESS, "Dimensions": DIMENSIONS, "Variant": VARIANT},
}

_BASE: dict[str, Any] = {
    "sku": "ABC-12345",
    "product_id": "6f1c2a9e-4b7d-4c3e-9a51-0d2e8f7b6a43",
    "name": "Trail running shoe",
    "description": "Light, grippy and made for long days on rough ground.",
    "status": "active",
    "category": "footwear",
    "brand": "Northwind",
    "price": 129.95,
    "currency": "EUR",
    "discount": 0.15,
    "tax_rate": 0.2,
    "stock": 1250,
    "min_order": 1,
    "weight_kg": 0.62,
    "rating": 4.5,
    "reviews": 318,
    "created_at": "2025-03-01T09:30:00Z",
    "updated_at": "2025-11-20T17:05:42Z",
    "release_date": "2025-04-15",
    "contact_email": "catalogue@example.com",
    "homepage": "https://example.com/products/abc-12345",
    "barcode": "4006381333931",
    "active": True,
    "fragile": False,
    "tags": ["running", "trail", "waterproof"],
    "dimensions": {"width": 12.5, "height": 11, "depth": 31, "unit": "cm"},
    "manufacturer": {
        "street": "1 Mill Lane",
        "city": "Leeds",
        "postcode": "LS1 4AP",
        "country": "GB",
    },
    "warehouse": {
        "street": "Hafenstrasse 7",
        "city": "Hamburg",
        "postcode": "20457",
        "country": "DE",
    },
    "variants": [],
    "notes": None,
}
_COLOURS = VARIANT["properties"]["colour"]["enum"]
_SIZES = VARIANT["properties"]["size"]["enum"]


def _variant(n: int) -> dict[str, Any]:
    return {
        "sku": f"ABC-12345-{n % 10000:04d}",
        "colour": _COLOURS[n % len(_COLOURS)],
        "size": _SIZES[n % len(_SIZES)],
        "price": round(99.95 + (n % 7) * 5, 2),
        "stock": (n * 37) % 500,
        "barcode": f"{4006381000000 + n:013d}",
    }


def product_body(size: int) -> dict[str, Any]:
    """A valid product whose JSON is about ``size`` bytes (at least the 30 properties)."""
    body = copy.deepcopy(_BASE)
    while len(json.dumps(body)) < size:
        body["variants"].append(_variant(len(body["variants"])))
    return body


#: Errors an invalid body has at the top level, besides one per tenth variant.
TOP_LEVEL_ERRORS = 5


def invalid_product_body(size: int) -> dict[str, Any]:
    """``product_body(size)`` with 5 top-level errors and one in every tenth variant.

    A wrong enum, a price below its minimum, a malformed date-time, a missing required
    property and one not in the schema; each tenth variant has a negative stock. The
    validator collects every error, as the function does.
    """
    body = product_body(size)
    body["status"] = "sold-out"
    body["price"] = -1
    body["created_at"] = "yesterday"
    del body["currency"]
    body["colour"] = "red"
    for variant in body["variants"][::10]:
        variant["stock"] = -1
    return body


def expected_errors(body: dict[str, Any]) -> int:
    """How many errors ``invalid_product_body`` put in ``body``."""
    return TOP_LEVEL_ERRORS + len(body["variants"][::10])
