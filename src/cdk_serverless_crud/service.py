"""ServerlessCrudService: the four parts composed into one CRUD service."""

import importlib.metadata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from aws_cdk import CfnOutput, Duration, Names, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk_serverless_crud import assets, defaults, validation
from cdk_serverless_crud.api import CachedRestApi, CachedRestApiProps
from cdk_serverless_crud.authorization import Authorization
from cdk_serverless_crud.contract import openapi_document
from cdk_serverless_crud.contract.access import check_access, check_tenancy
from cdk_serverless_crud.contract.collection import (
    LISTING_SORT_KEY,
    OWNED_LIST_INDEX,
    OWNED_LIST_KEY,
    Collection,
    check_collections,
)
from cdk_serverless_crud.contract.environment import item_environment
from cdk_serverless_crud.contract.security_schemes import DocumentedSecurity
from cdk_serverless_crud.events import ChangeEvents, ServiceEvents, change_events_of
from cdk_serverless_crud.events_binding import ChangeEventsBinding
from cdk_serverless_crud.function import TaggedFunction, TaggedFunctionProps
from cdk_serverless_crud.index_backfill import IndexBackfill
from cdk_serverless_crud.monitoring import ServiceMonitoring, ServiceMonitoringProps
from cdk_serverless_crud.openapi_file import WriteOpenApiDocument
from cdk_serverless_crud.store import VersionedStore, VersionedStoreProps
from cdk_serverless_crud.table import TimeSeriesTable, TimeSeriesTableProps

_Props = TypeVar(
    "_Props", VersionedStoreProps, TimeSeriesTableProps, TaggedFunctionProps, CachedRestApiProps
)


# The context key with which tools such as the SAM CLI keep assets where they are.
_DISABLE_ASSET_STAGING = "aws:cdk:disable-asset-staging"

DEFAULT_COLLECTIONS = (Collection("items"),)
"""One schemaless collection, ``items``: the service of earlier versions."""


@dataclass(frozen=True)
class CollectionParts:
    """What a service built for one collection: ``service.collections["orders"]``."""

    collection: Collection
    table: TimeSeriesTable
    function: TaggedFunction


