"""The shop's JSON Schemas (draft-07): what an order and a customer look like."""

ADDRESS = {
    "type": "object",
    "properties": {
        "street": {"type": "string", "minLength": 1, "maxLength": 200},
        "city": {"type": "string", "minLength": 1, "maxLength": 100},
        "postcode": {"type": "string", "pattern": "^[A-Z0-9 -]{3,10}$"},
    },
    "required": ["street", "city"],
    "additionalProperties": False,
}

ORDER_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order",
    "type": "object",
    "properties": {
        "customer_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "status": {"type": "string", "enum": ["new", "paid", "shipped", "cancelled"]},
        "placed_at": {"type": "string", "format": "date-time"},
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string", "minLength": 1},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "unit_price": {"type": "number", "minimum": 0},
                },
                "required": ["sku", "quantity", "unit_price"],
                "additionalProperties": False,
            },
        },
        "shipping_address": {"$ref": "#/$defs/Address"},
    },
    "required": ["customer_id", "status", "lines"],
    "additionalProperties": False,
    "$defs": {"Address": ADDRESS},
}

CUSTOMER_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Customer",
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "joined": {"type": "string", "format": "date"},
        "address": {"$ref": "#/$defs/Address"},
    },
    "required": ["name", "email"],
    "additionalProperties": False,
    "$defs": {"Address": ADDRESS},
}
