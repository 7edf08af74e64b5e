"""CachedRestApi: a regional REST API whose stage caches GET answers safely.

The construct composes the parts that live in their own modules: the stage
(``stage.py``), authorization (``authorization.py``), CORS (``cors.py``), the cache-key
check (``cache_keys.py``), API Gateway's own answers (``gateway_responses.py``) and the
CloudWatch role (``log_groups.py``), the routes and request models from the contract
(``routes.py``) and grants (``grants.py``). API keys and the web ACL are here.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Names
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk_serverless_crud import (
    acknowledgments,
    cache_keys,
    cors,
    defaults,
    gateway_responses,
    grants,
    log_groups,
    stage,
    validation,
)
from cdk_serverless_crud.authorization import Authorization
from cdk_serverless_crud.authorization_binding import acknowledge_findings
from cdk_serverless_crud.contract import openapi as contract
from cdk_serverless_crud.contract.collection import Collection
from cdk_serverless_crud.cors import CorsProps
from cdk_serverless_crud.routes import Routes

READ_METHODS = ("GET",)
"""The HTTP methods ``grant_invoke_read`` allows."""

READ_WRITE_METHODS = cors.READ_WRITE_METHODS
"""The HTTP methods ``grant_invoke_read_write`` allows."""


_REGIONAL_WEB_ACL = r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[^/]+/[^/]+"


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
            "CachedRestApiProps.cache_cluster_size",
            self.cache_cluster_size,
            stage.CACHE_CLUSTER_SIZES,
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

    The stage caches GET answers for ``cache_ttl`` (0 turns caching off, with no cache
    cluster). API Gateway keys its cache on the resource, the method and the parameters
    the integration lists in ``cache_key_parameters`` only, so add GET methods with
    :meth:`add_cached_get`, which lists every path parameter, the query parameters you
    name and the header that tells callers apart (see
    :attr:`Authorization.caller_header`). Synthesis fails if a cached GET method misses
    one of them in its cache key.

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
        :param cache_ttl: how long the stage caches a GET answer, 0 to 3600 seconds; 0
            turns caching off. Default: 60 seconds.
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
        binding = self.authorization.bind(self)
        self.authorizer: apigateway.IAuthorizer | None = binding.authorizer
        self.user_pool: cognito.IUserPool | None = binding.user_pool
        self.user_pool_client: cognito.UserPoolClient | None = binding.user_pool_client
        self.access_log_group = log_groups.encrypted_log_group(
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
            default_method_options=binding.method_options,
            default_cors_preflight_options=cors.preflight_options(props.cors),
            deploy_options=stage.stage_options(
                stage_name=stage_name,
                cache_ttl=cache_ttl,
                cache_cluster_size=props.cache_cluster_size,
                throttling_rate_limit=props.throttling_rate_limit,
                throttling_burst_limit=props.throttling_burst_limit,
                access_log_group=self.access_log_group,
            ),
        )
        # RestApi outputs its URL on its own; whoever composes the API decides on outputs.
        self.rest_api.node.try_remove_child("Endpoint")
        acknowledge_findings(self.rest_api, binding)
        self.request_validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        keyed_headers = cache_keys.keyed_headers(binding.caller_header, props.cors)
        self._routes = Routes(
            self,
            self.rest_api,
            request_validator=self.request_validator,
            keyed_headers=keyed_headers,
        )
        gateway_responses.add_gateway_responses(self.rest_api, props.cors)
        self.usage_plan = self.authorization.bind_stage(self.rest_api)
        self.web_acl_association = self._associate_web_acl(props.web_acl_arn)
        self.cloud_watch_role: iam.Role | None = (
            log_groups.register_cloud_watch_role(self, self.rest_api)
            if props.cloud_watch_role
            else None
        )
        self.node.add_validation(
            cache_keys.CachedGetsKeepAnswersApart(self.rest_api, keyed_headers)
        )

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
        return cors.cors_environment(self.cors)

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
            f"method.request.path.{name}": True for name in contract.path_parameters(resource.path)
        }
        parameters |= {f"method.request.querystring.{name}": False for name in query_params}
        parameters |= {f"method.request.header.{name}": False for name in headers}
        return self._routes.add_get(resource, handler, parameters)

    def add_item_routes(self, handler: lambda_.IFunction) -> None:
        """Add the item service's routes for the schemaless ``items`` collection.

        The same as ``add_collection_routes(Collection("items"), handler)``.
        """
        self.add_collection_routes(Collection("items"), handler)

    def add_collection_routes(self, collection: Collection, handler: lambda_.IFunction) -> None:
        """Add one collection's routes, all served by ``handler``.

        The routes, their parameters and their body models come from the packaged OpenAPI
        contract, with ``/items`` as ``/<collection.name>``: GET and POST on the
        collection, GET (with ``as_of``), PUT, PATCH and DELETE on ``/{id}``, GET on
        ``/{id}/versions`` and ``/{id}/versions/{timestamp}``, POST on ``/{id}/restore``. GETs key
        their cache on every path and query parameter, the collection's index attributes
        and its schema's other top-level properties included. API Gateway refuses a
        POST, PUT or PATCH body that is not a JSON object, and the function checks the
        rest: a restore's ``timestamp``, a PATCH's result and the schema, whose 400 names
        every failing field by JSON pointer (API Gateway's answer to a body its model
        refuses names none).
        Every other method of these paths (HEAD, and OPTIONS without CORS, included)
        is answered by API Gateway with 405, ``Allow`` and the error envelope, through an
        ``ANY`` method on a MOCK integration with the API's authorization.
        With CORS, ``handler`` gets :attr:`cors_environment`, so its answers carry the
        CORS headers; a handler that is not a ``lambda_.Function`` of this app cannot, and
        gets a warning instead.
        """
        cors.configure_handler(self, self.cors, handler)
        self._routes.add_collection_routes(collection, handler, self.cors)

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
        return grants.grant_execute_api(
            self.rest_api,
            self.stage_name,
            self.authorization,
            grantee,
            "execute-api:Invoke",
            http_methods,
        )

    def grant_invoke_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call every GET method of this stage (SigV4, IAM authorization)."""
        return self.grant_invoke(grantee, *READ_METHODS)

    def grant_invoke_read_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call every GET, POST, PUT, PATCH and DELETE method of this stage."""
        return self.grant_invoke(grantee, *cors.READ_WRITE_METHODS)

    def grant_invalidate_cache(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` fetch fresh answers with ``Cache-Control: max-age=0``.

        Grants ``execute-api:InvalidateCache`` on every GET method of this stage. API
        Gateway requires it by default and ignores the header of anyone else (it adds a
        warning header and answers from the cache). Only with ``Authorization.iam()``.
        """
        return grants.grant_execute_api(
            self.rest_api,
            self.stage_name,
            self.authorization,
            grantee,
            "execute-api:InvalidateCache",
            READ_METHODS,
        )

    def _associate_web_acl(self, web_acl_arn: str | None) -> wafv2.CfnWebACLAssociation | None:
        deployed = self.rest_api.deployment_stage
        if web_acl_arn is None:
            acknowledgments.acknowledge(deployed, "AwsSolutions-APIG3", acknowledgments.NO_WEB_ACL)
            return None
        return wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", resource_arn=deployed.stage_arn, web_acl_arn=web_acl_arn
        )
