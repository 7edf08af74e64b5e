"""Change events: each new version of an item becomes an EventBridge event.

A table's stream feeds an EventBridge pipe. The pipe's filter lets only new version
records through (never heads or Idempotency-Key records), a small enrichment function
turns each into ``{"detail_type", "detail"}`` (runtime/item_service/change_events.py),
and the pipe puts it on the bus. Failed deliveries go to an encrypted dead-letter queue.
See docs/design.md ("Change events").

What the dead-letter queue holds differs by sender. For a stream record it gave up on,
the pipe sends a description of the batch, not the record: ``DDBStreamBatchInfo`` with
the ``streamArn``, ``shardId``, ``startSequenceNumber`` and ``endSequenceNumber`` (one
record: the batch size is 1) and ``approximateArrivalOfFirstRecord``, as Lambda does for
stream sources. DynamoDB keeps stream records for 24 hours, so the record (the item's id
and version) can be read back only within 24 hours of the write: ``GetShardIterator``
with ``AT_SEQUENCE_NUMBER`` at ``startSequenceNumber``, then ``GetRecords`` with
``Limit=1``. After that, ``ChangeEvents(log_failed_records=True)`` keeps the failed
records in the pipe's log group for a month. Without it, only candidates remain: the
versions whose ``timestamp`` (epoch milliseconds, set before the write) lies between
``approximateArrivalOfFirstRecord`` (the write, rounded down to the second) less the
item function's timeout and one second after it. For an event the cache refresher
could not process, the rule sends the event itself, with the error in the message's
attributes.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_serverless_crud import acknowledgments, cors, log_groups
from cdk_serverless_crud.api import CachedRestApi
from cdk_serverless_crud.authorization import Authorization
from cdk_serverless_crud.contract.environment import enrichment_environment
from cdk_serverless_crud.contract.events_contract import (
    EVENT_DATA_LIMIT,
    SOURCE_PREFIX,
    VERSION_FILTER,
)
from cdk_serverless_crud.events_binding import (
    ChangeEventsBinding,
    NoChangeEvents,
    check_cache_refresh,
    with_stream,
)
from cdk_serverless_crud.function import TaggedFunction, TaggedFunctionProps
from cdk_serverless_crud.table import TimeSeriesTable, TimeSeriesTableProps

CHANGE_EVENTS_HANDLER = "item_service.change_events.handler"
"""The enrichment's handler, in the item service's code."""

CACHE_REFRESH_HANDLER = "item_service.cache_refresh.handler"
"""The cache refresher's handler, in the item service's code."""

# One record per call, so one event per PutEvents entry always fits EventBridge's
# 256 KB; shards are read by up to ten calls at once, each id's changes in order.
_BATCH_SIZE = 1
_PARALLELIZATION = 10
_MAXIMUM_RETRY_ATTEMPTS = 10
# A record reaches the dead-letter queue at most this long after its write, which leaves
# at least 18 of the stream's 24 hours to read it back from the message's sequence number.
_MAXIMUM_RECORD_AGE = Duration.hours(6)
_LOG_RETENTION = logs.RetentionDays.ONE_MONTH


@dataclass(frozen=True)
class ChangeEvents:
    """Publish an EventBridge event for every new version an item gets.

    ``ServerlessCrudService(..., events=ChangeEvents())`` sends them to a bus of the
    service's own; ``ChangeEvents(bus=my_bus)`` to yours (the account's default bus is
    allowed, given explicitly).
    """

    bus: events.IEventBus | None = None
    """The bus the events go to.

    :default: None, a new bus owned by the service
    """

    detail: bool = True
    """Send each version's ``data`` (or ``data_ref`` to its S3 object) in the event; False
    sends ids and versions only.

    :default: True
    """

    invalidate_cache: bool = False
    """Refresh the stage cache's ``GET /<collection>/{id}`` and first ``/versions`` page of
    each changed item, so cached reads follow writes once the event is processed; with
    several CORS origins, the answer cached for each origin too. Needs the stage cache
    and ``Authorization.iam()``.

    :default: False
    """

    log_failed_records: bool = False
    """Include the records of each failed pipe execution in the pipe's log group (kept
    one month), so that a change in the dead-letter queue can be identified after the
    table's stream has dropped it, 24 hours after the write: the pipe's message in the
    queue names only a shard and sequence numbers. The logged records carry the
    version's data, which otherwise never reaches the logs.

    :default: False, the failed record is read back from the stream within 24 hours
    """

    def __post_init__(self) -> None:
        if self.bus is not None and not hasattr(self.bus, "event_bus_arn"):
            raise ValueError(
                "ChangeEvents.bus must be an EventBridge bus (aws_events.IEventBus), such "
                f"as events.EventBus.from_event_bus_name(...); got {type(self.bus).__name__}."
            )
        for prop in ("detail", "invalidate_cache", "log_failed_records"):
            value = getattr(self, prop)
            if not isinstance(value, bool):
                raise ValueError(f"ChangeEvents.{prop} must be True or False; got {value!r}.")

    @property
    def event_data_limit(self) -> int | None:
        """The item functions' ``EVENT_DATA_LIMIT``: with ``detail``, larger bodies go to S3,
        so that every event fits EventBridge's 256 KB; None without it."""
        return EVENT_DATA_LIMIT if self.detail else None

    def check(self, authorization: Authorization, cache_ttl: Duration) -> None:
        """Fail unless the service can give what these events need: with
        ``invalidate_cache``, a stage cache and ``Authorization.iam()``."""
        if self.invalidate_cache:
            check_cache_refresh(authorization, cache_ttl)

    def table_props(self, props: TimeSeriesTableProps) -> TimeSeriesTableProps:
        """``props`` with the stream the pipes read (new images), unless it has one."""
        return with_stream(props)

    def bind(
        self,
        scope: Construct,
        *,
        tables: Mapping[str, tuple[str, TimeSeriesTable]],
        function_props: TaggedFunctionProps,
    ) -> ChangeEventsBinding:
        """Build the change events in ``scope`` (construct id ``Events``, a
        :class:`ServiceEvents`): a pipe from each collection's table stream to the bus,
        whose ``source`` is ``cdk-serverless-crud.<scope's path>``.

        :param tables: the collections' tables by name, each with its construct prefix.
        :param function_props: the item functions' settings, which the enrichment
            functions share; its key encrypts the queue and the log groups.
        """
        service_events = ServiceEvents(
            scope,
            "Events",
            source=SOURCE_PREFIX + scope.node.path,
            tables=tables,
            props=self,
            function_props=function_props,
            encryption_key=function_props.encryption_key,
        )
        return ChangeEventsBinding(
            service_events=service_events,
            pipes={
                prefix: service_events.collections[name].pipe
                for name, (prefix, _) in tables.items()
            },
            dead_letter_queue=service_events.dead_letter_queue,
            outputs={
                "EventBusName": (service_events.bus.event_bus_name, "Bus of the change events"),
                "EventSource": (service_events.source, "The change events' source"),
            },
            invalidate_cache=self.invalidate_cache,
        )


