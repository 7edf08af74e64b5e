"""JSON Schemas of typed collections: checked, converted for API Gateway, compiled.

A collection's schema is JSON Schema draft-07, written by the user, and it is read in
three places that must agree:

- here, at synth time: ``check_schema`` refuses, with the prop, the keyword and its JSON
  pointer in the message, any schema that would fail later, in API Gateway or in Lambda;
- API Gateway, whose request models are draft-04: ``draft_4_model`` gives it a
  relaxation of the schema, never stricter, so a body the Lambda function would accept
  is never refused before it gets there;
- the Lambda function, which validates exactly, with the code that ``validator_source``
  generates with fastjsonschema at synth time (the function needs no schema library
  beyond fastjsonschema's exception classes, and compiles nothing on a cold start).

Pure Python, no aws-cdk-lib: ``Collection`` calls it when it is constructed.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import unquote

import fastjsonschema
import jsonschema  # type: ignore[import-untyped]
from fastjsonschema.draft07 import CodeGeneratorDraft07
from fastjsonschema.draft2019 import CodeGeneratorDraft2019
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

DIALECT = "http://json-schema.org/draft-07/schema#"
DRAFT_4 = "http://json-schema.org/draft-04/schema#"
#: The largest request model written into the template; a larger one becomes
#: ``{"type": "object"}``. CloudFormation templates hold at most 1 MB.
MAX_MODEL_BYTES = 64 * 1024
#: References inlined into one model before the rest are left to the function.
_MAX_INLINED_REFS = 1000

#: The ways of writing draft-07's meta-schema URI that mean draft-07.
_DRAFT_7_URIS = frozenset(
    f"{scheme}://json-schema.org/draft-07/schema{fragment}"
    for scheme in ("http", "https")
    for fragment in ("", "#")
)

#: Formats fastjsonschema does not know for draft-07, given to it as regexes. ``uuid``
#: is draft 2019-09's, and schemas written for draft-07 use it all the time.
_EXTRA_FORMATS = {"uuid": CodeGeneratorDraft2019.FORMAT_REGEXS["uuid"]}

#: Formats the generated validator checks. fastjsonschema silently skips a format it does
#: not know, so a typo (``"date_time"``) would check nothing: such a format is refused.
SUPPORTED_FORMATS = frozenset({*CodeGeneratorDraft07.FORMAT_REGEXS, "regex", *_EXTRA_FORMATS})

#: Keywords whose value is one subschema (``items`` too, when it is not a list).
_ONE_SCHEMA = frozenset(
    {
        "additionalItems",
        "additionalProperties",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
    }
)
#: Keywords whose value is a list of subschemas (``items`` too, when it is a list).
_SCHEMA_LIST = frozenset({"allOf", "anyOf", "oneOf"})
#: Keywords whose value maps names to subschemas (``dependencies`` too, for its schemas).
#: ``$defs`` is draft 2019-09's, but draft-07 schemas use it and ``#/$defs/X`` resolves.
_SCHEMA_MAP = frozenset({"properties", "patternProperties", "definitions", "$defs"})

_META_SCHEMA = jsonschema.Draft7Validator(
    jsonschema.Draft7Validator.META_SCHEMA,
    format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
)

Path = tuple[str, ...]
"""A location in a schema document: the JSON pointer's reference tokens."""


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
    nodes = list(_schema_nodes(document))
    for path, via, node in nodes:
        if via in ("$defs", "$ref"):
            # The meta-schema does not look inside $defs (a later draft's keyword), nor
            # at a $ref's target outside the known keywords.
            _check_meta_schema(prop, document, path, node)
        if isinstance(node, dict):
            _check_keywords(prop, document, path, node)
    for path, _, node in nodes:
        # Every link resolves (checked above): a chain that leads nowhere loops.
        if isinstance(node, dict) and "$ref" in node and _follow_refs(document, node) is None:
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
    root = _follow_refs(schema, schema)
    properties = root.get("properties") if isinstance(root, Mapping) else None
    if not isinstance(properties, Mapping) or attribute not in properties:
        return None
    declared = _follow_refs(schema, properties[attribute])
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


