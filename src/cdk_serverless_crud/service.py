"""ServerlessCrudService: the four parts composed into one CRUD service."""

from collections.abc import Mapping

from aws_cdk import CfnOutput, Duration, Tags
from constructs import Construct

from cdk_serverless_crud import defaults, validation
from cdk_serverless_crud.api import CachedRestApi, CachedRestApiProps
from cdk_serverless_crud.function import TaggedFunction, TaggedFunctionProps
from cdk_serverless_crud.store import VersionedStore, VersionedStoreProps
from cdk_serverless_crud.table import TimeSeriesTable, TimeSeriesTableProps


class ServerlessCrudService(Construct):
    """A versioned CRUD service: API Gateway REST API, Lambda, DynamoDB and S3.

    ``ServerlessCrudService(stack, "Items", tags={...})`` alone is production-ready.

    The parts are built in this order, each by its own method, so a subclass can replace
    or adjust one and keep the rest: :meth:`create_store`, :meth:`create_table`,
    :meth:`create_function` (which can use ``self.store`` and ``self.table``),
    :meth:`create_api` and :meth:`add_routes` (which can use all of them), then
    :meth:`add_outputs`. Every taggable resource in the service carries ``tags``.

    Attributes: ``store`` (:class:`VersionedStore`), ``table`` (:class:`TimeSeriesTable`),
    ``function`` (:class:`TaggedFunction`) and ``api`` (:class:`CachedRestApi`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tags: Mapping[str, str],
        stage_name: str = defaults.STAGE_NAME,
        cache_ttl: Duration = defaults.CACHE_TTL,
        store_props: VersionedStoreProps | None = None,
        table_props: TimeSeriesTableProps | None = None,
        function_props: TaggedFunctionProps | None = None,
        api_props: CachedRestApiProps | None = None,
    ) -> None:
        """Build the service.

        :param tags: tags for every taggable resource; must contain Environment, Project
            and Owner.
        :param stage_name: the API stage, matching ``[A-Za-z0-9_]+``. Default: ``"prod"``.
        :param cache_ttl: how long the API caches a GET answer, 0 to 3600 seconds.
            Default: 60 seconds.
        :param store_props: overrides for the bucket. Default: ``VersionedStoreProps()``.
        :param table_props: overrides for the table. Default: ``TimeSeriesTableProps()``.
        :param function_props: overrides for the function.
            Default: ``TaggedFunctionProps()``.
        :param api_props: overrides for the API. Default: ``CachedRestApiProps()``.
        """
        super().__init__(scope, construct_id)
        validation.check_tags("tags", tags, defaults.REQUIRED_TAG_KEYS)
        self.stage_name = stage_name
        self.cache_ttl = cache_ttl
        self.store = self.create_store(store_props or VersionedStoreProps())
        self.table = self.create_table(table_props or TimeSeriesTableProps())
        self.function = self.create_function(function_props or TaggedFunctionProps())
        self.api = self.create_api(api_props or CachedRestApiProps())
        self.add_routes()
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

    def create_api(self, props: CachedRestApiProps) -> CachedRestApi:
        """Build the REST API with ``stage_name`` and ``cache_ttl`` (construct id ``Api``).

        Routes come later, from :meth:`add_routes`.
        """
        return CachedRestApi(
            self, "Api", stage_name=self.stage_name, cache_ttl=self.cache_ttl, props=props
        )

    def add_routes(self) -> None:
        """Route the item service's paths to the function; override to add more.

        Add cached GET routes with ``self.api.add_cached_get`` so their cache keys
        cover their parameters.
        """
        self.api.add_item_routes(self.function.function)

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
