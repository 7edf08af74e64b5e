"""The template's resources by logical id, and the intrinsic functions local mode resolves.

Every reader (``functions.py``, ``storage.py``, ``rest_api.py``, ``buses.py``) looks
resources up here, and resolves ``Ref``, ``Fn::GetAtt``, ``Fn::Join`` and ``Fn::Sub`` to
the local values of the resources local mode creates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import TemplateError

JsonObject = Mapping[str, Any]

#: What ``Ref`` / ``Fn::GetAtt`` of a logical id (and attribute, or None) resolves to.
Resolver = Callable[[str, str | None], str]

LOCAL_REST_API_ID = "local-api"
"""What ``Ref`` of the REST API resolves to locally."""
LOCAL_STAGE_BASE = f"https://{LOCAL_REST_API_ID}.execute-api.us-east-1.amazonaws.com"
"""The stage's URL as a function's environment names it, before the stage is served."""

_PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
}


class Resources:
    """A template's ``Resources``, read by logical id and by type."""

    def __init__(self, template: JsonObject) -> None:
        """The resources of ``template`` (a template without any has none)."""
        self.by_id: JsonObject = template.get("Resources", {})

    def of_type(self, resource_type: str) -> list[tuple[str, JsonObject]]:
        """The logical ids and resources of one type, in template order."""
        return [(lid, res) for lid, res in self.by_id.items() if res.get("Type") == resource_type]

    def type_of(self, logical_id: str) -> str | None:
        """The type of the resource ``logical_id``, or None if the template has none."""
        kind = self.by_id.get(logical_id, {}).get("Type")
        return None if kind is None else str(kind)

    def properties(self, logical_id: str) -> JsonObject:
        """The ``Properties`` of the resource ``logical_id``."""
        properties: JsonObject = self.by_id[logical_id].get("Properties", {})
        return properties


def find_getatt_arn(value: Any) -> str:
    """The logical id in the ``Fn::GetAtt [X, Arn]`` inside a value (an integration URI)."""
    if isinstance(value, Mapping):
        getatt = value.get("Fn::GetAtt")
        if isinstance(getatt, list) and len(getatt) == 2 and getatt[1] == "Arn":
            return str(getatt[0])
        for inner in value.values():
            found = find_getatt_arn(inner)
            if found:
                return found
    elif isinstance(value, list):
        for inner in value:
            found = find_getatt_arn(inner)
            if found:
                return found
    return ""


def resolve_str(value: Any, ref: Resolver) -> str:
    """Resolve the intrinsic functions that appear in environments and code keys."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return _PSEUDO[arg] if arg in _PSEUDO else str(ref(arg, None))
        if fn == "Fn::GetAtt":
            return str(ref(arg[0], arg[1]))
        if fn == "Fn::Join":
            return str(arg[0]).join(resolve_str(part, ref) for part in arg[1])
        if fn == "Fn::Sub" and isinstance(arg, str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: _PSEUDO.get(m[1], m[0]), arg)
    raise TemplateError(f"cannot resolve {json.dumps(value)} locally")