def validator_source(schema: Mapping[str, Any]) -> str:
    """Python source of a module whose ``validate(data)`` raises on every failing field.

    ``validate(data)`` returns ``data`` unchanged when it is valid, else raises
    ``fastjsonschema.JsonSchemaValuesException``, whose ``errors`` hold one
    ``JsonSchemaValueException`` per failure (``name`` such as ``"data.price"``,
    ``rule`` such as ``"minimum"``, ``message``, ``value``). The module imports only the
    standard library and fastjsonschema's exceptions.

    The same schema, whatever its keys' order, gives the same text, so the function's
    asset hash changes only when the schema does. Numbers must be ``int`` or ``float``:
    fastjsonschema misjudges ``decimal.Decimal``. An integral one is no ``integer`` and in
    no ``enum``; one is compared with a bound's binary value (``Decimal("0.1")`` is below
    ``"minimum": 0.1``); ``multipleOf`` a fraction raises ``decimal.InvalidOperation``.
    ``schema`` is one that ``check_schema`` returned.
    """
    header = (
        "# Generated by cdk-serverless-crud at synth time, from a collection's JSON Schema\n"
        f"# (draft-07), with fastjsonschema {fastjsonschema.VERSION}. Do not edit: every synth\n"
        "# writes it again.\n"
    )
    return header + _compile(schema)


def _compile(schema: Mapping[str, Any]) -> str:
    """fastjsonschema's validator module for ``schema``, as draft-07, keys sorted."""
    return _compile_canonical(json.dumps(schema, sort_keys=True))


@functools.lru_cache(maxsize=64)
def _compile_canonical(text: str) -> str:
    """:func:`_compile` of a schema's sorted JSON text: ``check_schema`` compiles each
    schema to find its mistakes, and ``validator_source`` then wants the same code."""
    document = json.loads(text)
    # fastjsonschema picks its draft from $schema, and 2019-09 when there is none.
    document["$schema"] = DIALECT
    # A root $id would name the generated function after it, not ``validate``; the
    # schema's $refs are all local fragments, which the $id does not change.
    document.pop("$id", None)
    source = fastjsonschema.compile_to_code(
        document,
        formats=_EXTRA_FORMATS,
        # Defaults would be written into the data, a number one as a float, which
        # DynamoDB refuses: validating must not change what is stored.
        use_default=False,
        fast_fail=False,
    )
    compile(source, "<validator>", "exec")
    return source


def _schema_error(prop: str, path: Path, keyword: str | None, detail: str) -> ValueError:
    """The ValueError for a schema's mistake at ``path``, in the keyword ``keyword``."""
    where = repr(_pointer(path)) if path else "the root"
    if keyword is None:
        return ValueError(f"{prop}: at {where}: {detail}")
    return ValueError(f"{prop}: keyword {keyword!r} at {where}: {detail}")


def _pointer(path: Path) -> str:
    """``path`` as an RFC 6901 JSON pointer."""
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in path)


