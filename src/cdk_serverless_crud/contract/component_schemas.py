"""A collection's JSON Schema (draft-07) as OpenAPI 3.1 component schemas (JSON Schema 2020-12).

Inside an OpenAPI document a ``$ref`` resolves against the document, not against the
collection's schema: ``#/$defs/Address`` would point at the document's root. So the root's
``$defs`` and ``definitions`` become components of their own, every reference is rewritten
to the component it means, and the keywords whose meaning changed after draft-07 are
spelled the 2020-12 way. The result validates exactly what the draft-07 schema validates.

``schema`` is one that ``check_schema`` returned: its references are local and resolve,
and only its root has an ``$id``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cdk_serverless_crud.contract.schema_walk import (
    DRAFT_7,
    DRAFT_2020_12,
    SUBSCHEMA_KEYWORDS,
    Path,
    children,
    map_subschemas,
    pointer,
    ref_path,
)

COMPONENTS = "#/components/schemas/"
"""Where a reference to a component schema starts."""

_NOT_IN_A_COMPONENT_NAME = re.compile(r"[^A-Za-z0-9._-]")
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
# Below these, limiting numbers would admit more (not, if) or means nothing (keys).
_NOT_LIMITED = frozenset({"not", "if", "propertyNames"})
# What a URI fragment may hold besides letters, digits and "-._~" (RFC 3986 pchar).
_POINTER_SAFE = "!$&'()*+,;=:@"


def component_schemas(
    prop: str, schema: Mapping[str, Any], name: str, *, number: str | None = None
) -> dict[str, Any]:
    """``schema`` as components: ``name`` for its root, ``name.<Def>`` for each root definition.

    Every ``$ref`` in the result points into ``#/components/schemas/``. With ``number``,
    a reference to a schema that limits numbers, every subschema that admits numbers is
    intersected with it (see :func:`_numbers_limited`). Raises ValueError naming ``prop``
    for what an OpenAPI document cannot carry: a reference to a whole ``$defs`` or
    ``definitions``, or one name defined in both below the root.
    """
    hoisted = _definition_names(prop, schema, name)
    converter = _Converter(prop, schema, name, hoisted)
    root = {key: value for key, value in schema.items() if key not in (*_DEFINITIONS, "$id")}
    components: dict[str, Any] = {name: converter.schema(root, ())}
    for (keyword, key), component in hoisted.items():
        components[component] = converter.schema(schema[keyword][key], (keyword, key))
    if number is None:
        return components
    return {key: _numbers_limited(value, number) for key, value in components.items()}


def _numbers_limited(node: Any, number: str) -> Any:
    """``node`` (2020-12) with ``{"$ref": number}`` added to the ``allOf`` of each subschema
    whose ``type`` names number or integer. A subschema without ``type`` is left as the
    user wrote it: it says nothing of numbers, and the runtime still refuses what
    DynamoDB cannot store.

    What is below ``not`` and ``if`` is kept as it is: a narrower schema there would
    admit more, not less; ``propertyNames`` holds strings. Every other keyword stays as it was.
    """
    if not isinstance(node, Mapping):
        return node
    limited = map_subschemas(
        node,
        lambda path, sub: sub if path[0] in _NOT_LIMITED else _numbers_limited(sub, number),
        DRAFT_2020_12,
    )
    if _admits_numbers(node):
        limited["allOf"] = [*limited.get("allOf", []), {"$ref": number}]
    return limited


def _admits_numbers(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "number" in kinds or "integer" in kinds


def _definition_names(
    prop: str, schema: Mapping[str, Any], name: str
) -> dict[tuple[str, str], str]:
    """The component name of each root definition, unique even once sanitized."""
    names: dict[tuple[str, str], str] = {}
    for keyword in _DEFINITIONS:
        definitions = schema.get(keyword, {})
        if not isinstance(definitions, Mapping):
            # Draft-07's meta-schema does not know $defs: check_schema lets it by.
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

    def schema(self, node: Any, path: Path) -> Any:
        """The 2020-12 form of the draft-07 subschema ``node``, found at ``path``."""
        if not isinstance(node, Mapping):
            return node
        if "$ref" in node:
            reference = {"$ref": self.reference(node["$ref"], (*path, "$ref"))}
            annotations = {k: copy.deepcopy(v) for k, v in node.items() if k in _ANNOTATIONS}
            return {**reference, **annotations}
        carried = {key: value for key, value in node.items() if _carried(node, key)}
        converted = map_subschemas(
            carried, lambda relative, sub: self.schema(sub, path + relative), DRAFT_7
        )
        return self.spelled_2020_12(converted, path)

    def spelled_2020_12(self, converted: Mapping[str, Any], path: Path) -> dict[str, Any]:
        """Converted keywords, those whose meaning changed after draft-07 spelled anew."""
        spelled: dict[str, Any] = {}
        for keyword, value in converted.items():
            if keyword == "items" and isinstance(value, list):
                spelled["prefixItems"] = value
                if "additionalItems" in converted:
                    spelled["items"] = converted["additionalItems"]
            elif keyword == "dependencies":
                for key, dependency in value.items():
                    form = (
                        "dependentRequired" if isinstance(dependency, list) else "dependentSchemas"
                    )
                    spelled.setdefault(form, {})[key] = dependency
            elif keyword in _DEFINITIONS:
                if not isinstance(value, Mapping):
                    # Draft-07's meta-schema does not know $defs: check_schema lets it by.
                    raise ValueError(
                        f"{self.prop}: {pointer((*path, keyword))} must be an object of schemas."
                    )
                self.merge_definitions(spelled, value, path)
            elif keyword != "additionalItems":
                spelled[keyword] = value
        return spelled

    def merge_definitions(
        self, spelled: dict[str, Any], definitions: Mapping[str, Any], path: Path
    ) -> None:
        """Keep a nested ``definitions`` as ``$defs``, the keyword 2020-12 knows."""
        existing = spelled.setdefault("$defs", {})
        for key, definition in definitions.items():
            if key in existing:
                raise ValueError(
                    f"{self.prop}: {pointer(path) or '/'} defines {key!r} in both $defs and "
                    "definitions; keep one."
                )
            existing[key] = definition

    def reference(self, ref: str, path: Path) -> str:
        """``ref``, a local reference within the schema, as one to the component it means."""
        segments = ref_path(ref)
        unresolved = ValueError(
            f"{self.prop}: the $ref {ref!r} at {pointer(path)} does not resolve."
        )
        if segments is None:
            raise unresolved
        component, target, rest = self.name, self.root, segments
        if segments and segments[0] in _DEFINITIONS:
            if len(segments) < 2 or (segments[0], segments[1]) not in self.hoisted:
                raise unresolved
            component = self.hoisted[(segments[0], segments[1])]
            target, rest = self.root[segments[0]][segments[1]], segments[2:]
        try:
            translated = _translate(target, rest)
        except LookupError as error:
            raise unresolved from error
        return COMPONENTS + component + quote(pointer(translated), safe="/" + _POINTER_SAFE)


def _carried(node: Mapping[str, Any], keyword: str) -> bool:
    """Whether the 2020-12 form of ``node`` keeps ``keyword``, if under another name.

    ``additionalItems`` is kept beside a list of ``items`` only: draft-07 ignores it
    otherwise.
    """
    if keyword == "additionalItems":
        return isinstance(node.get("items"), list)
    return keyword not in _LATER and keyword != "$schema"


def _translate(node: Any, segments: Sequence[str]) -> Path:
    """A pointer into a draft-07 schema, as the same place in its 2020-12 conversion."""
    translated: Path = ()
    rest = tuple(segments)
    while rest:
        keyword = rest[0]
        if not isinstance(node, Mapping) or keyword not in node or keyword == "$id":
            raise LookupError(keyword)
        if ("$ref" in node and keyword not in _ANNOTATIONS) or not _carried(node, keyword):
            raise LookupError(keyword)
        if DRAFT_7 not in SUBSCHEMA_KEYWORDS.get(keyword, {}):
            # Not a schema (enum, const, default...): its value is copied as it is.
            return (*translated, *rest)
        reached = [
            (relative, child)
            for relative, child in children({keyword: node[keyword]}, DRAFT_7)
            if rest[: len(relative)] == relative
        ]
        if not reached:
            raise LookupError(rest)
        (relative, node), *_ = reached
        translated += _spelled(relative)
        rest = rest[len(relative) :]
    return translated


def _spelled(relative: Path) -> Path:
    """A subschema's path from its draft-07 parent, as the path in the 2020-12 form."""
    keyword = relative[0]
    if keyword == "items" and len(relative) == 2:
        return ("prefixItems", relative[1])
    if keyword == "additionalItems":
        return ("items",)
    if keyword == "dependencies":
        return ("dependentSchemas", relative[1])
    if keyword in _DEFINITIONS:
        return ("$defs", relative[1])
    return relative
