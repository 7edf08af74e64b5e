"""JSON Schemas of typed collections: checked, converted for API Gateway, compiled.

STUB: the signatures are the contract; the bodies are being written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

DIALECT = "http://json-schema.org/draft-07/schema#"
DRAFT_4 = "http://json-schema.org/draft-04/schema#"


def check_schema(prop: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """A deep, JSON-only copy of ``schema`` once it is a valid draft-07 object schema.

    Raises ValueError naming ``prop``, the failing keyword and its JSON pointer.
    """
    return dict(schema)


def property_type(schema: Mapping[str, Any], attribute: str) -> Literal["S", "N"] | None:
    """S if top-level ``attribute`` is declared a string, N a number or integer, else None."""
    declared = schema.get("properties", {}).get(attribute, {})
    return {"string": "S", "number": "N", "integer": "N"}.get(declared.get("type"))  # type: ignore[return-value]


def draft_4_model(schema: Mapping[str, Any], title: str) -> dict[str, Any]:
    """The part of ``schema`` that JSON Schema draft 4 (API Gateway's models) can express."""
    return {"$schema": DRAFT_4, "title": title, "type": "object"}


def validator_source(schema: Mapping[str, Any]) -> str:
    """Python source of a module whose ``validate(data)`` raises on every failing field."""
    raise NotImplementedError
