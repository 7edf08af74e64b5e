"""CachedRestApi: a regional REST API whose stage caches GET answers safely."""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import jsii
from aws_cdk import Annotations, Aspects, Duration, IAspect, Names, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct, IConstruct, IValidation

from cdk_serverless_crud import acknowledgments, contract, defaults, keys, validation
from cdk_serverless_crud.authorization import Authorization, AuthorizationMode, create_user_pool

CACHE_CLUSTER_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
"""The stage cache sizes API Gateway offers, in GB."""

READ_METHODS = ("GET",)
"""The HTTP methods ``grant_invoke_read`` allows."""

READ_WRITE_METHODS = ("GET", "POST", "PUT", "DELETE")
"""The HTTP methods ``grant_invoke_read_write`` allows."""

_PATH_PARAMETER = re.compile(r"\{([^}+]+)\+?\}")
_ORIGIN = r"\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?"
_REGIONAL_WEB_ACL = r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[^/]+/[^/]+"
# Answers of API Gateway itself when a request fails validation, in the item service's
# error shape; $context.error.messageString is already a quoted JSON string.
_VALIDATION_ERRORS = {
    "BadRequestBody": (apigateway.ResponseType.BAD_REQUEST_BODY, "invalid_body"),
    "BadRequestParameters": (
        apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
        "invalid_parameter",
    ),
}


def path_parameters(path: str) -> list[str]:
    """The parameter names in a resource path: ``/items/{id}/{proxy+}`` gives id, proxy."""
    return _PATH_PARAMETER.findall(path)


@dataclass(frozen=True, kw_only=True)
class CorsProps:
    """Cross-origin access for browsers (CORS): which web origins may call the API.

    API Gateway answers the preflight (``OPTIONS``) itself, without authorization, as
    browsers send it without credentials.
    """

    allow_origins: Sequence[str]
    """The origins allowed, such as ``https://app.example.com``; ``["*"]`` for any.

    A wildcard cannot be combined with ``allow_credentials`` or with other origins.
    """

    allow_credentials: bool = False
    """Let browsers send cookies and HTTP authentication with cross-origin requests.

    :default: False
    """

    allow_headers: Sequence[str] = defaults.CORS_ALLOW_HEADERS
    """Request headers a cross-origin request may send.

    :default: Content-Type, If-Match, Cache-Control, Authorization, X-Api-Key and the
        SigV4 headers (X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256)
    """

    max_age: Duration = defaults.CORS_MAX_AGE
    """How long browsers may cache a preflight answer, 0 to 7200 seconds.

    :default: Duration.minutes(10)
    """

    def __post_init__(self) -> None:
        origins = list(self.allow_origins)
        if not origins:
            raise ValueError(
                "CorsProps.allow_origins must list at least one origin, such as "
                "'https://app.example.com'; got []. Leave cors unset to turn CORS off."
            )
        for origin in origins:
            validation.check_format(
                "CorsProps.allow_origins",
                origin,
                _ORIGIN,
                "'*' or an origin such as 'https://app.example.com' (scheme, host and "
                "optional port, no path)",
            )
        if "*" in origins and self.allow_credentials:
            raise ValueError(
                "CorsProps.allow_origins cannot be ['*'] with allow_credentials=True: "
                "browsers refuse credentials for a wildcard origin, and any site could act "
                "as the user. List the origins explicitly."
            )
        if "*" in origins and len(origins) > 1:
            raise ValueError(
                f"CorsProps.allow_origins must be ['*'] alone or explicit origins; got {origins!r}."
            )
        validation.check_seconds("CorsProps.max_age", self.max_age, 0, 7200)


