"""ServerlessCrudService: the four parts composed into one CRUD service."""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, TypeVar

from aws_cdk import CfnOutput, Duration, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_serverless_crud import defaults, validation
from cdk_serverless_crud.api import CachedRestApi, CachedRestApiProps
from cdk_serverless_crud.authorization import Authorization
from cdk_serverless_crud.function import TaggedFunction, TaggedFunctionProps
from cdk_serverless_crud.monitoring import ServiceMonitoring, ServiceMonitoringProps
from cdk_serverless_crud.store import VersionedStore, VersionedStoreProps
from cdk_serverless_crud.table import TimeSeriesTable, TimeSeriesTableProps

_Props = TypeVar(
    "_Props", VersionedStoreProps, TimeSeriesTableProps, TaggedFunctionProps, CachedRestApiProps
)


class ServerlessCrudService(Construct):
    """A versioned CRUD service: API Gateway REST API, Lambda, DynamoDB and S3.

    ``ServerlessCrudService(stack, "Items", tags={...})`` alone is production-ready.

    The parts are built in this order, each by its own method, so a subclass can replace
    or adjust one and keep the rest: :meth:`create_store`, :meth:`create_table`,
    :meth:`create_function` (which can use ``self.store`` and ``self.table``),
    :meth:`create_api` and :meth:`add_routes` (which can use all of them), then
    :meth:`create_monitoring` and :meth:`add_outputs`. Every taggable resource in the
    service carries ``tags``.

    Callers authenticate with AWS IAM (SigV4) by default: give them access with
    :meth:`grant_invoke_read` or :meth:`grant_invoke_read_write`, or pick another
    ``authorization``.

    Attributes: ``store`` (:class:`VersionedStore`), ``table`` (:class:`TimeSeriesTable`),
    ``function`` (:class:`TaggedFunction`), ``api`` (:class:`CachedRestApi`),
    ``monitoring`` (:class:`ServiceMonitoring`: CloudWatch alarms by default) and
    ``authorization`` (:class:`Authorization`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tags: Mapping[str, str],
        stage_name: str = defaults.STAGE_NAME,
        cache_ttl: Duration = defaults.CACHE_TTL,
        authorization: Authorization | None = None,
        encryption_key: kms.IKey | None = defaults.ENCRYPTION_KEY,
        store_props: VersionedStoreProps | None = None,
        table_props: TimeSeriesTableProps | None = None,
        function_props: TaggedFunctionProps | None = None,
        api_props: CachedRestApiProps | None = None,
        monitoring_props: ServiceMonitoringProps | None = None,
    ) -> None:
        """Build the service.

        :param tags: tags for every taggable resource; must contain Environment, Project
            and Owner.
        :param stage_name: the API stage, matching ``[A-Za-z0-9_]+``. Default: ``"prod"``.
        :param cache_ttl: how long the API caches a GET answer, 0 to 3600 seconds.
            Default: 60 seconds.
        :param authorization: how callers authenticate. Default: ``Authorization.iam()``.
        :param encryption_key: a customer-managed KMS key for the table, the bucket, the
            function's environment and the function's and API's log groups, where their
            props name no key of their own.
            Default: None, AWS-managed and S3-managed keys.
        :param store_props: overrides for the bucket. Default: ``VersionedStoreProps()``.
        :param table_props: overrides for the table. Default: ``TimeSeriesTableProps()``.
        :param function_props: overrides for the function.
            Default: ``TaggedFunctionProps()``.
        :param api_props: overrides for the API. Default: ``CachedRestApiProps()``.
        :param monitoring_props: alarm thresholds and actions, and the optional dashboard.
            Default: ``ServiceMonitoringProps()``, five alarms and no dashboard.
        """
        super().__init__(scope, construct_id)
        validation.check_tags("tags", tags, defaults.REQUIRED_TAG_KEYS)
        self.authorization = authorization or Authorization.iam()
        store = _with_key(store_props or VersionedStoreProps(), "encryption_key", encryption_key)
        table = _with_key(table_props or TimeSeriesTableProps(), "encryption_key", encryption_key)
        function = _with_key(
            function_props or TaggedFunctionProps(), "encryption_key", encryption_key
        )
        api = _with_key(
            api_props or CachedRestApiProps(), "access_log_encryption_key", encryption_key
        )
        self.store = self.create_store(store)
        self.table = self.create_table(table)
        self.function = self.create_function(function)
        self.api = self.create_api(
            api, stage_name=stage_name, cache_ttl=cache_ttl, authorization=self.authorization
        )
        self.add_routes()
        self.monitoring = self.create_monitoring(monitoring_props or ServiceMonitoringProps())
        self.add_outputs()
        for key, value in tags.items():
            Tags.of(self).add(key, value)

    def create_store(self, props: VersionedStoreProps) -> VersionedStore:
        """Build the bucket for item bodies too large for DynamoDB (construct id ``Store``)."""
        return VersionedStore(self, "Store", props=props)

    def create_table(self, props: TimeSeriesTableProps) -> TimeSeriesTable:
        """Build the table of item versions (construct id ``Table``)."""
        return TimeSeriesTable(self, "Table", props=props)

    def create_function(self, props: TaggedFunctionProps) -> TaggedFunction:
        """Build the item service's function (construct id ``Function``).

        It gets the environment the runtime reads (``TABLE_NAME``, ``LIST_INDEX_NAME``,
        ``BUCKET_NAME``, ``OBJECT_PREFIX``) and exactly the table and bucket access the
        runtime needs, through ``self.table.grant_item_access`` and
        ``self.store.grant_item_objects_read_write``.
        """
        function = TaggedFunction(
            self,
            "Function",
            props=props,
            environment={
                "TABLE_NAME": self.table.table.table_name,
                "LIST_INDEX_NAME": TimeSeriesTable.LIST_INDEX_NAME,
                "BUCKET_NAME": self.store.bucket.bucket_name,
                "OBJECT_PREFIX": defaults.OBJECT_PREFIX,
            },
        )
        self.table.grant_item_access(function.function)
        self.store.grant_item_objects_read_write(function.function, defaults.OBJECT_PREFIX)
        return function

    def create_api(
        self,
        props: CachedRestApiProps,
        *,
        stage_name: str,
        cache_ttl: Duration,
        authorization: Authorization,
    ) -> CachedRestApi:
        """Build the REST API (construct id ``Api``) from the service's arguments.

        Routes come later, from :meth:`add_routes`.
        """
        return CachedRestApi(
            self,
            "Api",
            stage_name=stage_name,
            cache_ttl=cache_ttl,
            authorization=authorization,
            props=props,
        )

    def add_routes(self) -> None:
        """Route the item service's paths to the function; override to add more.

        Add cached GET routes with ``self.api.add_cached_get`` so their cache keys
        cover their parameters.
        """
        self.api.add_item_routes(self.function.function)

    def create_monitoring(self, props: ServiceMonitoringProps) -> ServiceMonitoring:
        """Build the alarms on the stage, the function and the table (construct id
        ``Monitoring``); override to watch more, such as routes of your own.
        """
        return ServiceMonitoring(
            self,
            "Monitoring",
            stage=self.api.rest_api.deployment_stage,
            function=self.function.function,
            table=self.table.table,
            props=props,
        )

    def add_outputs(self) -> None:
        """Output the API URL and the table, bucket and function names."""
        outputs = {
            "ApiUrl": (self.api.url, "URL of the API stage"),
            "TableName": (self.table.table.table_name, "DynamoDB table of item versions"),
            "BucketName": (self.store.bucket.bucket_name, "S3 bucket of large item bodies"),
            "FunctionName": (self.function.function.function_name, "Lambda function"),
        }
        for output_id, (value, description) in outputs.items():
            CfnOutput(self, output_id, value=value, description=description)

    def grant_invoke_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call every GET route of the stage (``execute-api:Invoke``).

        For the default ``Authorization.iam()``; the caller signs requests with SigV4.
        """
        return self.api.grant_invoke_read(grantee)

    def grant_invoke_read_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call every GET, POST, PUT and DELETE route of the stage.

        For the default ``Authorization.iam()``; the caller signs requests with SigV4.
        """
        return self.api.grant_invoke_read_write(grantee)

    def grant_invalidate_cache(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` fetch fresh answers with ``Cache-Control: max-age=0``.

        For the default ``Authorization.iam()``: API Gateway ignores the header from
        callers without ``execute-api:InvalidateCache``.
        """
        return self.api.grant_invalidate_cache(grantee)


def _with_key(props: _Props, field: str, key: kms.IKey | None) -> _Props:
    """``props`` with ``field`` set to the service's key, unless it names a key already."""
    if key is None:
        return props
    own = getattr(props, field)
    if own is None:
        changes: dict[str, Any] = {field: key}
        return replace(props, **changes)
    if own is not key:
        raise ValueError(
            f"encryption_key and {type(props).__name__}.{field} name different keys; set "
            f"encryption_key for every part, or {field} on the part that needs its own key."
        )
    return props
