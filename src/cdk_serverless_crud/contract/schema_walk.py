"""Where a JSON Schema holds subschemas, in one table, and the walks over them.

Every reading of a schema goes through here: checking a collection's schema, converting
it to OpenAPI 3.1 components, and converting the packaged contract's OpenAPI 3.0 schemas.
A keyword holds subschemas in some dialects and not in others (draft-07 ignores
``prefixItems``), so each walk names its dialect.
JSON pointers (RFC 6901) and local ``$ref``s are read here too.
"""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote

DRAFT_4 = "http://json-schema.org/draft-04/schema#"
"""JSON Schema draft 4: API Gateway's models, and close to OpenAPI 3.0's schema objects."""
DRAFT_7 = "http://json-schema.org/draft-07/schema#"
"""JSON Schema draft-07: the dialect of a collection's schema."""
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
"""JSON Schema 2020-12: OpenAPI 3.1's schema objects."""

Path = tuple[str, ...]
"""A location in a schema document: the JSON pointer's reference tokens."""


class Shape(enum.Enum):
    """How a keyword's value holds subschemas."""

    ONE = "one subschema"
    LIST = "a list of subschemas"
    MAP = "names mapped to subschemas"
    ONE_OR_LIST = "one subschema, or a list of them"
    SCHEMAS_OR_NAMES = "names mapped to a subschema or to a list of names"


_ALL = (DRAFT_4, DRAFT_7, DRAFT_2020_12)
_SINCE_7 = (DRAFT_7, DRAFT_2020_12)
_UP_TO_7 = (DRAFT_4, DRAFT_7)

#: Each keyword that holds subschemas, with how it holds them in each dialect it has
#: that meaning in. ``$defs`` is draft 2019-09's, but draft-07 schemas use it and
#: ``#/$defs/X`` resolves there. OpenAPI 3.0's schema objects are walked as draft 4's.
SUBSCHEMA_KEYWORDS: Mapping[str, Mapping[str, Shape]] = {
    "properties": dict.fromkeys(_ALL, Shape.MAP),
    "patternProperties": dict.fromkeys(_ALL, Shape.MAP),
    "additionalProperties": dict.fromkeys(_ALL, Shape.ONE),
    "propertyNames": dict.fromkeys(_SINCE_7, Shape.ONE),
    "unevaluatedProperties": {DRAFT_2020_12: Shape.ONE},
    "dependencies": dict.fromkeys(_UP_TO_7, Shape.SCHEMAS_OR_NAMES),
    "dependentSchemas": {DRAFT_2020_12: Shape.MAP},
    "items": {DRAFT_4: Shape.ONE_OR_LIST, DRAFT_7: Shape.ONE_OR_LIST, DRAFT_2020_12: Shape.ONE},
    "prefixItems": {DRAFT_2020_12: Shape.LIST},
    "additionalItems": dict.fromkeys(_UP_TO_7, Shape.ONE),
    "contains": dict.fromkeys(_SINCE_7, Shape.ONE),
    "unevaluatedItems": {DRAFT_2020_12: Shape.ONE},
    "allOf": dict.fromkeys(_ALL, Shape.LIST),
    "anyOf": dict.fromkeys(_ALL, Shape.LIST),
    "oneOf": dict.fromkeys(_ALL, Shape.LIST),
    "not": dict.fromkeys(_ALL, Shape.ONE),
    "if": dict.fromkeys(_SINCE_7, Shape.ONE),
    "then": dict.fromkeys(_SINCE_7, Shape.ONE),
    "else": dict.fromkeys(_SINCE_7, Shape.ONE),
    "contentSchema": {DRAFT_2020_12: Shape.ONE},
    "definitions": dict.fromkeys(_UP_TO_7, Shape.MAP),
    "$defs": dict.fromkeys(_SINCE_7, Shape.MAP),
}


def children(node: Mapping[str, Any], dialect: str) -> Iterator[tuple[Path, Any]]:
    """Each direct subschema of ``node``, in its keywords' order, with its path from ``node``.

    The path's first token is the keyword. Tolerates any JSON: a keyword whose value has
    the wrong shape for it holds no subschemas.
    """
    for keyword, value in node.items():
        shape = _shape(keyword, value, dialect)
        if shape is Shape.ONE:
            yield (keyword,), value
        elif shape is Shape.LIST:
            for index, child in enumerate(value):
                yield (keyword, str(index)), child
        elif shape is not None:
            for name, child in value.items():
                if _is_schema(shape, child):
                    yield (keyword, name), child


