"""The stage cache's keys: what a cached GET must key on, and the synthesis check for it.

API Gateway keys its cache on the resource, the method and only the parameters the
integration lists in ``cache_key_parameters``. A cached GET that misses a path
parameter answers one item with another's cached answer; one that misses the caller's
header answers one caller with another's.
"""

from collections.abc import Mapping
from typing import Any, cast

import jsii
from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigateway
from constructs import IValidation

from cdk_serverless_crud.contract import openapi as contract
from cdk_serverless_crud.contract.stage_settings import method_caching
from cdk_serverless_crud.cors import CorsProps


def keyed_headers(caller_header: str | None, cors: CorsProps | None) -> dict[str, str]:
    """Headers every cached GET keys on, as method request parameters, each with the
    mix-up it prevents."""
    headers: dict[str, str] = {}
    if caller_header is not None:
        headers[f"method.request.header.{caller_header}"] = (
            "one caller could receive an answer cached for another"
        )
    if cors is not None and cors.echoes_origin:
        # The answer names the request's origin, and API Gateway's cache ignores Vary.
        headers["method.request.header.Origin"] = (
            "a browser of one allowed origin could receive an answer cached for "
            "another, which it may not read"
        )
    return headers


@jsii.implements(IValidation)
class CachedGetsKeepAnswersApart:
    """Synthesis check: a cached GET keys its cache on each path parameter and header.

    Which GETs are cached comes from the stage's method settings, read as API Gateway
    applies them (:func:`~cdk_serverless_crud.stage_settings.method_caching`).
    """

    def __init__(self, rest_api: apigateway.RestApi, headers: Mapping[str, str]) -> None:
        self._rest_api = rest_api
        self._headers = dict(headers)

    def validate(self) -> list[str]:
        stage = _stage_properties(self._rest_api)
        errors: list[str] = []
        for method in self._rest_api.methods:
            path = method.resource.path
            if method.http_method != "GET" or not method_caching(stage, path, "GET").enabled:
                continue
            keys = _cache_key_parameters(cast(apigateway.CfnMethod, method.node.default_child))
            missing = [
                f"method.request.path.{name}"
                for name in contract.path_parameters(path)
                if f"method.request.path.{name}" not in keys
            ]
            if missing:
                errors.append(
                    f"GET {path} is cached but its cache key lacks {', '.join(missing)}, so "
                    "API Gateway would answer one path with another's cached response. Add "
                    "the method with CachedRestApi.add_cached_get, or list the parameters in "
                    "both request_parameters and the integration's cache_key_parameters."
                )
            for header, mix_up in self._headers.items():
                if header in keys:
                    continue
                errors.append(
                    f"GET {path} is cached but its cache key lacks {header}, so {mix_up}. "
                    "Add the method with CachedRestApi.add_cached_get, or list the header in "
                    "both request_parameters and the integration's cache_key_parameters."
                )
        return errors


def _stage_properties(rest_api: apigateway.RestApi) -> dict[str, Any]:
    """The stage's cache settings as CloudFormation will receive them, from the public
    properties of its L1 (each method setting's keys in CloudFormation's case)."""
    stage = cast(apigateway.CfnStage, rest_api.deployment_stage.node.default_child)
    resolve = Stack.of(stage).resolve
    settings = resolve(stage.method_settings) or []
    return {
        "CacheClusterEnabled": resolve(stage.cache_cluster_enabled),
        "MethodSettings": [
            {key[:1].upper() + key[1:]: value for key, value in setting.items()}
            for setting in settings
        ],
    }


def _cache_key_parameters(method: apigateway.CfnMethod) -> set[str]:
    integration = method.integration
    if not isinstance(integration, apigateway.CfnMethod.IntegrationProperty):
        return set()
    return set(integration.cache_key_parameters or [])