def _check_json(prop: str, root: Mapping[str, Any], value: Any, path: Path) -> None:
    """Refuse what a JSON round trip would lose or change: sets, NaN, non-string keys."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _schema_error(
                prop, path, _keyword_at(root, path), f"{value!r} is not a JSON number"
            )
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _schema_error(
                    prop,
                    path,
                    _keyword_at(root, path),
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
        _keyword_at(root, path),
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
            f"JSON Schema draft-07 ({DIALECT}) is the supported dialect; got {dialect!r}",
        )


def _check_meta_schema(prop: str, document: dict[str, Any], path: Path, node: Any) -> None:
    """Refuse ``node``, at ``path`` in ``document``, if draft-07's meta-schema does."""
    error = best_match(_META_SCHEMA.iter_errors(node))
    if error is None:
        return
    where = (*path, *(str(token) for token in error.absolute_path))
    keyword = _keyword_at(document, where) or error.validator
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
        target = _ref_path(ref)
        if target is None:
            raise _schema_error(
                prop,
                (*path, "$ref"),
                "$ref",
                f"only local references such as '#/definitions/Name' or '#/$defs/Name' are "
                f"supported (the function cannot fetch others); got {ref!r}",
            )
        found = _lookup(document, target)
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
        path = _ref_path(root["$ref"]) or ()
        root = _lookup(document, path)
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
        _compile(document)
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
    nodes = sorted(_schema_nodes(document), key=lambda found: -len(found[0]))
    for path, _, node in nodes:
        if not isinstance(node, dict) or "$ref" in node:
            continue
        alone = _emptied(node)
        if _compiles(alone):
            continue
        for keyword in alone:
            if not _compiles({keyword: alone[keyword]}):
                return (*path, keyword), keyword
        for keyword in alone:
            if _compiles({k: v for k, v in alone.items() if k != keyword}):
                return (*path, keyword), keyword
        return path, None
    return (), None