def change_events_of(events: ChangeEvents | None) -> ChangeEvents | NoChangeEvents:
    """The service's ``events`` prop checked: a ChangeEvents, or None for none."""
    if events is None:
        return NoChangeEvents()
    if not isinstance(events, ChangeEvents):
        raise ValueError(
            f"events must be a ChangeEvents, such as ChangeEvents(); got {type(events).__name__}."
        )
    return events


@dataclass(frozen=True)
class CollectionEvents:
    """The pipe of one collection's table and its enrichment function."""

    pipe: pipes.CfnPipe
    enrichment: TaggedFunction


class ServiceEvents(Construct):
    """The bus, one pipe and enrichment function per table, and the dead-letter queue.

    ``.bus`` is the bus, ``.source`` the events' ``source``, ``.collections`` each
    collection's :class:`CollectionEvents` by name and ``.dead_letter_queue`` the queue
    that receives, for each stream record a pipe could not deliver, a message naming its
    shard and sequence number (readable from the stream for 24 hours), and each event the
    cache refresher could not process. ``.log_group`` is the pipes' log group. With
    ``invalidate_cache``, :meth:`add_cache_refresh` adds ``.cache_refresher`` (a
    :class:`TaggedFunction`) and ``.cache_refresh_rule``; both are None until then.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: str,
        tables: Mapping[str, tuple[str, TimeSeriesTable]],
        props: ChangeEvents,
        function_props: TaggedFunctionProps | None = None,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        """Create the bus (unless given), the queue, and a pipe per table.

        :param source: the events' ``source``, such as ``cdk-serverless-crud.Shop/Items``.
        :param tables: the collections' tables by collection name, each with the prefix
            of its constructs' ids (``""``, ``"Orders"``...). Each must have a stream
            with new images.
        :param props: the bus and what the events carry.
        :param function_props: the settings of the enrichment functions and the cache
            refresher, less the reserved concurrency, which stays the item function's.
            Default: ``TaggedFunctionProps()``.
        :param encryption_key: a customer-managed key for the queue and the log groups.
            Default: None, SQS-managed encryption and CloudWatch Logs' own.
        """
        super().__init__(scope, construct_id)
        self.source = source
        self.bus: events.IEventBus = props.bus or events.EventBus(self, "Bus")
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=(
                sqs.QueueEncryption.KMS if encryption_key else sqs.QueueEncryption.SQS_MANAGED
            ),
            encryption_master_key=encryption_key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledgments.acknowledge(
                self.dead_letter_queue, rule, acknowledgments.EVENTS_DLQ_IS_A_DLQ
            )
        self.log_group = log_groups.encrypted_log_group(
            self, "PipeLogs", retention=_LOG_RETENTION, encryption_key=encryption_key
        )
        # The item function's reserved concurrency is its own: these functions take none.
        self._function_props = replace(
            function_props or TaggedFunctionProps(), reserved_concurrent_executions=None
        )
        self.cache_refresher: TaggedFunction | None = None
        self.cache_refresh_rule: events.Rule | None = None
        self.collections: dict[str, CollectionEvents] = {}
        for name, (prefix, table) in tables.items():
            self.collections[name] = self._pipe(name, prefix, table, props, encryption_key)

    def _pipe(
        self,
        collection: str,
        prefix: str,
        table: TimeSeriesTable,
        props: ChangeEvents,
        encryption_key: kms.IKey | None,
    ) -> CollectionEvents:
        stream_arn = table.table.table_stream_arn
        if stream_arn is None:
            raise ValueError(
                f"the table of collection {collection!r} has no stream, so change events "
                "cannot read it; build it with TimeSeriesTableProps(stream=...NEW_IMAGE)."
            )
        enrichment = TaggedFunction(
            self,
            f"{prefix}Enrichment",
            props=self._function_props,
            environment=enrichment_environment(collection, with_data=props.detail),
            handler=CHANGE_EVENTS_HANDLER,
        )
        acknowledgments.acknowledge(
            enrichment.function, "Serverless-LambdaDLQ", acknowledgments.ENRICHMENT_DLQ
        )
        role = iam.Role(
            self,
            f"{prefix}PipeRole",
            assumed_by=iam.ServicePrincipal(
                "pipes.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description=f"Reads the stream of {collection} and puts its change events on the bus",
        )
        # Exactly what the pipe does: read this stream, call this function (no other
        # version or alias), put on this bus, send to this queue and write its log group.
        table.grant_stream_read_records(role)
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["lambda:InvokeFunction"],
            resource_arns=[enrichment.function.function_arn],
        )
        self.bus.grant_put_events_to(role)
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["sqs:SendMessage"],
            resource_arns=[self.dead_letter_queue.queue_arn],
        )
        if encryption_key is not None:
            encryption_key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")
        self.log_group.grant_write(role)
        pipe = pipes.CfnPipe(
            self,
            f"{prefix}Pipe",
            role_arn=role.role_arn,
            description=f"Change events of {collection}: its new versions, to the bus",
            source=stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                    starting_position="LATEST",
                    batch_size=_BATCH_SIZE,
                    parallelization_factor=_PARALLELIZATION,
                    maximum_retry_attempts=_MAXIMUM_RETRY_ATTEMPTS,
                    maximum_record_age_in_seconds=int(_MAXIMUM_RECORD_AGE.to_seconds()),
                    on_partial_batch_item_failure="AUTOMATIC_BISECT",
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(
                        arn=self.dead_letter_queue.queue_arn
                    ),
                ),
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                    filters=[
                        pipes.CfnPipe.FilterProperty(
                            pattern=json.dumps(VERSION_FILTER, separators=(",", ":"))
                        )
                    ]
                ),
            ),
            enrichment=enrichment.function.function_arn,
            target=self.bus.event_bus_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                # The enrichment's answer: its detail_type names the event, and its
                # detail is the event's detail.
                event_bridge_event_bus_parameters=pipes.CfnPipe.PipeTargetEventBridgeEventBusParametersProperty(
                    detail_type="$.detail_type", source=self.source
                ),
                input_template="<$.detail>",
            ),
            log_configuration=pipes.CfnPipe.PipeLogConfigurationProperty(
                level="ERROR",
                # The batch being processed, its request and its response, only on errors.
                include_execution_data=["ALL"] if props.log_failed_records else None,
                cloudwatch_logs_log_destination=pipes.CfnPipe.CloudwatchLogsLogDestinationProperty(
                    log_group_arn=self.log_group.log_group_arn
                ),
            ),
        )
        # The role's policy must be in place before the pipe starts reading; the role
        # itself is referenced already.
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            pipe.node.add_dependency(policy)
        return CollectionEvents(pipe=pipe, enrichment=enrichment)

    def add_cache_refresh(self, api: CachedRestApi) -> TaggedFunction:
        """Refresh ``api``'s cached reads of each changed item: a rule on the bus sends
        this service's events to a function that GETs the item and its first
        ``/versions`` page with ``Cache-Control: max-age=0``, signed with SigV4. Its role
        holds ``execute-api:Invoke`` and ``execute-api:InvalidateCache`` on exactly those
        GET methods of each collection.

        With several CORS origins the stage caches each origin's answer apart, so the
        refresher sends each GET once without ``Origin`` and once per allowed origin:
        ``2 * (origins + 1)`` signed GETs, each an invocation of the item function, per
        change.
        """
        refresher = TaggedFunction(
            self,
            "CacheRefresher",
            props=self._function_props,
            environment={"API_URL": api.url, **cors.refresh_environment(api.cors)},
            handler=CACHE_REFRESH_HANDLER,
        )
        arns = [
            api.rest_api.arn_for_execute_api("GET", f"/{name}/{suffix}", api.stage_name)
            for name in self.collections
            for suffix in ("*", "*/versions")
        ]
        iam.Grant.add_to_principal(
            grantee=refresher.function,
            actions=["execute-api:Invoke", "execute-api:InvalidateCache"],
            resource_arns=arns,
        )
        acknowledgments.acknowledge_on_grantee(
            refresher.function, arns, acknowledgments.EXECUTE_API_PATH_PARAMETERS
        )
        rule = events.Rule(
            self,
            "CacheRefreshRule",
            event_bus=self.bus,
            description="This service's change events, to refresh the cached reads of each item",
            event_pattern=events.EventPattern(source=[self.source]),
        )
        rule.add_target(
            targets.LambdaFunction(
                refresher.function,
                dead_letter_queue=self.dead_letter_queue,
                max_event_age=Duration.hours(1),
                retry_attempts=_MAXIMUM_RETRY_ATTEMPTS,
            )
        )
        acknowledgments.acknowledge(
            refresher.function, "Serverless-LambdaDLQ", acknowledgments.REFRESHER_DLQ
        )
        self.cache_refresher, self.cache_refresh_rule = refresher, rule
        return refresher
