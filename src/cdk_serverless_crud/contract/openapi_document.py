"""The OpenAPI 3.1 document of a service's collections, generated from the packaged contract.

``openapi.json`` stays the generic contract (OpenAPI 3.0.3, one ``/items`` path set) that
API Gateway's validation and the runtime read. Here it is the template: each collection
gets the contract's paths under its own name, its operations with prefixed ids, and its
own item schemas around its JSON Schema, which takes the place of ``ItemData``. The same
collections always give the same document, key for key, so the copy written into the
cloud assembly only changes when the service does.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cdk_serverless_crud.contract import openapi as contract
from cdk_serverless_crud.contract.collection import Collection, Index, check_collections
from cdk_serverless_crud.contract.component_schemas import COMPONENTS, component_schemas
from cdk_serverless_crud.contract.gateway_answers import add_gateway_answers, gateway_responses
from cdk_serverless_crud.contract.schema_walk import DRAFT_4, map_subschemas
from cdk_serverless_crud.contract.security_schemes import (
    DEFAULT_SECURITY,
    GENERIC_NOTE,
    DocumentedSecurity,
)
from cdk_serverless_crud.contract.storable import (
    DYNAMODB_NUMBER,
    STORABLE_VALUE,
    storable_components,
)

OPENAPI_VERSION = "3.1.0"

# The schema each collection replaces with its own.
_DATA = contract.ITEM_DATA
# The patch each collection describes with its own schema.
_MERGE_PATCH = "MergePatch"
_BAD_REQUEST = "BadRequest"
_ERROR = "Error"
# A path the shared components mention, which each collection serves under its own name.
_TEMPLATE_PATH_IN_TEXT = re.compile(re.escape(contract.COLLECTION_PATH) + r"\b")
# DynamoDB's limits on a key value, as far as a schema can say them: a string key is 1 to
# 2048 bytes in UTF-8 (so at most 2048 characters), a number one DynamoDB can store.
_INDEX_SCHEMAS: Mapping[str, Mapping[str, Any]] = {
    "S": {"type": "string", "minLength": 1, "maxLength": 2048},
    "N": {"type": "number", "exclusiveMinimum": -1e126, "exclusiveMaximum": 1e126},
}
_INDEX_LIMITS = {
    "S": " 1 to 2048 bytes in UTF-8.",
    "N": " A JSON number of at most 38 significant digits, 0 or of a magnitude from 1E-130 "
    "to below 1E+126.",
}
_DETAILS = {
    "type": "array",
    "description": "With invalid_body, when the body fails the collection's schema: "
    "one entry per failing field.",
    "items": {
        "type": "object",
        "required": ["pointer", "message"],
        "additionalProperties": False,
        "properties": {
            "pointer": {
                "type": "string",
                "description": "The failing field, as a JSON Pointer into the body: /price.",
            },
            "message": {"type": "string"},
        },
    },
}
_SCHEMA_FAILURE = (
    " Also a body that does not match the collection's schema (invalid_body, with one "
    "`details` entry per failing field; for PATCH, the item the patch makes of the stored "
    "one), a malformed index parameter, more than one index "
    "parameter, or a query parameter the operation does not declare (invalid_parameter)."
)


def service_document(
    collections: Sequence[Collection],
    *,
    title: str,
    version: str,
    security: DocumentedSecurity = DEFAULT_SECURITY,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a service that serves ``collections``.

    Each collection has the packaged contract's paths under ``/<name>``, operation ids
    prefixed with its name (``orders_createItem``), a tag of its name, and the component
    schemas ``<Pascal>Data`` (its JSON Schema, or any JSON object), ``<Pascal>Item``,
    ``<Pascal>ItemList`` and ``<Pascal>VersionList``; the root definitions of its schema
    are the components ``<Pascal>Data.<Definition>``. Its listing takes one query
    parameter per index. ``security`` is how its callers authenticate (default: AWS
    IAM, the service's default): the document declares its scheme and requires it.
    """
    checked = check_collections("collections", collections)
    for name, text in (("title", title), ("version", version)):
        if not isinstance(text, str) or not text:
            raise ValueError(f"{name} must be a non-empty string; got {text!r}.")
    template = contract.load()
    per_collection = [
        *_depending_on(template["components"]["schemas"], _DATA),
        _MERGE_PATCH,
    ]
    components = _components(template["components"], checked, per_collection)
    if security.schemes():
        components["securitySchemes"] = security.schemes()
    gateway = gateway_responses(security)
    components["responses"].update(gateway.values())
    paths = {
        path: item
        for collection in checked
        for path, item in _paths(template["paths"], collection, per_collection).items()
    }
    for item in paths.values():
        add_gateway_answers(item, {status: name for status, (name, _) in gateway.items()})
    replaced = {
        "openapi": OPENAPI_VERSION,
        "info": _info(template["info"], title, version, security),
        "paths": paths,
        "components": components,
    }
    document: dict[str, Any] = {}
    for key, value in template.items():
        document[key] = replaced[key] if key in replaced else _openapi_3_1(copy.deepcopy(value))
        if key == "servers" and security.requirement() is not None:
            document["security"] = security.requirement()
    return document


