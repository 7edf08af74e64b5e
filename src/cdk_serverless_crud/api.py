"""CachedRestApi: a regional REST API whose stage caches GET answers safely."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import jsii
from aws_cdk import ArnFormat, Duration, Names, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IValidation

from cdk_serverless_crud import defaults, validation

CACHE_CLUSTER_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
"""The stage cache sizes API Gateway offers, in GB."""

LIST_QUERY_PARAMS = ("limit", "cursor")
"""The query string parameters the item service's list routes read."""

_PATH_PARAMETER = re.compile(r"\{([^}+]+)\+?\}")


def path_parameters(path: str) -> list[str]:
    """The parameter names in a resource path: ``/items/{id}/{proxy+}`` gives id, proxy."""
    return _PATH_PARAMETER.findall(path)


@dataclass(frozen=True, kw_only=True)
class CachedRestApiProps:
    """Overrides for :class:`CachedRestApi`.

    The regional endpoint, encrypted cache data, INFO execution logging without data
    trace, metrics, X-Ray tracing and JSON access logs are not optional.
    """

    cache_cluster_size: str = defaults.CACHE_CLUSTER_SIZE
    """Size of the stage cache in GB, one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237.

    :default: "0.5"
    """

    throttling_rate_limit: float = defaults.THROTTLING_RATE_LIMIT
    """Steady-state requests per second the stage accepts, at least 0.

    :default: 100
    """

    throttling_burst_limit: int = defaults.THROTTLING_BURST_LIMIT
    """Requests the stage accepts in a burst above the rate, at least 0.

    :default: 200
    """

    access_log_retention: logs.RetentionDays = defaults.ACCESS_LOG_RETENTION
    """How long the access log group keeps events; must be finite.

    :default: RetentionDays.ONE_MONTH
    """

    cloud_watch_role: bool = defaults.CLOUD_WATCH_ROLE
    """Create the role API Gateway uses to write logs, and register it for the account.

    API Gateway holds one such role per account and region, so this setting is
    account-wide: the last stack that sets it wins. Both the role and the registration
    are retained when the stack is deleted, since other APIs in the account rely on them.
    With False nothing is created, and the account must already have a CloudWatch role
    (API Gateway console, Settings), or the first deploy fails with "CloudWatch Logs role
    ARN must be set in account settings".

    :default: True
    """

    def __post_init__(self) -> None:
        validation.check_one_of(
            "CachedRestApiProps.cache_cluster_size", self.cache_cluster_size, CACHE_CLUSTER_SIZES
        )
        validation.check_range(
            "CachedRestApiProps.throttling_rate_limit", self.throttling_rate_limit, 0
        )
        validation.check_range(
            "CachedRestApiProps.throttling_burst_limit", self.throttling_burst_limit, 0
        )
        validation.check_finite_retention(
            "CachedRestApiProps.access_log_retention", self.access_log_retention
        )


