"""IndexBackfill: an index added to a collection that holds items finds those items too.

A head carries the keys of the indexes its collection had when it was written, so an
index added later would hold only the items written since. This construct runs the
runtime's backfill (``runtime/item_service/backfill.py``) as part of each deploy that
adds an index, through two custom resources on a function of its own (the collection's
code and environment, handler ``item_service.backfill_resource.handler``):

- ``Start`` runs before the collection's function is updated: it marks the indexes the
  job will create (the table's ``staged_indexes``, which the template leaves out, so
  that any set of index changes deploys) and the added ones, if the table holds items,
  as building;
- ``Run`` runs after it: it creates and deletes the staged indexes, one ``UpdateTable``
  at a time, and backfills, for up to two minutes, then goes on in the
  background (the function invokes itself), and the deploy completes. Until the backfill
  is done, a query of the new index answers 503 ``index_building`` with ``Retry-After``.

Why not the Provider framework's ``isComplete`` or a Step Functions job that the deploy
waits for: a backfill of a large table can outlast CloudFormation's one-hour wait for a
custom resource, and the Provider framework's own functions are Node.js that the deploy
rehearsal's emulator cannot run. docs/design.md has the whole decision.
"""

from __future__ import annotations

from dataclasses import replace

from aws_cdk import CustomResource, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk_serverless_crud import acknowledgments
from cdk_serverless_crud.contract.collection import Collection
from cdk_serverless_crud.function import TaggedFunction, TaggedFunctionProps
from cdk_serverless_crud.store import VersionedStore
from cdk_serverless_crud.table import TimeSeriesTable

BACKFILL_HANDLER = "item_service.backfill_resource.handler"
#: Lambda's longest; each invocation hands over to the next before it runs out.
BACKFILL_TIMEOUT = Duration.minutes(15)
RESOURCE_TYPE = "Custom::IndexBackfill"


class IndexBackfill(Construct):
    """The index backfill of one collection: its function (``.function``) and the
    ``Start`` and ``Run`` custom resources around the collection's function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        collection: Collection,
        served_by: TaggedFunction,
        table: TimeSeriesTable,
        store: VersionedStore,
        environment: dict[str, str],
        code: lambda_.Code | None,
        props: TaggedFunctionProps,
    ) -> None:
        """Build the backfill of ``collection``, stored in ``table`` and ``store`` and
        served by ``served_by``, whose ``environment`` and ``code`` it runs with."""
        super().__init__(scope, construct_id)
        self.function = TaggedFunction(
            self,
            "Function",
            props=replace(props, timeout=BACKFILL_TIMEOUT, reserved_concurrent_executions=None),
            environment=environment,
            code=code,
            handler=BACKFILL_HANDLER,
        )
        acknowledgments.acknowledge(
            self.function.function, "Serverless-LambdaDLQ", acknowledgments.BACKFILL_DLQ
        )
        table.grant_index_backfill(self.function.function)
        if table.staged_indexes:
            table.grant_index_changes(self.function.function)
        store.grant_item_objects_read(self.function.function, collection.object_prefix)
        # A policy of its own, not the role's default policy: the function depends on
        # that one, and this one names the function.
        continue_policy = iam.Policy(
            self,
            "ContinuePolicy",
            roles=[self.function.role],
            statements=[
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"],
                    resources=[self.function.function.function_arn],
                )
            ],
        )
        names = [index.index_name for index in collection.indexes]
        if collection.listing_index_name is not None:
            names.append(collection.listing_index_name)
        self.start, self.run = (
            CustomResource(
                self,
                phase.capitalize(),
                service_token=self.function.function.function_arn,
                resource_type=RESOURCE_TYPE,
                properties={
                    "Phase": phase,
                    "Indexes": names,
                    "TableName": table.table.table_name,
                    "TableIndexes": list(table.staged_indexes),
                },
            )
            for phase in ("start", "run")
        )
        served_by.function.node.add_dependency(self.start)
        self.run.node.add_dependency(served_by.function)
        self.run.node.add_dependency(continue_policy)