class ServerlessCrudService(Construct):
    """A versioned CRUD service: API Gateway REST API, Lambda, DynamoDB and S3.

    ``ServerlessCrudService(stack, "Items", tags={...})`` alone is production-ready.

    ``collections`` are the entity types it serves, each at its own path with its own
    table, function and S3 prefix; all share one API, stage, cache, bucket and monitoring.

    The parts are built in this order, each by its own method, so a subclass can replace
    or adjust one and keep the rest: :meth:`create_store`; for each collection,
    :meth:`create_table` and :meth:`create_function` (which get the collection, and the
    function its table); :meth:`create_api` and :meth:`add_routes` (which can use all of
    them), then :meth:`create_monitoring` and :meth:`add_outputs`. Change events, when
    ``events`` is given, are built by ``events.bind`` after the functions and wired in
    like the other parts. Every taggable resource in the service carries ``tags``.

    Callers authenticate with AWS IAM (SigV4) by default: give them access with
    :meth:`grant_invoke_read` or :meth:`grant_invoke_read_write`, or pick another
    ``authorization``.

    Attributes: ``store`` (:class:`VersionedStore`), ``collections`` (each collection's
    :class:`CollectionParts` by name), ``table`` (:class:`TimeSeriesTable`) and
    ``function`` (:class:`TaggedFunction`) of a service with one collection,
    ``api`` (:class:`CachedRestApi`), ``openapi_document`` (the service's OpenAPI 3.1
    document, also written into the cloud assembly),
    ``monitoring`` (:class:`ServiceMonitoring`: CloudWatch alarms by default),
    ``events_binding`` (:class:`ChangeEventsBinding`: what the change events gave the
    service, empty without ``events``), ``service_events`` (:class:`ServiceEvents`, None
    without ``events``) and ``authorization`` (:class:`Authorization`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tags: Mapping[str, str],
        collections: Sequence[Collection] = DEFAULT_COLLECTIONS,
        stage_name: str = defaults.STAGE_NAME,
        cache_ttl: Duration = defaults.CACHE_TTL,
        authorization: Authorization | None = None,
        encryption_key: kms.IKey | None = defaults.ENCRYPTION_KEY,
        store_props: VersionedStoreProps | None = None,
        table_props: TimeSeriesTableProps | None = None,
        function_props: TaggedFunctionProps | None = None,
        api_props: CachedRestApiProps | None = None,
        monitoring_props: ServiceMonitoringProps | None = None,
        events: ChangeEvents | None = None,
    ) -> None:
        """Build the service.

        :param tags: tags for every taggable resource; must contain Environment, Project
            and Owner.
        :param collections: the entity types served, each at ``/<name>``, with distinct
            names. Default: ``[Collection("items")]``, schemaless.
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
        :param events: publish an EventBridge event for every new version of an item,
            from each table's stream. Default: None, no events and no stream.
        """
        super().__init__(scope, construct_id)
        validation.check_tags("tags", tags, defaults.REQUIRED_TAG_KEYS)
        chosen = check_collections("collections", collections)
        change_events = change_events_of(events)
        self.authorization = authorization or Authorization.iam()
        change_events.check(self.authorization, cache_ttl)
        for collection in chosen:
            mode = self.authorization.mode.value
            if collection.access is not None:
                check_access(collection.name, collection.access, mode)
            if collection.tenancy is not None:
                check_tenancy(collection.name, collection.tenancy, mode)
        store = _with_key(store_props or VersionedStoreProps(), "encryption_key", encryption_key)
        table = change_events.table_props(
            _with_key(table_props or TimeSeriesTableProps(), "encryption_key", encryption_key)
        )
        function = _with_key(
            function_props or TaggedFunctionProps(), "encryption_key", encryption_key
        )
        api = _with_key(
            api_props or CachedRestApiProps(), "access_log_encryption_key", encryption_key
        )
        self.store = self.create_store(store)
        self.collections: dict[str, CollectionParts] = {}
        for collection in chosen:
            collection_table = self.create_table(collection, table)
            _check_indexes(collection, collection_table)
            self.collections[collection.name] = CollectionParts(
                collection=collection,
                table=collection_table,
                function=self.create_function(
                    collection,
                    function,
                    collection_table,
                    event_data_limit=change_events.event_data_limit,
                ),
            )
        self.events_binding: ChangeEventsBinding = change_events.bind(
            self,
            tables={
                name: (parts.collection.construct_prefix, parts.table)
                for name, parts in self.collections.items()
            },
            function_props=function,
        )
        self.api = self.create_api(
            api, stage_name=stage_name, cache_ttl=cache_ttl, authorization=self.authorization
        )
        self.add_routes()
        self.events_binding.bind_api(self.api)
        self.monitoring = self.create_monitoring(monitoring_props or ServiceMonitoringProps())
        self.add_outputs()
        self.openapi_document: dict[str, Any] = openapi_document.service_document(
            chosen,
            title=f"{Stack.of(self).stack_name} {construct_id}",
            version=_VERSION,
            security=DocumentedSecurity.of(self.authorization),
        )
        self.node.add_validation(
            WriteOpenApiDocument(self, self.openapi_document_file, self.openapi_document)
        )
        for key, value in tags.items():
            Tags.of(self).add(key, value)

    @property
    def table(self) -> TimeSeriesTable:
        """The table of a service with one collection."""
        return self._only_parts("table").table

    @property
    def function(self) -> TaggedFunction:
        """The function of a service with one collection."""
        return self._only_parts("function").function

    @property
    def service_events(self) -> ServiceEvents | None:
        """The bus, pipes and dead-letter queue of the change events; None without them."""
        return self.events_binding.service_events

    @property
    def openapi_document_file(self) -> str:
        """The name of the OpenAPI document's file in the cloud assembly folder."""
        return f"{Stack.of(self).artifact_id}.{Names.unique_id(self)}.openapi.json"

    def _only_parts(self, attribute: str) -> CollectionParts:
        if len(self.collections) != 1:
            raise AttributeError(
                f"this service has {len(self.collections)} collections "
                f"({', '.join(self.collections)}), so no single {attribute}; use "
                f"service.collections[name].{attribute}"
            )
        (parts,) = self.collections.values()
        return parts

    def create_store(self, props: VersionedStoreProps) -> VersionedStore:
        """Build the bucket for item bodies too large for DynamoDB (construct id ``Store``)."""
        return VersionedStore(self, "Store", props=props)

    def create_table(self, collection: Collection, props: TimeSeriesTableProps) -> TimeSeriesTable:
        """Build the table of ``collection``'s versions, with one index per ``Index`` and,
        when an ``Allow.owner()`` rule reads, the owners' listing and one owners' index per
        ``Index``. These are staged (``add_attribute_index(..., staged=True)``): the
        collection's ``IndexBackfill`` creates and deletes them after the deploy, one at
        a time, so that any change of a collection's indexes deploys.

        Its construct id is ``Table``, prefixed with the collection's name in Pascal case
        for collections other than ``items`` (``OrdersTable``).
        """
        table = TimeSeriesTable(self, f"{collection.construct_prefix}Table", props=props)
        for index in collection.indexes:
            key_type = collection.key_type(index)
            assert key_type is not None  # Collection checked it
            # With tenancy, a key is the tenant's prefix and the value: a string.
            stored = "S" if collection.tenancy is not None else key_type
            table.add_attribute_index(
                index.index_name,
                index.key_attribute,
                stored,
                staged=True,
                sort_key_attribute=index.sort_key_attribute,
            )
        if collection.listing_index_name is not None:
            table.add_attribute_index(
                collection.listing_index_name,
                TimeSeriesTable.LIST_INDEX_PARTITION_KEY,
                "S",
                staged=True,
                sort_key_attribute=LISTING_SORT_KEY,
            )
        if collection.owner_scoped:
            # Each owner's items, and each owner's by value: keyed by digests, so strings.
            table.add_attribute_index(OWNED_LIST_INDEX, OWNED_LIST_KEY, "S", staged=True)
            for index in collection.indexes:
                table.add_attribute_index(
                    index.owned_index_name,
                    index.owned_key_attribute,
                    "S",
                    staged=True,
                    sort_key_attribute=index.sort_key_attribute,
                )
        return table

    def create_function(
        self,
        collection: Collection,
        props: TaggedFunctionProps,
        table: TimeSeriesTable,
        *,
        event_data_limit: int | None = None,
    ) -> TaggedFunction:
        """Build the function serving ``collection`` from ``table`` (construct id
        ``Function``, prefixed like the table's).

        It gets the environment the runtime reads (``COLLECTION``, ``TABLE_NAME``,
        ``LIST_INDEX_NAME``, ``BUCKET_NAME``, ``OBJECT_PREFIX``, ``INDEXES`` for a
        collection with indexes and ``ATTRIBUTES`` for one with a schema), its schema's
        validator in its code, and exactly the table and bucket access the runtime needs:
        ``table.grant_item_access`` and ``self.store.grant_item_objects_read_write`` on
        the collection's own prefix. ``event_data_limit`` is the change events' (their
        ``ChangeEvents.event_data_limit``): None without events that carry data. A
        collection with indexes also gets its ``IndexBackfill`` (construct id
        ``IndexBackfill``, prefixed like the function's), which fills an index added to
        a table that holds items, as part of the deploy.
        """
        environment = self._environment(collection, table, event_data_limit)
        code = self._code(collection)
        function = TaggedFunction(
            self,
            f"{collection.construct_prefix}Function",
            props=props,
            environment=environment,
            code=code,
        )
        table.grant_item_access(function.function)
        self.store.grant_item_objects_read_write(function.function, collection.object_prefix)
        if collection.indexes or table.staged_indexes:
            IndexBackfill(
                self,
                f"{collection.construct_prefix}IndexBackfill",
                collection=collection,
                served_by=function,
                table=table,
                store=self.store,
                environment=environment,
                code=code,
                props=props,
            )
        return function

    def _environment(
        self, collection: Collection, table: TimeSeriesTable, event_data_limit: int | None
    ) -> dict[str, str]:
        return item_environment(
            collection,
            table_name=table.table.table_name,
            bucket_name=self.store.bucket.bucket_name,
            list_index_name=TimeSeriesTable.LIST_INDEX_NAME,
            event_data_limit=event_data_limit,
        )

    def _code(self, collection: Collection) -> lambda_.Code | None:
        """The function's code: with a schema, the runtime and its validator; else None,
        the runtime as the package ships it."""
        if collection.schema is None:
            return None
        staging_off = bool(self.node.try_get_context(_DISABLE_ASSET_STAGING))
        folder = assets.collection_asset(collection.schema, keep=staging_off)
        return lambda_.Code.from_asset(str(folder))

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
        """Route each collection's paths to its function; override to add more.

        Add cached GET routes with ``self.api.add_cached_get`` so their cache keys
        cover their parameters.
        """
        for parts in self.collections.values():
            self.api.add_collection_routes(parts.collection, parts.function.function)

    def create_monitoring(self, props: ServiceMonitoringProps) -> ServiceMonitoring:
        """Build the alarms on the stage and on each collection's function and table
        (construct id ``Monitoring``); override to watch more, such as routes of your own.
        """
        return ServiceMonitoring(
            self,
            "Monitoring",
            stage=self.api.rest_api.deployment_stage,
            collections={
                parts.collection.construct_prefix: (parts.function.function, parts.table.table)
                for parts in self.collections.values()
            },
            pipes=self.events_binding.pipes,
            dead_letter_queue=self.events_binding.dead_letter_queue,
            props=props,
        )

    def add_outputs(self) -> None:
        """Output the API URL, the bucket name and each collection's table and function
        names (``TableName``, or ``OrdersTableName`` for ``orders``).
        """
        outputs = {
            "ApiUrl": (self.api.url, "URL of the API stage"),
            "BucketName": (self.store.bucket.bucket_name, "S3 bucket of large item bodies"),
        }
        for parts in self.collections.values():
            prefix, name = parts.collection.construct_prefix, parts.collection.name
            outputs[f"{prefix}TableName"] = (
                parts.table.table.table_name,
                f"DynamoDB table of the versions of {name}",
            )
            outputs[f"{prefix}FunctionName"] = (
                parts.function.function.function_name,
                f"Lambda function serving /{name}",
            )
        outputs.update(self.events_binding.outputs)
        for output_id, (value, description) in outputs.items():
            CfnOutput(self, output_id, value=value, description=description)

    def grant_invoke_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call every GET route of the stage (``execute-api:Invoke``).

        For the default ``Authorization.iam()``; the caller signs requests with SigV4.
        """
        return self.api.grant_invoke_read(grantee)

    def grant_invoke_read_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call every GET, POST, PUT, PATCH and DELETE route of the stage.

        For the default ``Authorization.iam()``; the caller signs requests with SigV4.
        """
        return self.api.grant_invoke_read_write(grantee)

    def grant_invalidate_cache(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` fetch fresh answers with ``Cache-Control: max-age=0``.

        For the default ``Authorization.iam()``: API Gateway ignores the header from
        callers without ``execute-api:InvalidateCache``.
        """
        return self.api.grant_invalidate_cache(grantee)


def _check_indexes(collection: Collection, table: TimeSeriesTable) -> None:
    """Fail unless ``table`` has every index of ``collection`` (a subclass built it)."""
    missing = [
        name
        for name in collection.table_indexes[1:]  # the listing index is the table's own
        if name not in table.attribute_index_names
    ]
    if missing:
        raise ValueError(
            f"create_table returned a table for collection {collection.name!r} without "
            f"the indexes {', '.join(missing)}; its function would query them. Build it "
            "with super().create_table(collection, props), or add each with "
            "table.add_attribute_index."
        )


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


try:
    _VERSION = importlib.metadata.version("cdk-serverless-crud")
except importlib.metadata.PackageNotFoundError:  # a source checkout that is not installed
    _VERSION = "0.0.0"