def write_document(document: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``document`` as JSON, in its own key order, indented by 2, ending in a newline."""
    text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


def _info(
    template: Mapping[str, Any], title: str, version: str, security: DocumentedSecurity
) -> dict[str, Any]:
    """The template's info with the service's title and version, and how callers
    authenticate where the generic contract says it declares no security."""
    description = str(template["description"]).replace(GENERIC_NOTE, security.description())
    return {
        **copy.deepcopy(template),
        "title": title,
        "version": version,
        "description": description,
    }


def _depending_on(schemas: Mapping[str, Any], name: str) -> list[str]:
    """``name`` and the schemas that refer to it, directly or not, in the template's order."""
    found = {name}
    grew = True
    while grew:
        grew = False
        for other, schema in schemas.items():
            if other not in found and _references(schema) & {COMPONENTS + n for n in found}:
                found.add(other)
                grew = True
    return [other for other in schemas if other in found]


def _references(node: Any) -> set[str]:
    """Every ``$ref`` in a part of the template."""
    if isinstance(node, Mapping):
        own = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return own.union(*map(_references, node.values()))
    if isinstance(node, list):
        return set().union(*map(_references, node))
    return set()


def _paths(
    template: Mapping[str, Any], collection: Collection, per_collection: Sequence[str]
) -> dict[str, Any]:
    """The template's path items for ``collection``: its path, ids, tag and schemas."""
    renamed = _renames(collection, per_collection)
    prefix = collection.name.replace("-", "_")
    paths: dict[str, Any] = {}
    for path, item in template.items():
        paths[contract.collection_path(collection.name, path)] = _renamed(
            _openapi_3_1(item), renamed
        )
    for path, verb in contract.operations():
        item = paths[contract.collection_path(collection.name, path)]
        operation = item[verb.lower()] = {
            "tags": [collection.name],
            **item[verb.lower()],
            "operationId": f"{prefix}_{item[verb.lower()]['operationId']}",
        }
        if path == contract.COLLECTION_PATH and verb == "GET" and collection.indexes:
            _add_index_parameters(operation, collection)
    return paths


def _add_index_parameters(operation: dict[str, Any], collection: Collection) -> None:
    """One optional query parameter per index of ``collection``, on its listing."""
    names = ", ".join(index.attribute for index in collection.indexes)
    operation["description"] = (
        f"{operation.get('description', '')} With an index parameter ({names}), only the live "
        "items with that value are listed; a request takes at most one index parameter."
    ).lstrip()
    operation.setdefault("parameters", []).extend(
        _index_parameter(collection, index, names) for index in collection.indexes
    )
    sorted_indexes = {index.sort: index for index in collection.indexes if index.sort is not None}
    for name in collection.sort_parameters:
        sort, _, operator = name.partition(".")
        operation["parameters"].append(
            _sort_parameter(collection, sorted_indexes[sort], name, operator)
        )


_SORT_SCHEMAS: dict[str, dict[str, Any]] = {
    "number": {"type": "number"},
    "date-time": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "string": {"type": "string"},
}
_OPERATORS = {
    "gt": "greater than",
    "gte": "greater than or equal to",
    "lt": "less than",
    "lte": "less than or equal to",
    "prefix": "starting with",
}


def _sort_parameter(
    collection: Collection, index: Index, name: str, operator: str
) -> dict[str, Any]:
    """A range condition on a sorted index's sort attribute."""
    sort_type = collection.sort_type(index)
    assert sort_type is not None and index.sort is not None  # Collection checked it
    sorted_by = ", ".join(i.attribute for i in collection.indexes if i.sort == index.sort)
    comparison = {
        "number": " Numbers compare as numbers (12.5 is 12.50).",
        "date-time": " Instants compare as instants, whatever their offset.",
        "date": "",
        "string": " Strings compare by their UTF-8 bytes.",
    }[sort_type]
    usable = (
        " Only for plain strings and dates; not with another condition."
        if operator == "prefix"
        else " At most one lower (gt, gte) and one upper (lt, lte) bound."
    )
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"With a query of {sorted_by}: only the items whose `{index.sort}` is "
        f"{_OPERATORS[operator]} this value.{comparison}{usable} Items without "
        f"`{index.sort}` are in no answer of the sorted index.",
        "schema": dict(_SORT_SCHEMAS["string" if operator == "prefix" else sort_type]),
    }


