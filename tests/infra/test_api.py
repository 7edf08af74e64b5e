"""CachedRestApi: endpoint, stage, cache keys, logging, the CloudWatch role and props."""

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from cdk_serverless_crud import CachedRestApi, CachedRestApiProps, ServerlessCrudService

from .helpers import (
    REQUIRED_TAGS,
    get_att,
    join,
    logical_id,
    methods_by_route,
    new_stack,
    only,
    props,
    resources,
)

STAGE = "AWS::ApiGateway::Stage"
OPENAPI = Path(__file__).parents[2] / "src" / "cdk_serverless_crud" / "contract" / "openapi.json"


def test_endpoint_is_regional(template: Template) -> None:
    api = props(template, "AWS::ApiGateway::RestApi")
    assert api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert "ItemsApi" in api["Name"]


def test_stage_is_prod_with_an_encrypted_half_gigabyte_cache(template: Template) -> None:
    stage = props(template, STAGE)
    assert stage["StageName"] == "prod"
    assert stage["CacheClusterEnabled"] is True
    assert stage["CacheClusterSize"] == "0.5"
    assert stage["TracingEnabled"] is True


def test_method_settings_cache_log_meter_and_throttle(template: Template) -> None:
    assert props(template, STAGE)["MethodSettings"] == [
        {
            "HttpMethod": "*",
            "ResourcePath": "/*",
            "CachingEnabled": True,
            "CacheTtlInSeconds": 60,
            "CacheDataEncrypted": True,
            "LoggingLevel": "INFO",
            "DataTraceEnabled": False,
            "MetricsEnabled": True,
            "ThrottlingRateLimit": 100,
            "ThrottlingBurstLimit": 200,
        }
    ]


def test_access_logs_are_json_in_their_own_log_group(template: Template) -> None:
    setting = props(template, STAGE)["AccessLogSetting"]
    (log_group_id,) = setting["DestinationArn"]["Fn::GetAtt"][:1]
    log_group = resources(template, "AWS::Logs::LogGroup")[log_group_id]["Properties"]
    assert log_group["RetentionInDays"] == 30
    fields = json.loads(setting["Format"])
    assert fields["requestId"] == "$context.requestId"
    assert {"status", "httpMethod", "resourcePath", "ip", "requestTime"} <= set(fields)


def test_routes_are_the_item_service_routes_on_one_function(template: Template) -> None:
    routes = methods_by_route(template)
    # ANY: the 405 answers for the other methods of each path (test_gateway_answers.py).
    methods = {route: m for route, m in routes.items() if not route.startswith("ANY ")}
    assert {route for route in routes if route.startswith("ANY ")} == {
        "ANY " + route.split(" ")[1] for route in methods
    }
    assert set(methods) == {
        "GET /items",
        "POST /items",
        "GET /items/{id}",
        "PUT /items/{id}",
        "PATCH /items/{id}",
        "DELETE /items/{id}",
        "GET /items/{id}/versions",
        "GET /items/{id}/versions/{timestamp}",
        "POST /items/{id}/restore",
    }
    function_id = logical_id(template, "AWS::Lambda::Function")
    for method in methods.values():
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert get_att(function_id) in method["Integration"]["Uri"]["Fn::Join"][1]


@pytest.mark.parametrize(
    ("route", "cache_keys"),
    [
        (
            "GET /items",
            {
                "method.request.querystring.limit",
                "method.request.querystring.cursor",
                "method.request.querystring.order",
            },
        ),
        ("GET /items/{id}", {"method.request.path.id", "method.request.querystring.as_of"}),
        (
            "GET /items/{id}/versions/{timestamp}",
            {"method.request.path.id", "method.request.path.timestamp"},
        ),
        (
            "GET /items/{id}/versions",
            {
                "method.request.path.id",
                "method.request.querystring.limit",
                "method.request.querystring.cursor",
            },
        ),
    ],
)
def test_every_get_keys_its_cache_on_its_parameters(
    template: Template, route: str, cache_keys: set[str]
) -> None:
    method = methods_by_route(template)[route]
    assert set(method["Integration"]["CacheKeyParameters"]) == cache_keys
    # API Gateway only accepts cache keys that the method request declares.
    assert method["RequestParameters"] == {
        key: key.startswith("method.request.path.") for key in cache_keys
    }


