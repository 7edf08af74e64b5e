"""The packaged OpenAPI contract, read for API Gateway's request validation.

``openapi.json`` is data shipped in this package; reading it does not import the runtime.
API Gateway checks that required request parameters are present and that a body is a
JSON object (the function checks the rest, naming each failing field); it cannot check a
parameter's format, so the runtime keeps its own checks for ids, ``limit``, ``cursor``
and ``If-Match``.
"""

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

OPENAPI_PATH = Path(__file__).parent / "openapi.json"
"""The API contract, shared by the runtime, API Gateway's validation and local mode."""

JSON_MEDIA_TYPE = "application/json"
COLLECTION_PATH = "/items"
"""The contract's collection path; a collection ``orders`` serves it as ``/orders``."""
ITEM_DATA = "ItemData"
"""The contract's schema of an item's data; a typed collection's own schema replaces it."""

_PATH_PARAMETER = re.compile(r"\{([^}+]+)\+?\}")
# Where a parameter is, in OpenAPI and in API Gateway's method request.
_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}


def path_parameters(path: str) -> list[str]:
    """The parameter names in a resource path: ``/items/{id}/{proxy+}`` gives id, proxy."""
    return _PATH_PARAMETER.findall(path)


def collection_path(collection: str, path: str) -> str:
    """A path of the contract as the collection named ``collection`` serves it:
    ``/items/{id}`` as ``/orders/{id}``."""
    return f"/{collection}{path.removeprefix(COLLECTION_PATH)}"


def with_wildcards(path: str) -> str:
    """A resource path with each parameter as ``*``, as execute-api ARNs write it."""
    return _PATH_PARAMETER.sub("*", path)


@functools.cache
def load() -> Mapping[str, Any]:
    """The contract as parsed JSON."""
    contract: Mapping[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return contract


def operations() -> list[tuple[str, str]]:
    """Every (path, HTTP verb) of the contract, such as ``("/items/{id}", "PUT")``."""
    verbs = ("get", "put", "post", "delete", "patch", "head", "options")
    return [
        (path, verb.upper())
        for path, item in load()["paths"].items()
        for verb in verbs
        if verb in item
    ]


def request_parameters(path: str, verb: str) -> dict[str, bool]:
    """The method request parameters of an operation, each mapped to whether it is required.

    Keys are API Gateway's names: ``method.request.path.id``,
    ``method.request.querystring.limit``, ``method.request.header.If-Match``.
    """
    item = load()["paths"][path]
    declared = [*item.get("parameters", []), *item[verb.lower()].get("parameters", [])]
    parameters: dict[str, bool] = {}
    for parameter in map(_resolve, declared):
        location = _LOCATIONS.get(parameter["in"])
        if location is not None:
            name = f"method.request.{location}.{parameter['name']}"
            parameters[name] = bool(parameter.get("required", False))
    return parameters


def request_media_type(path: str, verb: str) -> str | None:
    """The media type of an operation's request body (each has one), if it has a body:
    ``application/json``, or ``application/merge-patch+json`` for PATCH."""
    body = load()["paths"][path][verb.lower()].get("requestBody")
    if body is None:
        return None
    (media_type,) = _resolve(body)["content"]
    return str(media_type)


def request_body_name(path: str, verb: str) -> str | None:
    """The name of an operation's request body schema, such as ``ItemData``, if it has a
    body; API Gateway's model of that name checks only that the body is a JSON object
    (``draft_4.request_model``)."""
    media_type = request_media_type(path, verb)
    if media_type is None:
        return None
    body = load()["paths"][path][verb.lower()]["requestBody"]
    schema = _resolve(body)["content"][media_type]["schema"]
    return str(schema["$ref"].rsplit("/", 1)[1]) if "$ref" in schema else f"{verb.title()}Body"


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local ``$ref`` such as ``#/components/schemas/ItemId``."""
    while "$ref" in node:
        target: Any = load()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node
