"""What change events give the service to wire, and the service without them.

``ChangeEvents.bind`` (events.py) builds the bus, the pipes and the queue and returns a
:class:`ChangeEventsBinding`; :class:`NoChangeEvents`, the service's default, binds to an
empty one. Either way the service wires what it gets, the way it wires an
``Authorization``'s binding, and never asks whether events are on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_serverless_crud.api import CachedRestApi
from cdk_serverless_crud.authorization import Authorization
from cdk_serverless_crud.function import TaggedFunctionProps
from cdk_serverless_crud.table import TimeSeriesTable, TimeSeriesTableProps

if TYPE_CHECKING:
    from cdk_serverless_crud.events import ServiceEvents


@dataclass(frozen=True)
class ChangeEventsBinding:
    """The change events' parts, and what the service wires from them: none without events."""

    service_events: ServiceEvents | None = None
    """The bus, the pipes and the dead-letter queue.

    :default: None, no change events
    """

    pipes: Mapping[str, pipes.CfnPipe] = field(default_factory=dict)
    """Each collection's pipe, by its construct prefix, for its alarm.

    :default: none
    """

    dead_letter_queue: sqs.IQueue | None = None
    """The queue of what could not be delivered, for its alarm.

    :default: None
    """

    outputs: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Stack outputs by id, each a value and its description.

    :default: none
    """

    invalidate_cache: bool = False
    """Whether :meth:`bind_api` adds the cache refresher.

    :default: False
    """

    def bind_api(self, api: CachedRestApi) -> None:
        """With ``ChangeEvents(invalidate_cache=True)``, refresh ``api``'s cached reads."""
        if self.invalidate_cache and self.service_events is not None:
            self.service_events.add_cache_refresh(api)


@dataclass(frozen=True)
class NoChangeEvents:
    """No change events: no stream, no bus, nothing for the functions to do."""

    event_data_limit = None
    """Always None: bodies go to S3 only when DynamoDB cannot hold them."""

    def check(self, authorization: Authorization, cache_ttl: Duration) -> None:
        """Nothing to check."""

    def table_props(self, props: TimeSeriesTableProps) -> TimeSeriesTableProps:
        """``props`` unchanged."""
        return props

    def bind(
        self,
        scope: Construct,
        *,
        tables: Mapping[str, tuple[str, TimeSeriesTable]],
        function_props: TaggedFunctionProps,
    ) -> ChangeEventsBinding:
        """An empty binding."""
        return ChangeEventsBinding()


def check_cache_refresh(authorization: Authorization, cache_ttl: Duration) -> None:
    """``ChangeEvents.invalidate_cache`` needs a cache, and IAM to sign its refreshes."""
    if not cache_ttl.is_unresolved() and cache_ttl.to_seconds() == 0:
        raise ValueError(
            "ChangeEvents.invalidate_cache refreshes the stage cache, but cache_ttl is 0 "
            "(no cache); leave invalidate_cache off, or set cache_ttl."
        )
    if not authorization.grants_by_iam:
        raise ValueError(
            "ChangeEvents.invalidate_cache signs its refreshes with SigV4, so it needs "
            f"authorization=Authorization.iam(); this service uses {authorization.mode.name}."
        )


def with_stream(props: TimeSeriesTableProps) -> TimeSeriesTableProps:
    """``props`` with the stream change events read: new images, unless it has one."""
    if props.stream is None:
        return replace(props, stream=dynamodb.StreamViewType.NEW_IMAGE)
    if props.stream not in (
        dynamodb.StreamViewType.NEW_IMAGE,
        dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    ):
        raise ValueError(
            "change events read each new version from the table's stream, so "
            "TimeSeriesTableProps.stream must be NEW_IMAGE or NEW_AND_OLD_IMAGES (or left "
            f"unset); got {props.stream}."
        )
    return props