def walk(document: Mapping[str, Any], dialect: str) -> Iterator[tuple[Path, str | None, Any]]:
    """Every subschema of ``document``, once, with its path and the keyword that leads to it.

    The root comes first, with no keyword. The targets of local ``$ref``s are included,
    as reached through ``"$ref"``, even where no keyword leads.
    """
    pending: list[tuple[Path, str | None, Any]] = [((), None, document)]
    seen: set[Path] = set()
    while pending:
        path, via, node = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        yield path, via, node
        if not isinstance(node, Mapping):
            continue
        ref = node.get("$ref")
        target = ref_path(ref) if isinstance(ref, str) else None
        if target is not None:
            found = lookup(document, target)
            if found is not None:
                pending.append((target, "$ref", found))
        pending.extend(
            (path + relative, relative[0], child)
            for relative, child in reversed(list(children(node, dialect)))
        )


def map_subschemas(
    node: Mapping[str, Any], transform: Callable[[Path, Any], Any], dialect: str
) -> dict[str, Any]:
    """``node`` rebuilt, each direct subschema replaced by ``transform(path, subschema)``.

    The paths are those of :func:`children`, and ``transform`` is called in that order.
    Keys keep their order; every other value is a deep copy, so the result shares nothing
    mutable with ``node`` but what ``transform`` returns.
    """
    rebuilt: dict[str, Any] = {}
    for keyword, value in node.items():
        shape = _shape(keyword, value, dialect)
        if shape is Shape.ONE:
            rebuilt[keyword] = transform((keyword,), value)
        elif shape is Shape.LIST:
            rebuilt[keyword] = [
                transform((keyword, str(index)), child) for index, child in enumerate(value)
            ]
        elif shape is not None:
            rebuilt[keyword] = {
                name: transform((keyword, name), child)
                if _is_schema(shape, child)
                else copy.deepcopy(child)
                for name, child in value.items()
            }
        else:
            rebuilt[keyword] = copy.deepcopy(value)
    return rebuilt


def keyword_at(document: Mapping[str, Any], path: Path, dialect: str) -> str | None:
    """The keyword whose value holds ``path``: the last one on the way from the root."""
    keyword: str | None = None
    node: Any = document
    index = 0
    while index < len(path) and isinstance(node, Mapping):
        for relative, child in children(node, dialect):
            if path[index : index + len(relative)] == relative:
                keyword, node, index = relative[0], child, index + len(relative)
                break
        else:
            return path[index]
    return keyword


def pointer(path: Path) -> str:
    """``path`` as an RFC 6901 JSON pointer: ``/properties/a~1b``."""
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in path)


def ref_path(ref: str) -> Path | None:
    """The path a local ``$ref`` (``#`` or ``#/...``) points at; None for any other."""
    if not ref.startswith("#"):
        return None
    fragment = unquote(ref[1:])
    if not fragment:
        return ()
    if not fragment.startswith("/"):
        return None
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in fragment[1:].split("/"))


def lookup(document: Any, path: Path) -> Any:
    """The value at ``path`` in ``document``, None if there is none."""
    node = document
    for token in path:
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and re.fullmatch(r"0|[1-9][0-9]*", token):
            if int(token) >= len(node):
                return None
            node = node[int(token)]
        else:
            return None
    return node


def follow_refs(document: Mapping[str, Any], node: Any) -> Any:
    """``node``, or what its ``$ref`` chain leads to; None if the chain loops or breaks.

    In draft-07 a ``$ref`` replaces its object: the keywords beside it are ignored.
    """
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        target = ref_path(ref)
        if ref in seen or target is None:
            return None
        seen.add(ref)
        node = lookup(document, target)
    return node


def _shape(keyword: str, value: Any, dialect: str) -> Shape | None:
    """How ``value``, under ``keyword``, holds subschemas in ``dialect``: ONE, LIST, MAP or
    SCHEMAS_OR_NAMES; None where it holds none, or has the wrong shape to."""
    shape = SUBSCHEMA_KEYWORDS.get(keyword, {}).get(dialect)
    if shape is Shape.ONE_OR_LIST:
        return Shape.LIST if isinstance(value, list | tuple) else Shape.ONE
    if shape is Shape.LIST and not isinstance(value, list | tuple):
        return None
    if shape in (Shape.MAP, Shape.SCHEMAS_OR_NAMES) and not isinstance(value, Mapping):
        return None
    return shape


def _is_schema(shape: Shape, entry: Any) -> bool:
    """Whether an entry of a map of ``shape`` is a subschema: a dependency may be names."""
    return shape is not Shape.SCHEMAS_OR_NAMES or not isinstance(entry, list | tuple)
