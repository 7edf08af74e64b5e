"""The one table of where a JSON Schema holds subschemas, read per dialect."""

from __future__ import annotations

from typing import Any

from cdk_serverless_crud.contract.schema_walk import (
    DRAFT_4,
    DRAFT_7,
    DRAFT_2020_12,
    children,
    map_subschemas,
    walk,
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"a": {"type": "string"}, "b": {"$ref": "#/$defs/B"}},
    "items": [{"type": "number"}, True],
    "dependencies": {"a": ["b"], "c": {"required": ["a"]}},
    "if": {"required": ["a"]},
    "prefixItems": [{"type": "null"}],
    "enum": [{"properties": {"not": "a schema"}}],
    "$defs": {"B": {"type": "integer"}},
}


def paths(schema: dict[str, Any], dialect: str) -> list[tuple[str, ...]]:
    return [relative for relative, _ in children(schema, dialect)]


def test_each_dialect_finds_the_subschemas_its_keywords_hold() -> None:
    assert paths(SCHEMA, DRAFT_7) == [
        ("properties", "a"),
        ("properties", "b"),
        ("items", "0"),
        ("items", "1"),
        ("dependencies", "c"),
        ("if",),
        ("$defs", "B"),
    ]
    # Draft 4 has no if, nor $defs; 2020-12's items is one schema, and its tuples prefixItems.
    assert ("if",) not in paths(SCHEMA, DRAFT_4)
    assert ("$defs", "B") not in paths(SCHEMA, DRAFT_4)
    assert ("prefixItems", "0") in paths(SCHEMA, DRAFT_2020_12)
    assert ("items",) in paths(SCHEMA, DRAFT_2020_12)
    assert ("dependencies", "c") not in paths(SCHEMA, DRAFT_2020_12)


def test_a_walk_reaches_every_subschema_once_and_the_targets_of_references() -> None:
    found = [
        (path, via)
        for path, via, _ in walk({"properties": {"a": {"$ref": "#/x"}}, "x": {}}, DRAFT_7)
    ]

    assert found == [((), None), (("properties", "a"), "properties"), (("x",), "$ref")]


def test_a_map_rebuilds_each_subschema_and_copies_the_rest() -> None:
    mapped = map_subschemas(SCHEMA, lambda path, _: "/".join(path), DRAFT_7)

    assert mapped["properties"] == {"a": "properties/a", "b": "properties/b"}
    assert mapped["items"] == ["items/0", "items/1"]
    assert mapped["dependencies"] == {"a": ["b"], "c": "dependencies/c"}
    assert mapped["prefixItems"] == SCHEMA["prefixItems"]
    assert mapped["enum"] == SCHEMA["enum"]
    assert mapped["enum"] is not SCHEMA["enum"]
    assert list(mapped) == list(SCHEMA)
