"""A collection's JSON Schema (draft-07) as API Gateway's request model (draft-04).

API Gateway refuses a body before the function sees it, so ``draft_4_model`` gives it a
relaxation of the schema, never stricter: a body the Lambda function would accept is never
refused before it gets there. The function validates with the whole schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cdk_serverless_crud.contract.schema_walk import (
    DRAFT_4,
    DRAFT_7,
    Path,
    lookup,
    map_subschemas,
    ref_path,
)

#: The largest request model written into the template; a larger one becomes
#: ``{"type": "object"}``. CloudFormation templates hold at most 1 MB.
MAX_MODEL_BYTES = 64 * 1024
#: References inlined into one model before the rest are left to the function.
_MAX_INLINED_REFS = 1000


def draft_4_model(schema: Mapping[str, Any], title: str) -> dict[str, Any]:
    """The part of ``schema`` that JSON Schema draft 4 (API Gateway's models) can express.

    A relaxation: every body the draft-07 schema accepts, the model accepts too, because
    API Gateway refuses a body before the function sees it. What draft-04 cannot say, or
    API Gateway might read differently, is left to the function, which validates with the
    whole schema. ``schema`` is one that ``check_schema`` returned.
    """
    relaxed, _ = _Relaxation(schema).schema(schema, frozenset({()}))
    body = {key: value for key, value in relaxed.items() if key not in ("$schema", "title")}
    model = {"$schema": DRAFT_4, "title": title, **body}
    if len(json.dumps(model)) > MAX_MODEL_BYTES:
        # Inlined references can multiply a schema's size; the template has room for
        # less. Any object passes then, and the function checks the whole schema.
        return {"$schema": DRAFT_4, "title": title, "type": "object"}
    return model


#: Keywords draft-04 reads exactly as draft-07 does.
_SAME = frozenset(
    {
        "title",
        "description",
        "default",
        "minLength",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
    }
)
#: Keywords dropped at no cost: the model accepts nothing more without them.
#: Annotations; definitions, once their $refs are inlined; then and else, whose
#: loss is counted at their ``if``.
_LOSSLESS_DROPS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "definitions",
        "$defs",
        "examples",
        "readOnly",
        "writeOnly",
        "then",
        "else",
    }
)
#: Keywords dropped at a cost: the model accepts more without them. Draft-04 lacks them,
#: or API Gateway could read them differently (``pattern``'s regex dialect; and
#: ``patternProperties``, whose regexes decide what ``additionalProperties`` means);
#: fastjsonschema checks the content ones, which draft-07 leaves to annotation.
_LOSSY_DROPS = frozenset(
    {
        "format",
        "pattern",
        "patternProperties",
        "contains",
        "propertyNames",
        "contentMediaType",
        "contentEncoding",
    }
)
_BOUNDS = frozenset({"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"})


#: Keywords whose subschemas the model keeps, each relaxed in turn.
_RELAXED = frozenset(
    {
        "not",
        "allOf",
        "anyOf",
        "oneOf",
        "properties",
        "additionalProperties",
        "additionalItems",
        "items",
        "dependencies",
    }
)


class _Relaxation:
    """Draft-07 subschemas of one document, relaxed to draft-04.

    ``schema`` returns the draft-04 subschema and whether it is lossy, that is, accepts
    more than the original. Exactness matters under ``not`` (a relaxed ``not`` would
    refuse more) and ``oneOf`` (relaxed branches could match the same value twice).
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        self._inlined = 0

    def schema(self, node: Any, expanding: frozenset[Path]) -> tuple[dict[str, Any], bool]:
        """``node`` in draft-04, ``$ref``s inlined but those to what ``expanding`` holds."""
        if node is True:
            return {}, False
        if node is False:
            return {"not": {}}, False
        if "$ref" in node:
            # check_schema made sure every $ref is local and resolves.
            target = ref_path(node["$ref"]) or ()
            if target in expanding or self._inlined >= _MAX_INLINED_REFS:
                # Recursion cannot be inlined, nor can references that keep nesting
                # references without end; any value passes where they would go.
                return {}, True
            self._inlined += 1
            return self.schema(lookup(self._document, target), expanding | {target})
        # Whether each keyword lost something in its subschemas.
        losses: dict[str, bool] = {}

        def relax(path: Path, child: Any) -> Any:
            keyword = path[0]
            if not _relaxes(node, keyword, child):
                return child
            relaxed, loss = self.schema(child, expanding)
            losses[keyword] = losses.get(keyword, False) or loss
            return relaxed

        out: dict[str, Any] = {}
        lossy = False
        # Constraints whose keyword the model already uses go into an allOf.
        more: list[dict[str, Any]] = []
        for keyword, value in map_subschemas(node, relax, DRAFT_7).items():
            loss = losses.get(keyword, False)
            if keyword in _SAME:
                out[keyword] = value
            elif keyword in _LOSSY_DROPS:
                lossy = True
            elif keyword in _BOUNDS or keyword in _LOSSLESS_DROPS:
                continue
            elif keyword == "type":
                out["type"], type_loss = _draft_4_type(value)
                lossy |= type_loss
            elif keyword == "enum":
                out.update(_draft_4_enum(value))
            elif keyword == "const":
                # An enum of one value is exact; beside an enum, both must hold.
                if "enum" in node:
                    more.append({"enum": [value]})
                else:
                    out["enum"] = [value]
            elif keyword == "required":
                if value:
                    out["required"] = value
            elif keyword == "multipleOf":
                # A fraction is inexact in binary floating point: an implementation
                # without decimals could refuse 0.07 as a multiple of 0.01.
                if float(value).is_integer():
                    out["multipleOf"] = value
                else:
                    lossy = True
            elif keyword == "maxLength":
                # Draft-07 counts characters; a Java validator may count UTF-16 code
                # units, up to two a character.
                out["maxLength"] = 2 * value
                lossy |= value > 0
            elif keyword == "if":
                lossy |= "then" in node or "else" in node
            elif keyword == "not":
                if loss:
                    lossy = True
                else:
                    out["not"] = value
            elif keyword in ("allOf", "anyOf", "oneOf"):
                lossy |= loss
                if keyword == "oneOf" and loss and "anyOf" in node:
                    more.append({"anyOf": value})
                elif keyword == "oneOf" and loss:
                    out["anyOf"] = value
                else:
                    out[keyword] = value
            elif keyword == "additionalProperties" and node.get("patternProperties"):
                lossy = True
            elif keyword in ("properties", "additionalProperties", "additionalItems", "items"):
                out[keyword] = value
                lossy |= loss
            elif keyword == "dependencies":
                # Draft-04 wants at least one name; none requires nothing.
                out["dependencies"] = {
                    name: dependency
                    for name, dependency in value.items()
                    if not isinstance(dependency, list) or dependency
                }
                lossy |= loss
        out.update(_draft_4_bound(node, "minimum", "exclusiveMinimum", lower=True))
        out.update(_draft_4_bound(node, "maximum", "exclusiveMaximum", lower=False))
        if more:
            out["allOf"] = [*out.get("allOf", []), *more]
        return out, lossy


def _relaxes(node: Mapping[str, Any], keyword: str, child: Any) -> bool:
    """Whether the model keeps ``child``, a subschema under ``keyword``, as a relaxation.

    A boolean ``additionalProperties`` or ``additionalItems`` stays as it is; beside
    ``patternProperties``, ``additionalProperties`` is dropped.
    """
    if keyword not in _RELAXED:
        return False
    if keyword in ("additionalProperties", "additionalItems") and isinstance(child, bool):
        return False
    return not (keyword == "additionalProperties" and node.get("patternProperties"))


def _draft_4_type(declared: str | list[str]) -> tuple[str | list[str], bool]:
    """Draft-07's ``type`` in draft-04, and whether that is lossy.

    Draft-04's ``integer`` refuses 1.0, which draft-07 calls an integer: the model says
    ``number``, and the function checks for integers.
    """
    if isinstance(declared, str):
        return ("number", True) if declared == "integer" else (declared, False)
    types = list(dict.fromkeys("number" if name == "integer" else name for name in declared))
    return types, "integer" in declared and "number" not in declared


def _draft_4_enum(values: list[Any]) -> dict[str, Any]:
    """Draft-07's ``enum`` in draft-04, which wants it non-empty and without duplicates."""
    unique: dict[str, Any] = {}
    for value in values:
        unique.setdefault(_json_key(value), value)
    return {"enum": list(unique.values())} if unique else {"not": {}}


def _json_key(value: Any) -> str:
    """A text equal for JSON-equal values: 1 and 1.0 are the same number."""

    def canonical(item: Any) -> Any:
        if isinstance(item, float) and item.is_integer():
            return int(item)
        if isinstance(item, dict):
            return {key: canonical(sub) for key, sub in item.items()}
        if isinstance(item, list):
            return [canonical(sub) for sub in item]
        return item

    return json.dumps(canonical(value), sort_keys=True)


def _draft_4_bound(
    node: Mapping[str, Any], inclusive: str, exclusive: str, *, lower: bool
) -> dict[str, Any]:
    """One side of a number range in draft-04, whose exclusive bound is a flag.

    Draft-07's ``exclusiveMinimum: 5`` is draft-04's ``minimum: 5, exclusiveMinimum:
    true``. Draft-07 allows an inclusive and an exclusive bound together; the tighter one
    is kept, the exclusive one when they are equal.
    """
    bound, strict_bound = node.get(inclusive), node.get(exclusive)
    if strict_bound is None:
        return {} if bound is None else {inclusive: bound}
    if bound is not None and (bound > strict_bound if lower else bound < strict_bound):
        return {inclusive: bound}
    return {inclusive: strict_bound, exclusive: True}