def _index_parameter(collection: Collection, index: Index, names: str) -> dict[str, Any]:
    """The query parameter of ``index``: a non-empty string, or a number."""
    key_type = collection.key_type(index)
    if key_type is None:
        raise ValueError(f"Collection({collection.name!r}) cannot index {index.attribute!r}.")
    return {
        "name": index.attribute,
        "in": "query",
        "required": False,
        "description": f"List only the live items whose `{index.attribute}` is this value, "
        f"from the {index.index_name} index. At most one of {names} per request."
        + _INDEX_LIMITS[key_type],
        "schema": dict(_INDEX_SCHEMAS[key_type]),
    }


def _components(
    template: Mapping[str, Any], collections: Sequence[Collection], per_collection: Sequence[str]
) -> dict[str, Any]:
    """The template's components as 3.1: the shared ones once, the item schemas per collection."""
    components: dict[str, Any] = {}
    for section, entries in template.items():
        if section == "schemas":
            components[section] = _schemas(entries, collections, per_collection)
        else:
            components[section] = {
                name: _generic_paths(_openapi_3_1(entry)) for name, entry in entries.items()
            }
    components["responses"][_BAD_REQUEST]["description"] += _SCHEMA_FAILURE
    error = components["schemas"][_ERROR]["properties"]["error"]
    error["properties"]["details"] = copy.deepcopy(_DETAILS)
    return components


def _schemas(
    template: Mapping[str, Any], collections: Sequence[Collection], per_collection: Sequence[str]
) -> dict[str, Any]:
    """The shared schemas in the template's order, then each collection's item schemas."""
    schemas = {
        name: _schema_3_1(schema) for name, schema in template.items() if name not in per_collection
    }
    schemas.update(storable_components())
    for collection in collections:
        renamed = _renames(collection, per_collection)
        for name in per_collection:
            if name == _DATA:
                schemas.update(_data_schemas(collection, template[_DATA]))
            elif name == _MERGE_PATCH:
                schemas[_component_name(collection, name)] = _merge_patch_schema(
                    collection, _schema_3_1(template[name])
                )
            else:
                converted = _renamed(_schema_3_1(template[name]), renamed)
                schemas[_component_name(collection, name)] = converted
    return schemas


def _data_schemas(collection: Collection, generic: Mapping[str, Any]) -> dict[str, Any]:
    """``<Pascal>Data`` and its hoisted definitions: the collection's schema, or ItemData's."""
    name = _component_name(collection, _DATA)
    if collection.schema is None:
        # OpenAPI 3.0 has no propertyNames nor recursive references: only 3.1 can say
        # what the runtime stores at every depth.
        return {name: {**_schema_3_1(generic), **_storable_members()}}
    return component_schemas(
        f"Collection({collection.name!r}).schema",
        collection.schema,
        name,
        number=COMPONENTS + DYNAMODB_NUMBER,
    )


def _storable_members() -> dict[str, Any]:
    """An object's members as the runtime stores them: non-empty keys, storable values."""
    return {
        "propertyNames": {"minLength": 1, "maxLength": 65535},
        "additionalProperties": {"$ref": COMPONENTS + STORABLE_VALUE},
    }


