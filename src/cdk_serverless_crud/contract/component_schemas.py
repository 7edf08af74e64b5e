"""A collection's JSON Schema (draft-07) as OpenAPI 3.1 component schemas (JSON Schema 2020-12).

Inside an OpenAPI document a ``$ref`` resolves against the document, not against the
collection's schema: ``#/$defs/Address`` would point at the document's root. So the root's
``$defs`` and ``definitions`` become components of their own, every reference is rewritten
to the component it means, and the keywords whose meaning changed after draft-07 are
spelled the 2020-12 way. The result validates exactly what the draft-07 schema validates.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

COMPONENTS = "#/components/schemas/"
"""Where a reference to a component schema starts."""

_NOT_IN_A_COMPONENT_NAME = re.compile(r"[^A-Za-z0-9._-]")
# Keywords whose value is one schema, a map of names to schemas, or a list of schemas.
_SCHEMA = frozenset(
    {"additionalProperties", "contains", "propertyNames", "not", "if", "then", "else"}
)
_SCHEMA_MAP = frozenset({"properties", "patternProperties"})
_SCHEMA_LIST = frozenset({"allOf", "anyOf", "oneOf"})
_DEFINITIONS = ("$defs", "definitions")
# Keywords draft-07 ignores but 2020-12 applies: carrying them over would change what
# validates, and the runtime validates with draft-07.
_LATER = frozenset(
    {
        "prefixItems",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedItems",
        "unevaluatedProperties",
        "minContains",
        "maxContains",
        "contentSchema",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "$recursiveAnchor",
        "$vocabulary",
    }
)
# Draft-07 ignores a $ref's siblings and 2020-12 applies them, so only annotations stay.
_ANNOTATIONS = frozenset(
    {"title", "description", "$comment", "default", "examples", "readOnly", "writeOnly"}
)
# What a URI fragment may hold besides letters, digits and "-._~" (RFC 3986 pchar).
_POINTER_SAFE = "!$&'()*+,;=:@"


def component_schemas(prop: str, schema: Mapping[str, Any], name: str) -> dict[str, Any]:
    """``schema`` as components: ``name`` for its root, ``name.<Def>`` for each root definition.

    Every ``$ref`` in the result points into ``#/components/schemas/``. Raises ValueError
    naming ``prop`` for what an OpenAPI document cannot carry: a reference to another
    document or to an anchor, one that does not resolve, or an ``$id`` below the root.
    """
    hoisted = _definition_names(prop, schema, name)
    converter = _Converter(prop, schema, name, hoisted)
    root = {key: value for key, value in schema.items() if key not in (*_DEFINITIONS, "$id")}
    components: dict[str, Any] = {name: converter.schema(root, "")}
    for (keyword, key), component in hoisted.items():
        components[component] = converter.schema(schema[keyword][key], _pointer(keyword, key))
    return components


def _definition_names(
    prop: str, schema: Mapping[str, Any], name: str
) -> dict[tuple[str, str], str]:
    """The component name of each root definition, unique even once sanitized."""
    names: dict[tuple[str, str], str] = {}
    for keyword in _DEFINITIONS:
        definitions = schema.get(keyword, {})
        if not isinstance(definitions, Mapping):
            raise ValueError(f"{prop}: {keyword} must be an object of schemas.")
        for key in definitions:
            base = f"{name}.{_NOT_IN_A_COMPONENT_NAME.sub('_', key) or '_'}"
            candidate, count = base, 1
            while candidate in names.values():
                count += 1
                candidate = f"{base}-{count}"
            names[(keyword, key)] = candidate
    return names


@dataclass(frozen=True)
class _Converter:
    """Converts the subschemas of one draft-07 schema, whose root definitions are hoisted."""

    prop: str
    root: Mapping[str, Any]
    name: str
    hoisted: Mapping[tuple[str, str], str]

    def schema(self, node: Any, pointer: str) -> Any:
        """The 2020-12 form of the draft-07 subschema ``node``, found at ``pointer``."""
        if isinstance(node, bool):
            return node
        if not isinstance(node, Mapping):
            raise ValueError(f"{self.prop}: {pointer or '/'} is neither a schema nor a boolean.")
        if "$id" in node:
            raise ValueError(
                f"{self.prop}: the $id at {pointer} changes how references below it resolve, "
                "which an OpenAPI document cannot keep; remove it and refer by JSON pointer."
            )
        if "$ref" in node:
            reference = {"$ref": self.reference(node["$ref"], f"{pointer}/$ref")}
            annotations = {k: copy.deepcopy(v) for k, v in node.items() if k in _ANNOTATIONS}
            return {**reference, **annotations}
        converted: dict[str, Any] = {}
        for keyword, value in node.items():
            here = f"{pointer}{_pointer(keyword)}"
            if keyword in _SCHEMA:
                converted[keyword] = self.schema(value, here)
            elif keyword in _SCHEMA_MAP:
                converted[keyword] = self.schemas(value, here)
            elif keyword in _DEFINITIONS:
                self.merge_definitions(converted, self.schemas(value, here), pointer)
            elif keyword in _SCHEMA_LIST or (keyword == "items" and isinstance(value, list)):
                if not isinstance(value, list):
                    raise ValueError(f"{self.prop}: {here} must be an array of schemas.")
                schemas = [self.schema(sub, f"{here}/{i}") for i, sub in enumerate(value)]
                converted["prefixItems" if keyword == "items" else keyword] = schemas
                if keyword == "items" and "additionalItems" in node:
                    additional = node["additionalItems"]
                    converted["items"] = self.schema(additional, f"{pointer}/additionalItems")
            elif keyword == "items":
                converted["items"] = self.schema(value, here)
            elif keyword == "dependencies":
                if not isinstance(value, Mapping):
                    raise ValueError(f"{self.prop}: {here} must be an object.")
                for key, dependency in value.items():
                    if isinstance(dependency, list):
                        converted.setdefault("dependentRequired", {})[key] = list(dependency)
                    else:
                        schema = self.schema(dependency, f"{here}{_pointer(key)}")
                        converted.setdefault("dependentSchemas", {})[key] = schema
            elif keyword not in _LATER and keyword not in ("additionalItems", "$schema"):
                converted[keyword] = copy.deepcopy(value)
        return converted

    def schemas(self, value: Any, pointer: str) -> dict[str, Any]:
        """The 2020-12 form of a map of names to subschemas, such as ``properties``."""
        if not isinstance(value, Mapping):
            raise ValueError(f"{self.prop}: {pointer} must be an object of schemas.")
        return {key: self.schema(sub, f"{pointer}{_pointer(key)}") for key, sub in value.items()}

    def merge_definitions(
        self, converted: dict[str, Any], definitions: dict[str, Any], pointer: str
    ) -> None:
        """Keep a nested ``definitions`` as ``$defs``, the keyword 2020-12 knows."""
        existing = converted.setdefault("$defs", {})
        for key, definition in definitions.items():
            if key in existing:
                raise ValueError(
                    f"{self.prop}: {pointer or '/'} defines {key!r} in both $defs and "
                    "definitions; keep one."
                )
            existing[key] = definition

    def reference(self, ref: Any, pointer: str) -> str:
        """``ref``, a draft-07 reference within the schema, as one to the component it means."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise ValueError(
                f"{self.prop}: the $ref {ref!r} at {pointer} leaves the schema; an OpenAPI "
                "document can only carry references within it, such as '#/$defs/Address'."
            )
        fragment = unquote(ref[1:])
        if fragment and not fragment.startswith("/"):
            raise ValueError(
                f"{self.prop}: the $ref {ref!r} at {pointer} names an anchor; refer to the "
                "schema by JSON pointer instead, such as '#/$defs/Address'."
            )
        segments = [_unescape(segment) for segment in fragment.split("/")[1:]]
        unresolved = ValueError(f"{self.prop}: the $ref {ref!r} at {pointer} does not resolve.")
        component, target, rest = self.name, self.root, segments
        if segments and segments[0] in _DEFINITIONS:
            if len(segments) < 2 or (segments[0], segments[1]) not in self.hoisted:
                raise unresolved
            component = self.hoisted[(segments[0], segments[1])]
            target, rest = self.root[segments[0]][segments[1]], segments[2:]
        try:
            translated = _translate(target, rest)
        except (LookupError, TypeError, ValueError) as error:
            raise unresolved from error
        return COMPONENTS + component + quote(_pointer(*translated), safe="/" + _POINTER_SAFE)


