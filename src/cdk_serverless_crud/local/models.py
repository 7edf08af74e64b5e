"""API Gateway's request body validation, as the template configures it.

A method whose request validator checks bodies and whose ``RequestModels`` name a JSON
model gets its body checked against that model (JSON Schema draft 4) before Lambda runs.
A body that fails is answered by the stage itself, with the template's
``BAD_REQUEST_BODY`` gateway response (``mocks.GatewayResponses``; the item service's
error shape, no ``details``), so local mode answers as the deployed stage does. API
Gateway's own validator is not Python's; jsonschema's ``Draft4Validator`` stands in for it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema  # type: ignore[import-untyped]

JsonObject = Mapping[str, Any]

_JSON = "application/json"


@dataclass(frozen=True)
class BodyModel:
    """The JSON model a method's body must match."""

    name: str
    schema: JsonObject
    media_type: str = _JSON

    def accepts(self, body: bytes, content_type: str | None) -> bool:
        """Whether API Gateway would pass ``body`` on to the integration.

        The model applies to bodies of its media type (a request without
        ``Content-Type`` counts as JSON); other types and an empty body are left to the
        function, which refuses them.
        """
        media_type = (content_type or _JSON).split(";")[0].strip().lower()
        if media_type != self.media_type or not body:
            return True
        try:
            document = json.loads(body)
            return bool(self._validator.is_valid(document))
        except (ValueError, RecursionError):
            # Not JSON, or too deep for Python to parse or check (about 1,000 levels):
            # refused as a body the validator cannot parse, never a crash of the stage.
            return False

    @functools.cached_property
    def _validator(self) -> Any:
        """Built once per model: building one costs more than checking a body."""
        return jsonschema.Draft4Validator(self.schema)


def body_model(resources: JsonObject, method: JsonObject) -> BodyModel | None:
    """The model that a method's validator checks its JSON body against, if any."""
    models = method.get("RequestModels") or {}
    if len(models) != 1 or _validator(resources, method).get("ValidateRequestBody") is not True:
        return None
    ((media_type, model_ref),) = models.items()
    if not isinstance(model_ref, Mapping) or "Ref" not in model_ref:
        return None  # a model of another API, or API Gateway's built-in Empty model
    model = resources.get(model_ref["Ref"], {}).get("Properties", {})
    schema = model.get("Schema")
    if not isinstance(schema, Mapping):
        return None
    return BodyModel(
        name=str(model.get("Name", model_ref["Ref"])), schema=schema, media_type=media_type
    )


def required_parameters(resources: JsonObject, method: JsonObject) -> tuple[str, ...]:
    """The query string parameters and headers the method's validator requires.

    ``RequestParameters`` marks each ``method.request.querystring.<name>`` or
    ``method.request.header.<name>`` as required (True) or not; API Gateway checks the
    required ones are present when the validator validates parameters. Path parameters
    are always present once a route matches.
    """
    if _validator(resources, method).get("ValidateRequestParameters") is not True:
        return ()
    return tuple(
        name
        for name, required in (method.get("RequestParameters") or {}).items()
        if required is True
        and name.startswith(("method.request.querystring.", "method.request.header."))
    )


def _validator(resources: JsonObject, method: JsonObject) -> JsonObject:
    """The properties of the method's request validator; empty without one."""
    ref = method.get("RequestValidatorId")
    if not isinstance(ref, Mapping):
        return {}
    props: JsonObject = resources.get(ref.get("Ref", ""), {}).get("Properties", {})
    return props
