"""A collection's JSON Schema checked at synth time, before anything reads it.

A collection's schema is JSON Schema draft-07, written by the user, and it is read by the
Lambda function (compiled by ``schema_compiler``) and the OpenAPI document.
``check_schema`` refuses, with the prop, the keyword and its JSON pointer in the message,
any schema that would fail later. Every later reading relies on what it checked: the
``$ref``s are local and resolve, and only the root has an ``$id``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Literal

import jsonschema  # type: ignore[import-untyped]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

from cdk_serverless_crud.contract.schema_compiler import (
    SUPPORTED_FORMATS,
    compile_schema,
    compiles,
)
from cdk_serverless_crud.contract.schema_walk import (
    DRAFT_7,
    Path,
    follow_refs,
    keyword_at,
    lookup,
    map_subschemas,
    pointer,
    ref_path,
    walk,
)

#: The ways of writing draft-07's meta-schema URI that mean draft-07.
_DRAFT_7_URIS = frozenset(
    f"{scheme}://json-schema.org/draft-07/schema{fragment}"
    for scheme in ("http", "https")
    for fragment in ("", "#")
)

_META_SCHEMA = jsonschema.Draft7Validator(
    jsonschema.Draft7Validator.META_SCHEMA,
    format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
)


def check_schema(prop: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """A deep, JSON-only copy of ``schema`` once it is a valid draft-07 object schema.

    Raises ValueError naming ``prop``, the failing keyword and its JSON pointer
    (RFC 6901) inside the schema. Beyond draft-07's meta-schema, the schema must describe
    objects (the root's ``"type": "object"``), its ``$ref``s must be local and resolve
    (the function has no network to fetch others), its formats must be ones the
    generated validator checks, and fastjsonschema must compile it.
    """
    if not isinstance(schema, Mapping):
        raise _schema_error(prop, (), None, f"must be a JSON Schema object; got {schema!r}")
    _check_json(prop, schema, schema, ())
    document: dict[str, Any] = json.loads(json.dumps(schema))
    _check_dialect(prop, document)
    _check_meta_schema(prop, document, (), document)
    nodes = list(walk(document, DRAFT_7))
    for path, via, node in nodes:
        if via in ("$defs", "$ref"):
            # The meta-schema does not look inside $defs (a later draft's keyword), nor
            # at a $ref's target outside the known keywords.
            _check_meta_schema(prop, document, path, node)
        if isinstance(node, dict):
            _check_keywords(prop, document, path, node)
    for path, _, node in nodes:
        # Every link resolves (checked above): a chain that leads nowhere loops.
        if isinstance(node, dict) and "$ref" in node and follow_refs(document, node) is None:
            raise _schema_error(
                prop, (*path, "$ref"), "$ref", f"{node['$ref']!r} leads to $refs that loop"
            )
    _check_root_type(prop, document)
    _check_compiles(prop, document)
    return document


def property_type(schema: Mapping[str, Any], attribute: str) -> Literal["S", "N"] | None:
    """S if top-level ``attribute`` is declared a string, N a number or integer, else None.

    Follows local ``$ref``s, at the root and at the property. A list of one type counts
    as that type; several types, or none, give None: a DynamoDB key has one type.
    """
    root = follow_refs(schema, schema)
    properties = root.get("properties") if isinstance(root, Mapping) else None
    if not isinstance(properties, Mapping) or attribute not in properties:
        return None
    declared = follow_refs(schema, properties[attribute])
    if not isinstance(declared, Mapping):
        return None
    types = declared.get("type")
    if isinstance(types, list) and len(types) == 1:
        types = types[0]
    if types == "string":
        return "S"
    if types in ("number", "integer"):
        return "N"
    return None


def property_sort_type(
    schema: Mapping[str, Any], attribute: str
) -> Literal["string", "date", "date-time", "number"] | None:
    """How a sorted index orders top-level ``attribute``: ``number`` for a number or
    integer, ``date-time`` or ``date`` for a string of that ``format``, ``string`` for
    another string; None for anything else (as :func:`property_type`)."""
    kind = property_type(schema, attribute)
    if kind == "N":
        return "number"
    if kind is None:
        return None
    root = follow_refs(schema, schema)
    declared = follow_refs(schema, root["properties"][attribute])
    fmt = declared.get("format")
    if fmt == "date-time":
        return "date-time"
    if fmt == "date":
        return "date"
    return "string"


def _schema_error(prop: str, path: Path, keyword: str | None, detail: str) -> ValueError:
    """The ValueError for a schema's mistake at ``path``, in the keyword ``keyword``."""
    where = repr(pointer(path)) if path else "the root"
    if keyword is None:
        return ValueError(f"{prop}: at {where}: {detail}")
    return ValueError(f"{prop}: keyword {keyword!r} at {where}: {detail}")


def _check_json(prop: str, root: Mapping[str, Any], value: Any, path: Path) -> None:
    """Refuse what a JSON round trip would lose or change: sets, NaN, non-string keys."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _schema_error(
                prop, path, keyword_at(root, path, DRAFT_7), f"{value!r} is not a JSON number"
            )
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _schema_error(
                    prop,
                    path,
                    keyword_at(root, path, DRAFT_7),
                    f"JSON object keys are strings; got the key {key!r}",
                )
            _check_json(prop, root, item, (*path, key))
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(prop, root, item, (*path, str(index)))
        return
    raise _schema_error(
        prop,
        path,
        keyword_at(root, path, DRAFT_7),
        f"{type(value).__name__} {value!r} is not a JSON value",
    )


def _check_dialect(prop: str, document: dict[str, Any]) -> None:
    """Refuse a ``$schema`` other than draft-07: the checks and the compiler are draft-07's."""
    if "$schema" not in document:
        return
    dialect = document["$schema"]
    if not isinstance(dialect, str) or dialect not in _DRAFT_7_URIS:
        raise _schema_error(
            prop,
            ("$schema",),
            "$schema",
            f"JSON Schema draft-07 ({DRAFT_7}) is the supported dialect; got {dialect!r}",
        )


def _check_meta_schema(prop: str, document: dict[str, Any], path: Path, node: Any) -> None:
    """Refuse ``node``, at ``path`` in ``document``, if draft-07's meta-schema does."""
    error = best_match(_META_SCHEMA.iter_errors(node))
    if error is None:
        return
    where = (*path, *(str(token) for token in error.absolute_path))
    keyword = keyword_at(document, where, DRAFT_7) or error.validator
    detail = error.message
    if error.context:
        # "not valid under any of the given schemas" says nothing of what would be.
        detail += " (" + "; ".join(alternative.message for alternative in error.context) + ")"
    raise _schema_error(prop, where, keyword, detail)


def _check_keywords(prop: str, document: dict[str, Any], path: Path, node: dict[str, Any]) -> None:
    """Refuse what the meta-schema allows but the generated validator cannot honour."""
    if "$id" in node and path:
        raise _schema_error(
            prop,
            (*path, "$id"),
            "$id",
            "only the root may have an $id: one inside changes what the $refs below it "
            "point at; move shared parts to the root's definitions or $defs",
        )
    if "$ref" in node:
        ref = node["$ref"]
        target = ref_path(ref)
        if target is None:
            raise _schema_error(
                prop,
                (*path, "$ref"),
                "$ref",
                f"only local references such as '#/definitions/Name' or '#/$defs/Name' are "
                f"supported (the function cannot fetch others); got {ref!r}",
            )
        found = lookup(document, target)
        if not isinstance(found, dict | bool):
            raise _schema_error(
                prop, (*path, "$ref"), "$ref", f"{ref!r} does not point at a schema in it"
            )
    if "format" in node and node["format"] not in SUPPORTED_FORMATS:
        raise _schema_error(
            prop,
            (*path, "format"),
            "format",
            f"unknown format {node['format']!r}; the validator checks "
            f"{', '.join(sorted(SUPPORTED_FORMATS))}",
        )


def _check_root_type(prop: str, document: dict[str, Any]) -> None:
    """Refuse a root that does not declare objects: a collection's items are objects."""
    path: Path = ()
    root: Any = document
    # The $refs are local, resolve and do not loop: checked before.
    while isinstance(root, dict) and "$ref" in root:
        path = ref_path(root["$ref"]) or ()
        root = lookup(document, path)
    declared = root.get("type") if isinstance(root, dict) else None
    if declared not in ("object", ["object"]):
        raise _schema_error(
            prop,
            (*path, "type"),
            "type",
            f'the root must declare "type": "object" (items are JSON objects); got {declared!r}',
        )


def _check_compiles(prop: str, document: dict[str, Any]) -> None:
    """Refuse what fastjsonschema cannot compile, such as a required property it forbids."""
    try:
        compile_schema(document)
    # The code generator is another library's: whatever it raises is the schema's mistake.
    except Exception as error:
        path, keyword = _compile_failure(document)
        raise _schema_error(
            prop, path, keyword, f"fastjsonschema cannot compile it: {error}"
        ) from error


def _compile_failure(document: dict[str, Any]) -> tuple[Path, str | None]:
    """Where ``document`` fails to compile: the deepest subschema that fails on its own.

    fastjsonschema's messages name no location, so each subschema is compiled alone,
    with its own subschemas emptied, and then keyword by keyword.
    """
    nodes = sorted(walk(document, DRAFT_7), key=lambda found: -len(found[0]))
    for path, _, node in nodes:
        if not isinstance(node, dict) or "$ref" in node:
            continue
        alone = _emptied(node)
        if compiles(alone):
            continue
        for keyword in alone:
            if not compiles({keyword: alone[keyword]}):
                return (*path, keyword), keyword
        for keyword in alone:
            if compiles({k: v for k, v in alone.items() if k != keyword}):
                return (*path, keyword), keyword
        return path, None
    return (), None


def _emptied(node: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``node`` whose subschema objects are ``{}`` (boolean ones stay)."""
    return map_subschemas(node, lambda _, child: {} if isinstance(child, dict) else child, DRAFT_7)