def test_cache_keys_cover_every_get_parameter_of_the_openapi_contract(
    template: Template,
) -> None:
    contract = json.loads(OPENAPI.read_text())
    shared = contract.get("components", {}).get("parameters", {})

    def resolve(parameter: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in parameter:
            resolved: dict[str, Any] = shared[parameter["$ref"].rsplit("/", 1)[1]]
            return resolved
        return parameter

    methods = methods_by_route(template)
    for path, operations in contract["paths"].items():
        if "get" not in operations:
            continue
        parameters = [
            resolve(p)
            for p in operations.get("parameters", []) + operations["get"].get("parameters", [])
        ]
        expected = {
            f"method.request.{'querystring' if p['in'] == 'query' else 'path'}.{p['name']}"
            for p in parameters
            if p["in"] in ("query", "path")
        }
        assert set(methods[f"GET {path}"]["Integration"]["CacheKeyParameters"]) == expected


def test_cloud_watch_role_is_our_own_least_privilege_role(template: Template) -> None:
    account = only(template, "AWS::ApiGateway::Account")
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = resources(template, "AWS::IAM::Role")[role_id]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    (policy,) = role["Properties"]["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    region = ["arn:", {"Ref": "AWS::Partition"}, ":logs:", {"Ref": "AWS::Region"}, ":"]
    in_this_account = [*region, {"Ref": "AWS::AccountId"}]
    assert statement["Resource"] == [
        join(*in_this_account, ":log-group:*"),
        join(*in_this_account, ":log-group:*:log-stream:*"),
    ]
    # Account-wide: other APIs rely on it after this stack is gone.
    assert role["DeletionPolicy"] == account["DeletionPolicy"] == "Retain"


def test_stage_waits_for_the_cloud_watch_role(template: Template) -> None:
    account_id = logical_id(template, "AWS::ApiGateway::Account")
    assert account_id in only(template, STAGE)["DependsOn"]


def test_the_api_adds_no_url_output_of_its_own(template: Template) -> None:
    outputs = template.find_outputs("*")
    assert [name for name in outputs if "Endpoint" in name] == []


@pytest.fixture(scope="module")
def api_with_props() -> Template:
    """An API on its own with every prop set, and one cached GET with all kinds of keys."""
    stack = new_stack()
    api = CachedRestApi(
        stack,
        "Api",
        stage_name="v1",
        cache_ttl=Duration.minutes(5),
        props=CachedRestApiProps(
            cache_cluster_size="1.6",
            throttling_rate_limit=10,
            throttling_burst_limit=20,
            access_log_retention=logs.RetentionDays.ONE_YEAR,
            cloud_watch_role=False,
        ),
    )
    handler = lambda_.Function.from_function_arn(
        stack, "Handler", "arn:aws:lambda:us-east-1:123456789012:function:reports"
    )
    resource = api.rest_api.root.resource_for_path("/reports/{year}/{rest+}")
    api.add_cached_get(resource, handler, query_params=["format"], headers=["Authorization"])
    return Template.from_stack(stack)


def test_props_set_stage_cache_throttling_and_log_retention(api_with_props: Template) -> None:
    stage = props(api_with_props, STAGE)
    assert stage["StageName"] == "v1"
    assert stage["CacheClusterSize"] == "1.6"
    (settings,) = stage["MethodSettings"]
    assert settings["CacheTtlInSeconds"] == 300
    assert settings["ThrottlingRateLimit"] == 10
    assert settings["ThrottlingBurstLimit"] == 20
    assert props(api_with_props, "AWS::Logs::LogGroup")["RetentionInDays"] == 365


def test_without_the_cloud_watch_role_nothing_account_wide_is_created(
    api_with_props: Template,
) -> None:
    assert resources(api_with_props, "AWS::ApiGateway::Account") == {}
    assert resources(api_with_props, "AWS::IAM::Role") == {}


def test_add_cached_get_keys_path_query_and_header_parameters(api_with_props: Template) -> None:
    method = props(api_with_props, "AWS::ApiGateway::Method")
    assert method["RequestParameters"] == {
        "method.request.path.year": True,
        "method.request.path.rest": True,
        "method.request.querystring.format": False,
        "method.request.header.Authorization": False,
    }
    assert method["Integration"]["CacheKeyParameters"] == list(method["RequestParameters"])


def _api_with_raw_get(cached: bool) -> Stack:
    """An API with a GET on /raw/{id} added without cache keys; optionally not cached."""
    stack = Stack(App(), "Test")
    api = CachedRestApi(stack, "Api", props=CachedRestApiProps(cloud_watch_role=False))
    handler = lambda_.Function.from_function_arn(
        stack, "Handler", "arn:aws:lambda:us-east-1:123456789012:function:raw"
    )
    api.rest_api.root.resource_for_path("/raw/{id}").add_method(
        "GET", apigateway.LambdaIntegration(handler)
    )
    if not cached:
        stage = api.rest_api.deployment_stage.node.default_child
        assert isinstance(stage, apigateway.CfnStage)
        stage.method_settings = [
            *stage.method_settings,  # type: ignore[misc]
            apigateway.CfnStage.MethodSettingProperty(
                resource_path="/~1raw~1{id}", http_method="GET", caching_enabled=False
            ),
        ]
    return stack


def test_synth_fails_for_a_cached_get_without_its_path_parameter_in_the_cache_key() -> None:
    with pytest.raises(RuntimeError, match=r"GET /raw/\{id\} is cached but its cache key lacks "):
        Template.from_stack(_api_with_raw_get(cached=True))


def test_synth_accepts_a_get_whose_caching_is_turned_off() -> None:
    settings = props(Template.from_stack(_api_with_raw_get(cached=False)), STAGE)
    assert settings["MethodSettings"][-1] == {
        "ResourcePath": "/~1raw~1{id}",
        "HttpMethod": "GET",
        "CachingEnabled": False,
    }


@pytest.fixture(scope="module")
def uncached() -> Template:
    """The service with ``cache_ttl=0``, which the README says turns caching off."""
    stack = new_stack()
    ServerlessCrudService(stack, "Items", tags=REQUIRED_TAGS, cache_ttl=Duration.seconds(0))
    return Template.from_stack(stack)


def test_a_ttl_of_0_bills_no_cache_cluster(uncached: Template) -> None:
    stage = props(uncached, STAGE)
    assert stage["CacheClusterEnabled"] is False
    assert "CacheClusterSize" not in stage


def test_a_ttl_of_0_caches_no_method(uncached: Template) -> None:
    settings = props(uncached, STAGE)["MethodSettings"]
    assert [s for s in settings if s.get("CachingEnabled") is not False] == []
    assert all("CacheTtlInSeconds" not in s for s in settings)


def test_a_ttl_of_0_demands_no_cache_key_of_a_get() -> None:
    stack = Stack(App(), "Test")
    api = CachedRestApi(
        stack,
        "Api",
        cache_ttl=Duration.seconds(0),
        props=CachedRestApiProps(cloud_watch_role=False),
    )
    handler = lambda_.Function.from_function_arn(
        stack, "Handler", "arn:aws:lambda:us-east-1:123456789012:function:raw"
    )
    api.rest_api.root.resource_for_path("/raw/{id}").add_method(
        "GET", apigateway.LambdaIntegration(handler)
    )
    methods = methods_by_route(Template.from_stack(stack))
    assert "CacheKeyParameters" not in methods["GET /raw/{id}"]["Integration"]