class CachedRestApi(Construct):
    """A regional REST API with one stage, a stage cache, logs, metrics and tracing.

    The stage caches GET answers for ``cache_ttl``. API Gateway keys its cache on the
    resource, the method and the parameters the integration lists in
    ``cache_key_parameters`` only, so add GET methods with :meth:`add_cached_get`, which
    lists every path parameter and the query parameters you name. Synthesis fails if a
    cached GET method misses one of its path parameters in its cache key.

    The REST API is ``.rest_api``; its access logs go to ``.access_log_group``. The API
    Gateway CloudWatch role is ``.cloud_watch_role``, None unless this API created it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage_name: str = defaults.STAGE_NAME,
        cache_ttl: Duration = defaults.CACHE_TTL,
        props: CachedRestApiProps | None = None,
    ) -> None:
        """Create the REST API, its stage, its access log group and the CloudWatch role.

        :param stage_name: the stage, matching ``[A-Za-z0-9_]+``. Default: ``"prod"``.
        :param cache_ttl: how long the stage caches a GET answer, 0 to 3600 seconds.
            Default: 60 seconds.
        :param props: overrides of the other defaults. Default: ``CachedRestApiProps()``.
        """
        super().__init__(scope, construct_id)
        validation.check_pattern("stage_name", stage_name, "[A-Za-z0-9_]+", 128)
        validation.check_seconds("cache_ttl", cache_ttl, 0, 3600)
        props = props or CachedRestApiProps()
        self.access_log_group = logs.LogGroup(
            self, "AccessLogs", retention=props.access_log_retention
        )
        self.rest_api = apigateway.RestApi(
            self,
            "Resource",
            rest_api_name=Names.unique_resource_name(self),
            endpoint_types=[defaults.ENDPOINT_TYPE],
            cloud_watch_role=False,
            deploy_options=apigateway.StageOptions(
                stage_name=stage_name,
                cache_cluster_enabled=True,
                cache_cluster_size=props.cache_cluster_size,
                caching_enabled=True,
                cache_ttl=cache_ttl,
                cache_data_encrypted=defaults.CACHE_DATA_ENCRYPTED,
                logging_level=defaults.EXECUTION_LOGGING_LEVEL,
                data_trace_enabled=defaults.DATA_TRACE_ENABLED,
                metrics_enabled=defaults.METRICS_ENABLED,
                tracing_enabled=defaults.API_TRACING_ENABLED,
                throttling_rate_limit=props.throttling_rate_limit,
                throttling_burst_limit=props.throttling_burst_limit,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        # RestApi outputs its URL on its own; whoever composes the API decides on outputs.
        self.rest_api.node.try_remove_child("Endpoint")
        self.cloud_watch_role: iam.Role | None = (
            self._register_cloud_watch_role() if props.cloud_watch_role else None
        )
        self.node.add_validation(_CachedGetsKeyTheirPathParameters(self.rest_api))

    @property
    def url(self) -> str:
        """The URL of the stage, ending in ``/``."""
        return self.rest_api.url

    def add_cached_get(
        self,
        resource: apigateway.IResource,
        handler: lambda_.IFunction,
        *,
        query_params: Sequence[str] = (),
        headers: Sequence[str] = (),
    ) -> apigateway.Method:
        """Add a GET method served by ``handler`` whose cache entries never mix requests.

        Every path parameter of ``resource.path`` and each of ``query_params`` and
        ``headers`` becomes a method request parameter (path parameters required, the
        others optional) and a cache key parameter of the Lambda proxy integration.

        :param resource: where to add the method, such as ``rest_api.root.add_resource()``.
        :param handler: the function behind the method.
        :param query_params: query string parameters the handler reads. Default: none.
        :param headers: headers the answer depends on, such as ``Authorization`` with an
            authorizer. Default: none.
        """
        parameters = {
            f"method.request.path.{name}": True for name in path_parameters(resource.path)
        }
        parameters |= {f"method.request.querystring.{name}": False for name in query_params}
        parameters |= {f"method.request.header.{name}": False for name in headers}
        integration = apigateway.LambdaIntegration(handler, cache_key_parameters=list(parameters))
        return resource.add_method("GET", integration, request_parameters=parameters)

    def add_item_routes(self, handler: lambda_.IFunction) -> None:
        """Add the item service's routes, all served by ``handler``.

        ``/items`` GET and POST, ``/items/{id}`` GET, PUT and DELETE, and
        ``/items/{id}/versions`` GET. The list routes key their cache on ``limit`` and
        ``cursor``.
        """
        items = self.rest_api.root.add_resource("items")
        item = items.add_resource("{id}")
        versions = item.add_resource("versions")
        writes = apigateway.LambdaIntegration(handler)
        self.add_cached_get(items, handler, query_params=LIST_QUERY_PARAMS)
        items.add_method("POST", writes)
        self.add_cached_get(item, handler)
        item.add_method("PUT", writes)
        item.add_method("DELETE", writes)
        self.add_cached_get(versions, handler, query_params=LIST_QUERY_PARAMS)

    def _register_cloud_watch_role(self) -> iam.Role:
        stack = Stack.of(self)
        log_groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        # Account-wide: it must cover every API's execution and access log groups in this
        # region, not only this one's.
        role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway's account-wide role for writing logs to CloudWatch Logs",
            inline_policies={
                "PushToCloudWatchLogs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=[
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:DescribeLogGroups",
                                "logs:DescribeLogStreams",
                                "logs:PutLogEvents",
                            ],
                            resources=[log_groups, f"{log_groups}:log-stream:*"],
                        )
                    ]
                )
            },
        )
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        account = apigateway.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        # Registering the role waits for the API resource itself (as aws-cdk-lib does; the
        # whole construct would include the stage and form a cycle); the stage, whose
        # logging needs the role, waits for the registration.
        account.node.add_dependency(cast(Construct, self.rest_api.node.default_child))
        self.rest_api.deployment_stage.node.add_dependency(account)
        return role


@jsii.implements(IValidation)
class _CachedGetsKeyTheirPathParameters:
    """Synthesis check: a cached GET method keys its cache on each of its path parameters."""

    def __init__(self, rest_api: apigateway.RestApi) -> None:
        self._rest_api = rest_api

    def validate(self) -> list[str]:
        stage = cast(apigateway.CfnStage, self._rest_api.deployment_stage.node.default_child)
        settings = _caching_by_method(stage)
        errors: list[str] = []
        for method in self._rest_api.methods:
            path = method.resource.path
            if method.http_method != "GET" or not _is_cached(settings, path):
                continue
            keys = _cache_key_parameters(cast(apigateway.CfnMethod, method.node.default_child))
            missing = [
                f"method.request.path.{name}"
                for name in path_parameters(path)
                if f"method.request.path.{name}" not in keys
            ]
            if missing:
                errors.append(
                    f"GET {path} is cached but its cache key lacks {', '.join(missing)}, so "
                    "API Gateway would answer one path with another's cached response. Add "
                    "the method with CachedRestApi.add_cached_get, or list the parameters in "
                    "both request_parameters and the integration's cache_key_parameters."
                )
        return errors


def _caching_by_method(stage: apigateway.CfnStage) -> dict[tuple[str, str], bool]:
    """Caching switches of the stage's method settings, by (resource path, HTTP method)."""
    settings = stage.method_settings
    if not isinstance(settings, list):
        return {}
    caching: dict[tuple[str, str], bool] = {}
    for setting in settings:
        if isinstance(setting, apigateway.CfnStage.MethodSettingProperty):
            path = (setting.resource_path or "/*").replace("~1", "/")
            enabled = setting.caching_enabled
            if isinstance(enabled, bool):
                caching[(path, setting.http_method or "*")] = enabled
    return caching


def _is_cached(caching: dict[tuple[str, str], bool], path: str) -> bool:
    # Method settings escape "/" as "~1" and prefix one more "/": "/~1items~1{id}".
    key = ("/" + path, "GET")
    if key in caching:
        return caching[key]
    return caching.get(("/*", "*"), False)


def _cache_key_parameters(method: apigateway.CfnMethod) -> set[str]:
    integration = method.integration
    if not isinstance(integration, apigateway.CfnMethod.IntegrationProperty):
        return set()
    return set(integration.cache_key_parameters or [])