def _translate(node: Any, segments: list[str]) -> list[str]:
    """A pointer into a draft-07 schema, as the same place in its 2020-12 conversion."""
    translated: list[str] = []
    rest = list(segments)
    while rest:
        keyword = rest.pop(0)
        if not isinstance(node, Mapping) or keyword not in node:
            raise LookupError(keyword)
        value = node[keyword]
        if "$ref" in node and keyword not in _ANNOTATIONS:
            raise LookupError(keyword)
        if keyword in _SCHEMA:
            translated.append(keyword)
            node = value
        elif keyword in _SCHEMA_MAP or keyword in _DEFINITIONS or keyword == "dependencies":
            key = rest.pop(0)
            node = value[key]
            if keyword == "dependencies":
                keyword = "dependentRequired" if isinstance(node, list) else "dependentSchemas"
            translated += ["$defs" if keyword in _DEFINITIONS else keyword, key]
        elif keyword in _SCHEMA_LIST or (keyword == "items" and isinstance(value, list)):
            index = rest.pop(0)
            if not index.isdigit():
                raise LookupError(index)
            node = value[int(index)]
            translated += ["prefixItems" if keyword == "items" else keyword, index]
        elif keyword == "items" or (
            keyword == "additionalItems" and isinstance(node.get("items"), list)
        ):
            translated.append("items")
            node = value
        elif keyword in _LATER or keyword in ("additionalItems", "$schema", "$id"):
            raise LookupError(keyword)
        else:
            # Not a schema (enum, const, default...): its value is copied as it is.
            return [*translated, keyword, *rest]
    return translated


def _pointer(*segments: str) -> str:
    """Segments as a JSON pointer: ``/properties/a~1b``."""
    return "".join("/" + segment.replace("~", "~0").replace("/", "~1") for segment in segments)


def _unescape(segment: str) -> str:
    """A JSON pointer segment's text: ``a~1b`` is ``a/b``."""
    return segment.replace("~1", "/").replace("~0", "~")