def _merge_patch_schema(collection: Collection, generic: Mapping[str, Any]) -> dict[str, Any]:
    """``<Pascal>MergePatch``: the patches that can apply to an item of ``collection``.

    As exact as a schema can be without knowing the item patched: each declared member
    of the collection's schema takes its schema, or ``null`` to remove it; the others
    what the schema's ``additionalProperties`` says. No member is required. Whether the
    merged item matches the schema depends on the item, as a 412 does.
    """
    patch = {**generic, **_storable_members()}
    schema = collection.schema
    if schema is None or not isinstance(schema.get("properties"), Mapping):
        return patch
    data_schema = _data_schemas(collection, {})[_component_name(collection, _DATA)]
    # Each member's schema is inlined, not referred to by a pointer into the data
    # component: code generators resolve only references to whole components.
    patch["properties"] = {
        member: {"anyOf": [copy.deepcopy(converted), {"type": "null"}]}
        for member, converted in data_schema["properties"].items()
    }
    extra = schema.get("additionalProperties", True)
    if extra is False:
        patch["additionalProperties"] = False
    elif extra is not True:
        patch["additionalProperties"] = {
            "anyOf": [copy.deepcopy(data_schema["additionalProperties"]), {"type": "null"}]
        }
    return patch


def _component_name(collection: Collection, template_name: str) -> str:
    """``ItemData`` as ``OrdersData``, ``Item`` as ``OrdersItem``.

    The Pascal form is the collection's construct prefix, which check_collections keeps
    unique; ``items`` has none, for its construct ids' sake, so it is spelled out here.
    """
    pascal = collection.construct_prefix or "Items"
    return f"{pascal}Data" if template_name == _DATA else f"{pascal}{template_name}"


def _renames(collection: Collection, per_collection: Sequence[str]) -> dict[str, str]:
    """The references to the template's item schemas, each mapped to the collection's."""
    return {
        COMPONENTS + name: COMPONENTS + _component_name(collection, name) for name in per_collection
    }


def _renamed(node: Any, renamed: Mapping[str, str]) -> Any:
    """A part of the template with its references to item schemas made the collection's."""
    if isinstance(node, dict):
        return {
            key: renamed.get(value, value) if key == "$ref" else _renamed(value, renamed)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_renamed(value, renamed) for value in node]
    return node


def _generic_paths(node: Any) -> Any:
    """A shared component whose descriptions name ``/<collection>`` instead of ``/items``."""
    if isinstance(node, dict):
        return {
            key: _TEMPLATE_PATH_IN_TEXT.sub("/<collection>", value)
            if key == "description" and isinstance(value, str)
            else _generic_paths(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_generic_paths(value) for value in node]
    return node


def _openapi_3_1(node: Any) -> Any:
    """A part of the 3.0 template with each schema of a parameter, header or body made 3.1."""
    if isinstance(node, Mapping):
        return {
            key: _schema_3_1(value)
            if key == "schema" and isinstance(value, Mapping)
            else _openapi_3_1(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_openapi_3_1(value) for value in node]
    return node


def _schema_3_1(schema: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0 schema as 3.1's: ``nullable`` as a type, exclusive bounds as numbers.

    And ``example`` as ``examples``, which JSON Schema 2020-12 knows. OpenAPI 3.0's schema
    objects are walked as draft 4's.
    """
    converted: dict[str, Any] = {}
    for key, value in map_subschemas(schema, _subschema_3_1, DRAFT_4).items():
        if key == "example":
            converted["examples"] = [value]
        elif key != "nullable":
            converted[key] = value
    if schema.get("nullable") is True:
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        if "enum" in converted and None not in converted["enum"]:
            converted["enum"].append(None)
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(converted.get(exclusive), bool) and converted.pop(exclusive):
            converted[exclusive] = converted.pop(bound)
    return converted


def _subschema_3_1(_: tuple[str, ...], schema: Any) -> Any:
    """A subschema as 3.1's; a boolean one, such as ``additionalProperties: false``, as is."""
    return _schema_3_1(schema) if isinstance(schema, Mapping) else schema