def _emptied(node: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``node`` whose subschema objects are ``{}`` (boolean ones stay)."""
    copy: dict[str, Any] = json.loads(json.dumps(node))
    for relative, _, child in _children(node):
        if isinstance(child, dict):
            container: Any = copy
            for token in relative[:-1]:
                container = container[token]
            if isinstance(container, list):
                container[int(relative[-1])] = {}
            else:
                container[relative[-1]] = {}
    return copy


def _compiles(schema: dict[str, Any]) -> bool:
    """Whether fastjsonschema compiles ``schema``."""
    try:
        _compile(schema)
    except Exception:
        return False
    return True


def _children(node: Mapping[str, Any]) -> Iterator[tuple[Path, str, Any]]:
    """Each direct subschema of ``node``: its path from ``node``, its keyword, itself."""
    for keyword, value in node.items():
        if keyword in _ONE_SCHEMA or (keyword == "items" and not isinstance(value, list | tuple)):
            yield (keyword,), keyword, value
        elif keyword in _SCHEMA_LIST or keyword == "items":
            if isinstance(value, list | tuple):
                for index, child in enumerate(value):
                    yield (keyword, str(index)), keyword, child
        elif (keyword in _SCHEMA_MAP or keyword == "dependencies") and isinstance(value, Mapping):
            for name, child in value.items():
                # A dependency is a schema, or the list of names it requires.
                if not isinstance(child, list | tuple):
                    yield (keyword, name), keyword, child


def _schema_nodes(document: dict[str, Any]) -> Iterator[tuple[Path, str | None, Any]]:
    """Every subschema of ``document``, once, with the keyword that leads to it.

    The targets of local ``$ref``s are included (as reached through ``"$ref"``), even
    where no keyword leads. Tolerates any JSON, so it can run before the meta-schema
    has checked a ``$defs`` entry.
    """
    pending: list[tuple[Path, str | None, Any]] = [((), None, document)]
    seen: set[Path] = set()
    while pending:
        path, via, node = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        yield path, via, node
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        target = _ref_path(ref) if isinstance(ref, str) else None
        if target is not None:
            found = _lookup(document, target)
            if found is not None:
                pending.append((target, "$ref", found))
        pending.extend(
            (path + relative, keyword, child)
            for relative, keyword, child in reversed(list(_children(node)))
        )


def _keyword_at(document: Mapping[str, Any], path: Path) -> str | None:
    """The keyword whose value holds ``path``: the last one on the way from the root."""
    keyword: str | None = None
    node: Any = document
    index = 0
    while index < len(path) and isinstance(node, Mapping):
        for relative, child_keyword, child in _children(node):
            if path[index : index + len(relative)] == relative:
                keyword, node, index = child_keyword, child, index + len(relative)
                break
        else:
            return path[index]
    return keyword


def _ref_path(ref: str) -> Path | None:
    """The path a local ``$ref`` (``#`` or ``#/...``) points at; None for any other."""
    if not ref.startswith("#"):
        return None
    fragment = unquote(ref[1:])
    if not fragment:
        return ()
    if not fragment.startswith("/"):
        return None
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in fragment[1:].split("/"))


def _lookup(document: Any, path: Path) -> Any:
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


def _follow_refs(document: Mapping[str, Any], node: Any) -> Any:
    """``node``, or what its ``$ref`` chain leads to; None if the chain loops or breaks.

    In draft-07 a ``$ref`` replaces its object: the keywords beside it are ignored.
    """
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        target = _ref_path(ref)
        if ref in seen or target is None:
            return None
        seen.add(ref)
        node = _lookup(document, target)
    return node


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
            target = _ref_path(node["$ref"]) or ()
            if target in expanding or self._inlined >= _MAX_INLINED_REFS:
                # Recursion cannot be inlined, nor can references that keep nesting
                # references without end; any value passes where they would go.
                return {}, True
            self._inlined += 1
            return self.schema(_lookup(self._document, target), expanding | {target})
        out: dict[str, Any] = {}
        lossy = False
        # Constraints whose keyword the model already uses go into an allOf.
        more: list[dict[str, Any]] = []
        for keyword, value in node.items():
            if keyword in _SAME:
                out[keyword] = value
            elif keyword in _LOSSY_DROPS:
                lossy = True
            elif keyword in _BOUNDS or keyword in _LOSSLESS_DROPS:
                continue
            elif keyword == "type":
                out["type"], loss = _draft_4_type(value)
                lossy |= loss
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
                inner, loss = self.schema(value, expanding)
                if loss:
                    lossy = True
                else:
                    out["not"] = inner
            elif keyword in ("allOf", "anyOf", "oneOf"):
                branches, loss = self._all(value, expanding)
                lossy |= loss
                if keyword == "oneOf" and loss and "anyOf" in node:
                    more.append({"anyOf": branches})
                elif keyword == "oneOf" and loss:
                    out["anyOf"] = branches
                else:
                    out[keyword] = branches
            elif keyword == "properties":
                properties = {name: self.schema(sub, expanding) for name, sub in value.items()}
                out["properties"] = {name: sub for name, (sub, _) in properties.items()}
                lossy |= any(loss for _, loss in properties.values())
            elif keyword in ("additionalProperties", "additionalItems"):
                if keyword == "additionalProperties" and node.get("patternProperties"):
                    lossy = True
                elif isinstance(value, bool):
                    out[keyword] = value
                else:
                    out[keyword], loss = self.schema(value, expanding)
                    lossy |= loss
            elif keyword == "items":
                if isinstance(value, list):
                    out["items"], loss = self._all(value, expanding)
                else:
                    out["items"], loss = self.schema(value, expanding)
                lossy |= loss
            elif keyword == "dependencies":
                out["dependencies"], loss = self._dependencies(value, expanding)
                lossy |= loss
        out.update(_draft_4_bound(node, "minimum", "exclusiveMinimum", lower=True))
        out.update(_draft_4_bound(node, "maximum", "exclusiveMaximum", lower=False))
        if more:
            out["allOf"] = [*out.get("allOf", []), *more]
        return out, lossy

    def _all(
        self, nodes: Sequence[Any], expanding: frozenset[Path]
    ) -> tuple[list[dict[str, Any]], bool]:
        relaxed = [self.schema(node, expanding) for node in nodes]
        return [sub for sub, _ in relaxed], any(loss for _, loss in relaxed)

    def _dependencies(
        self, dependencies: Mapping[str, Any], expanding: frozenset[Path]
    ) -> tuple[dict[str, Any], bool]:
        out: dict[str, Any] = {}
        lossy = False
        for name, dependency in dependencies.items():
            if isinstance(dependency, list):
                # Draft-04 wants at least one name; none requires nothing.
                if dependency:
                    out[name] = dependency
            else:
                out[name], loss = self.schema(dependency, expanding)
                lossy |= loss
        return out, lossy


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