@dataclass(frozen=True, kw_only=True)
class CachedRestApiProps:
    """Overrides for :class:`CachedRestApi`.

    The regional endpoint, encrypted cache data, INFO execution logging without data
    trace, metrics, X-Ray tracing, JSON access logs and request validation are not
    optional.
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

    cors: CorsProps | None = defaults.CORS
    """Cross-origin access for browsers.

    :default: None, CORS off
    """

    web_acl_arn: str | None = defaults.WEB_ACL_ARN
    """The ARN of a regional WAFv2 web ACL to associate with the stage.

    Exclude or override the body size rule of AWS's common rule set
    (``SizeRestrictions_BODY``), since the API accepts bodies up to 6 MB.

    :default: None, no web ACL
    """

    access_log_encryption_key: kms.IKey | None = None
    """A customer-managed KMS key for the access log group.

    Its key policy must let CloudWatch Logs use it; the API adds that statement to a key
    defined in this app.

    :default: None, CloudWatch Logs' own encryption
    """

    def __post_init__(self) -> None:
        if self.web_acl_arn is not None:
            validation.check_format(
                "CachedRestApiProps.web_acl_arn",
                self.web_acl_arn,
                _REGIONAL_WEB_ACL,
                "the ARN of a regional WAFv2 web ACL, "
                "arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>",
            )
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
    lists every path parameter, the query parameters you name and the header that tells
    callers apart (see :attr:`Authorization.caller_header`). Synthesis fails if a cached
    GET method misses one of them in its cache key.

    Every method uses the ``authorization`` given (AWS IAM by default), and a request
    validator checks bodies and required parameters before Lambda runs.

    The REST API is ``.rest_api``; its access logs go to ``.access_log_group``. The API
    Gateway CloudWatch role is ``.cloud_watch_role``, None unless this API created it.
    With Cognito, ``.authorizer``, ``.user_pool`` and ``.user_pool_client`` (None for an
    existing pool); with API keys, ``.usage_plan``; with a web ACL, ``.web_acl_association``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage_name: str = defaults.STAGE_NAME,
        cache_ttl: Duration = defaults.CACHE_TTL,
        authorization: Authorization | None = None,
        props: CachedRestApiProps | None = None,
    ) -> None:
        """Create the REST API, its stage, its access log group and the CloudWatch role.

        :param stage_name: the stage, matching ``[A-Za-z0-9_]+``. Default: ``"prod"``.
        :param cache_ttl: how long the stage caches a GET answer, 0 to 3600 seconds.
            Default: 60 seconds.
        :param authorization: how callers authenticate. Default: ``Authorization.iam()``.
        :param props: overrides of the other defaults. Default: ``CachedRestApiProps()``.
        """
        super().__init__(scope, construct_id)
        validation.check_pattern("stage_name", stage_name, "[A-Za-z0-9_]+", 128)
        validation.check_seconds("cache_ttl", cache_ttl, 0, 3600)
        props = props or CachedRestApiProps()
        self.stage_name = stage_name
        self.authorization = authorization or Authorization.iam()
        self.cors = props.cors
        self.user_pool: cognito.IUserPool | None = None
        self.user_pool_client: cognito.UserPoolClient | None = None
        self.authorizer = self._create_authorizer()
        self.access_log_group = keys.encrypted_log_group(
            self,
            "AccessLogs",
            retention=props.access_log_retention,
            encryption_key=props.access_log_encryption_key,
        )
        self.rest_api = apigateway.RestApi(
            self,
            "Resource",
            rest_api_name=Names.unique_resource_name(self),
            endpoint_types=[defaults.ENDPOINT_TYPE],
            cloud_watch_role=False,
            default_method_options=self._method_options(),
            default_cors_preflight_options=_cors_options(props.cors),
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
        self.request_validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        self._models: dict[str, apigateway.IModel] = {}
        self._integrated: set[str] = set()
        self._add_validation_error_responses(props.cors)
        self.usage_plan = self._create_usage_plan()
        self.web_acl_association = self._associate_web_acl(props.web_acl_arn)
        self.cloud_watch_role: iam.Role | None = (
            self._register_cloud_watch_role() if props.cloud_watch_role else None
        )
        if self.authorization.mode is AuthorizationMode.NONE:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-crud:no-authorization",
                "Authorization.none(): anyone who knows the URL can read and write items. "
                "Use Authorization.iam() (the default), .cognito() or .api_keys() unless "
                "the API is meant to be public.",
            )
        Aspects.of(self.rest_api).add(_AcknowledgeAuthorizationFindings(self.authorization))
        self.node.add_validation(_CachedGetsKeepAnswersApart(self.rest_api, self._keyed_headers()))

    @property
    def url(self) -> str:
        """The URL of the stage, ending in ``/``."""
        return self.rest_api.url

    @property
    def cors_environment(self) -> dict[str, str]:
        """The environment that tells the item service runtime the CORS policy.

        ``CORS_ALLOW_ORIGINS`` (comma-separated) and ``CORS_ALLOW_CREDENTIALS``
        (``true``/``false``); empty when CORS is off. :meth:`add_item_routes` sets it on
        its handler. API Gateway passes Lambda answers through unchanged, so a handler of
        your own routes must add the CORS headers itself for browsers to read them.
        """
        if self.cors is None:
            return {}
        return {
            "CORS_ALLOW_ORIGINS": ",".join(self.cors.allow_origins),
            "CORS_ALLOW_CREDENTIALS": "true" if self.cors.allow_credentials else "false",
        }

    def add_cached_get(
        self,
        resource: apigateway.IResource,
        handler: lambda_.IFunction,
        *,
        query_params: Sequence[str] = (),
        headers: Sequence[str] = (),
    ) -> apigateway.Method:
        """Add a GET method served by ``handler`` whose cache entries never mix requests.

        Every path parameter of ``resource.path``, each of ``query_params`` and
        ``headers``, the authorization's caller header and, with CORS for several
        origins, ``Origin`` become method request parameters (path parameters required,
        the others optional) and cache key parameters of the Lambda proxy integration.

        :param resource: where to add the method, such as ``rest_api.root.add_resource()``.
        :param handler: the function behind the method.
        :param query_params: query string parameters the handler reads. Default: none.
        :param headers: other headers the answer depends on. Default: none.
        """
        parameters = {
            f"method.request.path.{name}": True for name in path_parameters(resource.path)
        }
        parameters |= {f"method.request.querystring.{name}": False for name in query_params}
        parameters |= {f"method.request.header.{name}": False for name in headers}
        return self._add_get(resource, handler, parameters)

    def add_item_routes(self, handler: lambda_.IFunction) -> None:
        """Add the item service's routes, all served by ``handler``.

        The routes, their parameters and their body models come from the packaged OpenAPI
        contract: ``/items`` GET and POST, ``/items/{id}`` GET, PUT and DELETE, and
        ``/items/{id}/versions`` GET. GETs key their cache on every path and query
        parameter; POST and PUT bodies must be JSON objects. With CORS, ``handler`` gets
        :attr:`cors_environment`, so its answers carry the CORS headers; a handler that
        is not a ``lambda_.Function`` of this app cannot, and gets a warning instead.
        """
        self._configure_cors(handler)
        for path, verb in contract.operations():
            resource = self.rest_api.root.resource_for_path(path)
            parameters = contract.request_parameters(path, verb)
            if verb == "GET":
                self._add_get(resource, handler, parameters)
                continue
            body = contract.request_body_schema(path, verb)
            resource.add_method(
                verb,
                self._integration(handler),
                request_parameters=parameters or None,
                request_validator=self.request_validator,
                request_models={contract.JSON_MEDIA_TYPE: self._model(*body)} if body else None,
            )

    def add_api_key(self, construct_id: str) -> apigateway.IApiKey:
        """Create an API key in the usage plan; its value is generated by API Gateway.

        Read the value in the console or with ``aws apigateway get-api-key --include-value``.
        Only with ``Authorization.api_keys()``.

        :param construct_id: the id of the key's construct, such as ``"PartnerA"``.
        """
        if self.usage_plan is None:
            raise ValueError(
                "add_api_key needs authorization=Authorization.api_keys(); this API uses "
                f"{self.authorization.mode.name}."
            )
        key = apigateway.ApiKey(self, construct_id, enabled=True)
        self.usage_plan.add_api_key(key)
        return key

    def grant_invoke(self, grantee: iam.IGrantable, *http_methods: str) -> iam.Grant:
        """Let ``grantee`` call this stage's methods of the given HTTP methods.

        Grants ``execute-api:Invoke`` on the ARN of each such method that exists now, on
        this stage only (path parameters become ``*``, which is acknowledged for cdk-nag,
        ``AwsSolutions-IAM5``, on the grantee's policy). Only with ``Authorization.iam()``.

        :param grantee: the principal, such as a role or a function.
        :param http_methods: the HTTP methods, such as ``"GET"``. Default: none; name at
            least one.
        """
        return self._grant(grantee, "execute-api:Invoke", http_methods)

    def grant_invoke_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call every GET method of this stage (SigV4, IAM authorization)."""
        return self.grant_invoke(grantee, *READ_METHODS)

    def grant_invoke_read_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call every GET, POST, PUT and DELETE method of this stage."""
        return self.grant_invoke(grantee, *READ_WRITE_METHODS)

    def grant_invalidate_cache(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` fetch fresh answers with ``Cache-Control: max-age=0``.

        Grants ``execute-api:InvalidateCache`` on every GET method of this stage. API
        Gateway requires it by default and ignores the header of anyone else (it adds a
        warning header and answers from the cache). Only with ``Authorization.iam()``.
        """
        return self._grant(grantee, "execute-api:InvalidateCache", READ_METHODS)

    def _grant(
        self, grantee: iam.IGrantable, action: str, http_methods: Sequence[str]
    ) -> iam.Grant:
        if self.authorization.mode is not AuthorizationMode.IAM:
            raise ValueError(
                f"{action} grants need authorization=Authorization.iam(): IAM policies only "
                f"decide access to methods that use AWS_IAM; this API uses "
                f"{self.authorization.mode.name}."
            )
        wanted = {verb.upper() for verb in http_methods}
        paths = {
            (method.http_method, _PATH_PARAMETER.sub("*", method.resource.path)): None
            for method in self.rest_api.methods
            if method.http_method in wanted
        }
        if not paths:
            raise ValueError(
                f"{action} grants found no {', '.join(sorted(wanted))} method on this API; "
                "add the routes first."
            )
        arns = [
            self.rest_api.arn_for_execute_api(verb, path, self.stage_name) for verb, path in paths
        ]
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=[action], resource_arns=arns)
        acknowledgments.acknowledge_on_grantee(
            grantee,
            [arn for arn, (_, path) in zip(arns, paths, strict=True) if "*" in path],
            acknowledgments.EXECUTE_API_PATH_PARAMETERS,
        )
        return grant

    def _add_get(
        self,
        resource: apigateway.IResource,
        handler: lambda_.IFunction,
        parameters: Mapping[str, bool],
    ) -> apigateway.Method:
        """A GET whose cache key is every parameter, plus the headers that part answers."""
        keyed = dict(parameters)
        for header in self._keyed_headers():
            keyed.setdefault(header, False)
        return resource.add_method(
            "GET",
            self._integration(handler, cache_key_parameters=list(keyed)),
            request_parameters=keyed or None,
            request_validator=self.request_validator,
        )

    def _keyed_headers(self) -> dict[str, str]:
        """Headers every cached GET keys on, each with the mix-up it prevents."""
        headers: dict[str, str] = {}
        caller = self.authorization.caller_header
        if caller is not None:
            headers[f"method.request.header.{caller}"] = (
                "one caller could receive an answer cached for another"
            )
        if self.cors is not None and len(self.cors.allow_origins) > 1:
            # The answer names the request's origin, and API Gateway's cache ignores Vary.
            headers["method.request.header.Origin"] = (
                "a browser of one allowed origin could receive an answer cached for "
                "another, which it may not read"
            )
        return headers

    def _configure_cors(self, handler: lambda_.IFunction) -> None:
        environment = self.cors_environment
        if not environment:
            return
        if isinstance(handler, lambda_.Function):
            for name, value in environment.items():
                handler.add_environment(name, value)
            return
        Annotations.of(self).add_warning_v2(
            "cdk-serverless-crud:cors-environment",
            f"CORS is on, but the item routes' handler {handler.node.path} is not a "
            "lambda_.Function of this app, so its environment cannot be set: set "
            f"{', '.join(f'{k}={v}' for k, v in environment.items())} on it, or browsers "
            "cannot read its answers.",
        )

    def _integration(
        self, handler: lambda_.IFunction, *, cache_key_parameters: Sequence[str] = ()
    ) -> apigateway.LambdaIntegration:
        """A Lambda proxy integration: API Gateway invokes ``handler`` synchronously."""
        if isinstance(handler, Construct) and handler.node.path not in self._integrated:
            self._integrated.add(handler.node.path)
            acknowledgments.acknowledge(handler, "Serverless-LambdaDLQ", acknowledgments.LAMBDA_DLQ)
        return apigateway.LambdaIntegration(
            handler, cache_key_parameters=list(cache_key_parameters) or None
        )

    def _model(self, name: str, schema: Mapping[str, Any]) -> apigateway.IModel:
        """The draft 4 JSON schema model ``name`` (one per name)."""
        if name not in self._models:
            model = apigateway.CfnModel(
                self,
                f"{name}Model",
                rest_api_id=self.rest_api.rest_api_id,
                content_type=contract.JSON_MEDIA_TYPE,
                name=name,
                description=f"{name}, from the OpenAPI contract",
                schema=dict(schema),
            )
            # As aws-cdk-lib's Model does: a changed schema deploys the stage again.
            deployment = self.rest_api.latest_deployment
            if deployment is not None:
                deployment.add_to_logical_id({"model": {"name": name, "schema": dict(schema)}})
            self._models[name] = apigateway.Model.from_model_name(
                self, f"{name}ModelRef", model.ref
            )
        return self._models[name]

    def _create_authorizer(self) -> apigateway.IAuthorizer | None:
        if self.authorization.mode is not AuthorizationMode.COGNITO:
            return None
        pool = self.authorization.user_pool
        if pool is None:
            pool, self.user_pool_client = create_user_pool(self, self.authorization)
        self.user_pool = pool
        return apigateway.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[pool],
            identity_source=apigateway.IdentitySource.header("Authorization"),
        )

    def _method_options(self) -> apigateway.MethodOptions:
        mode = self.authorization.mode
        if mode is AuthorizationMode.IAM:
            return apigateway.MethodOptions(authorization_type=apigateway.AuthorizationType.IAM)
        if mode is AuthorizationMode.COGNITO:
            return apigateway.MethodOptions(
                authorization_type=apigateway.AuthorizationType.COGNITO,
                authorizer=self.authorizer,
                authorization_scopes=list(self.authorization.scopes) or None,
            )
        return apigateway.MethodOptions(
            authorization_type=apigateway.AuthorizationType.NONE,
            api_key_required=mode is AuthorizationMode.API_KEY,
        )

    def _create_usage_plan(self) -> apigateway.UsagePlan | None:
        auth = self.authorization
        if auth.mode is not AuthorizationMode.API_KEY:
            return None
        return self.rest_api.add_usage_plan(
            "UsagePlan",
            description="Quota and throttling per API key",
            quota=apigateway.QuotaSettings(limit=auth.quota_limit, period=auth.quota_period),
            throttle=apigateway.ThrottleSettings(
                rate_limit=auth.throttling_rate_limit, burst_limit=auth.throttling_burst_limit
            ),
            api_stages=[
                apigateway.UsagePlanPerApiStage(
                    api=self.rest_api, stage=self.rest_api.deployment_stage
                )
            ],
        )

    def _add_validation_error_responses(self, cors: CorsProps | None) -> None:
        headers = _cors_response_headers(cors)
        for response_id, (response_type, code) in _VALIDATION_ERRORS.items():
            self.rest_api.add_gateway_response(
                response_id,
                type=response_type,
                status_code="400",
                response_headers=headers or None,
                templates={
                    contract.JSON_MEDIA_TYPE: json.dumps(
                        {"error": {"code": code, "message": "MESSAGE"}}
                    ).replace('"MESSAGE"', "$context.error.messageString")
                },
            )
        if headers:
            for response_id, response_type in (
                ("Default4xx", apigateway.ResponseType.DEFAULT_4_XX),
                ("Default5xx", apigateway.ResponseType.DEFAULT_5_XX),
            ):
                self.rest_api.add_gateway_response(
                    response_id, type=response_type, response_headers=headers
                )

    def _associate_web_acl(self, web_acl_arn: str | None) -> wafv2.CfnWebACLAssociation | None:
        stage = self.rest_api.deployment_stage
        if web_acl_arn is None:
            acknowledgments.acknowledge(stage, "AwsSolutions-APIG3", acknowledgments.NO_WEB_ACL)
            return None
        return wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", resource_arn=stage.stage_arn, web_acl_arn=web_acl_arn
        )

    def _register_cloud_watch_role(self) -> iam.Role:
        log_groups = keys.log_groups_arn(self)
        log_streams = f"{log_groups}:log-stream:*"
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
                            resources=[log_groups, log_streams],
                        )
                    ]
                )
            },
        )
        for resource in (log_groups, log_streams):
            acknowledgments.acknowledge(
                role,
                acknowledgments.wildcard_resource_rule("AwsSolutions-IAM5", role, resource),
                acknowledgments.CLOUD_WATCH_ROLE_LOG_GROUPS,
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


def _cors_options(cors: CorsProps | None) -> apigateway.CorsOptions | None:
    if cors is None:
        return None
    return apigateway.CorsOptions(
        allow_origins=list(cors.allow_origins),
        allow_methods=["OPTIONS", *READ_WRITE_METHODS],
        allow_headers=list(cors.allow_headers),
        allow_credentials=cors.allow_credentials,
        max_age=cors.max_age,
    )


def _cors_response_headers(cors: CorsProps | None) -> dict[str, str]:
    """CORS headers for API Gateway's own error answers; only for a single origin."""
    if cors is None or len(cors.allow_origins) != 1:
        return {}
    (origin,) = cors.allow_origins
    headers = {"Access-Control-Allow-Origin": f"'{origin}'"}
    if origin != "*":
        headers["Vary"] = "'Origin'"
    if cors.allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "'true'"
    return headers


@jsii.implements(IAspect)
class _AcknowledgeAuthorizationFindings:
    """Acknowledges, per method, the authorization findings the chosen mode explains.

    A method whose settings differ from the mode (a route added with its own
    authorization) is left to the checks.
    """

    def __init__(self, authorization: Authorization) -> None:
        self._mode = authorization.mode

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, apigateway.CfnMethod) or node.http_method == "OPTIONS":
            return
        kind = node.authorization_type or "NONE"
        if self._mode is AuthorizationMode.IAM and kind == "AWS_IAM":
            acknowledgments.acknowledge(node, "AwsSolutions-COG4", acknowledgments.IAM_NOT_COGNITO)
        elif kind == "NONE" and self._mode is AuthorizationMode.API_KEY and node.api_key_required:
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledgments.acknowledge(node, rule, acknowledgments.API_KEY_NOT_AUTHORIZATION)
        elif kind == "NONE" and self._mode is AuthorizationMode.NONE:
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledgments.acknowledge(node, rule, acknowledgments.NO_AUTHORIZATION)


@jsii.implements(IValidation)
class _CachedGetsKeepAnswersApart:
    """Synthesis check: a cached GET keys its cache on each path parameter and header."""

    def __init__(self, rest_api: apigateway.RestApi, headers: Mapping[str, str]) -> None:
        self._rest_api = rest_api
        self._headers = dict(headers)

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
            for header, mix_up in self._headers.items():
                if header in keys:
                    continue
                errors.append(
                    f"GET {path} is cached but its cache key lacks {header}, so {mix_up}. "
                    "Add the method with CachedRestApi.add_cached_get, or list the header in "
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
