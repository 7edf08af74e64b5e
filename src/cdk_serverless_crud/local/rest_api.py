"""The template's REST API: its one stage, its methods and its gateway responses.

Methods with a Lambda proxy integration become :class:`MethodSpec`; MOCK methods are
CORS preflights (``preflights.py``) or answers of API Gateway's own (``mocks.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cdk_serverless_crud.contract.stage_settings import method_caching

from .errors import TemplateError
from .functions import FunctionReader, FunctionSpec
from .intrinsics import Resources, find_getatt_arn
from .mocks import GatewayResponses, MockSpec, read_gateway_responses, read_mock
from .models import BodyModel, body_model, required_parameters
from .preflights import PreflightSpec, read_preflight

JsonObject = Mapping[str, Any]


@dataclass(frozen=True)
class MethodSpec:
    """One API Gateway method with a Lambda proxy integration."""

    resource_path: str
    http_method: str
    function: FunctionSpec
    cache_key_parameters: tuple[str, ...]
    caching_enabled: bool
    cache_ttl_seconds: int
    authorization_type: str = "NONE"
    api_key_required: bool = False
    body_model: BodyModel | None = None
    """The JSON model API Gateway checks the body against before Lambda, if any."""
    required_parameters: tuple[str, ...] = ()
    """``method.request.querystring.*`` / ``.header.*`` the validator requires."""


@dataclass(frozen=True)
class RestApiSpec:
    """A REST API's stage and everything it answers."""

    stage_name: str
    cache_cluster_enabled: bool
    access_log_format: str | None
    methods: tuple[MethodSpec, ...]
    preflights: tuple[PreflightSpec, ...]
    mocks: tuple[MockSpec, ...]
    gateway_responses: GatewayResponses


def read_rest_api(stack_name: str, resources: Resources, functions: FunctionReader) -> RestApiSpec:
    """The stack's one REST API, with its one stage."""
    rest_apis = resources.of_type("AWS::ApiGateway::RestApi")
    if len(rest_apis) != 1:
        raise TemplateError(f"stack {stack_name} has {len(rest_apis)} REST APIs; expected 1")
    ((api_id, _),) = rest_apis
    stages = [
        res
        for _, res in resources.of_type("AWS::ApiGateway::Stage")
        if res["Properties"].get("RestApiId") == {"Ref": api_id}
    ]
    if len(stages) != 1:
        raise TemplateError(f"REST API {api_id} has {len(stages)} stages; expected 1")
    stage = stages[0]["Properties"]
    methods = []
    preflights = []
    mocks = []
    for _, method in resources.of_type("AWS::ApiGateway::Method"):
        props = method["Properties"]
        if props.get("RestApiId") != {"Ref": api_id}:
            continue
        path = _path(resources, props["ResourceId"])
        integration_type = props.get("Integration", {}).get("Type")
        if props["HttpMethod"] == "OPTIONS" and integration_type == "MOCK":
            preflights.append(read_preflight(path, props))
        elif integration_type == "MOCK":
            mocks.append(read_mock(path, props))
        else:
            methods.append(_read_method(resources, functions, stage, path, props))
    log_setting = stage.get("AccessLogSetting") or {}
    return RestApiSpec(
        stage_name=str(stage["StageName"]),
        cache_cluster_enabled=stage.get("CacheClusterEnabled") is True,
        access_log_format=log_setting.get("Format"),
        methods=tuple(sorted(methods, key=lambda m: (m.resource_path, m.http_method))),
        preflights=tuple(sorted(preflights, key=lambda p: p.resource_path)),
        mocks=tuple(sorted(mocks, key=lambda m: (m.resource_path, m.http_method))),
        gateway_responses=read_gateway_responses(resources.by_id, api_id),
    )


def _read_method(
    resources: Resources,
    functions: FunctionReader,
    stage: JsonObject,
    path: str,
    props: JsonObject,
) -> MethodSpec:
    """A method with a Lambda proxy integration, with the stage's caching of it."""
    integration = props.get("Integration", {})
    if integration.get("Type") != "AWS_PROXY":
        raise TemplateError(
            f"method {props['HttpMethod']} {path} uses a {integration.get('Type')} "
            "integration; local mode serves Lambda proxy and MOCK integrations only"
        )
    caching = method_caching(stage, path, props["HttpMethod"])
    return MethodSpec(
        resource_path=path,
        http_method=props["HttpMethod"],
        function=functions.read(find_getatt_arn(integration.get("Uri"))),
        cache_key_parameters=tuple(integration.get("CacheKeyParameters", [])),
        caching_enabled=caching.enabled,
        cache_ttl_seconds=caching.ttl_seconds,
        authorization_type=str(props.get("AuthorizationType", "NONE")),
        api_key_required=props.get("ApiKeyRequired") is True,
        body_model=body_model(resources.by_id, props),
        required_parameters=required_parameters(resources.by_id, props),
    )


def _path(resources: Resources, ref: Any) -> str:
    """The full path of an ``AWS::ApiGateway::Resource`` (or the root)."""
    if isinstance(ref, Mapping) and "Fn::GetAtt" in ref:
        return "/"
    props = resources.properties(ref["Ref"])
    parent = _path(resources, props["ParentId"])
    return f"{parent.rstrip('/')}/{props['PathPart']}"
