"""What ``ServerlessCrudService`` declares, from aws-cdk-lib alone: the baselines' shared code.

Both baseline apps (``app.py`` here, for ``example_app/``, and ``../baseline_shop/app.py``,
for ``examples/shop/``) build their service with :func:`build_service`, from plain
aws-cdk-lib L2s and none of cdk_serverless_crud's constructs: the same construct paths,
so the same logical IDs, and the same properties in the same order, so the same
template, byte for byte. Only the functions' environment comes from the library, from
its pure-Python contract (``contract.environment``, which starts no Node.js), so it
cannot drift. They acknowledge the cdk-nag findings the library acknowledges, so that
both sides of the synth benchmark run the same checks. What is left is the library's own cost.

When the library's template changes, change this module to match (the smoke test in
tests/bench names what differs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import (
    Acknowledgment,
    ArnFormat,
    CfnOutput,
    CfnResource,
    CustomResource,
    Duration,
    Names,
    RemovalPolicy,
    Stack,
    Tags,
    Validations,
)
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

# The pure-Python contract (no constructs): the functions' environment, never drifting.
from cdk_serverless_crud.contract.collection import Collection, Index
from cdk_serverless_crud.contract.environment import enrichment_environment, item_environment
from cdk_serverless_crud.contract.events_contract import EVENT_DATA_LIMIT

# The same Lambda code as the library's, read from the checkout (not imported).
RUNTIME = Path(__file__).resolve().parents[2] / "src" / "cdk_serverless_crud" / "runtime"
RUNTIME_EXCLUDES = ("__pycache__", "*.pyc", ".*")
LIST_INDEX = "latest-items"
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
# The body models, each any JSON object (the function checks the rest and names the
# failing fields): POST and PUT without a schema, a restore, PATCH.
ITEM_DATA_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "ItemData",
    "type": "object",
}
RESTORE_REQUEST_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "RestoreRequest",
    "type": "object",
}
MERGE_PATCH_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "MergePatch",
    "type": "object",
}


@dataclass(frozen=True)
class PlainCollection:
    """One collection, as the baseline app spells it out: what ``Collection`` derives."""

    name: str
    """The path segment and the S3 prefix."""
    prefix: str = ""
    """The prefix of its construct ids: "" for ``items``, else the name in Pascal case."""
    code: Path = RUNTIME
    """Its Lambda code: the runtime folder, or a typed collection's asset folder."""
    excludes: Sequence[str] = RUNTIME_EXCLUDES
    """What the code's asset leaves out; none for a built asset folder."""
    model: Mapping[str, Any] | None = None
    """Its body model (draft 4), named ``<Prefix>Data``; None: the contract's ItemData."""
    indexes: Sequence[tuple[str, str]] = field(default=())
    """``(attribute, "S" or "N")`` per index: ``by-<attribute>`` on ``ix_<attribute>``."""
    listing_order: str = "id"
    """``created`` or ``updated``: the listing's own index, ``latest-items.<order>``."""
    sorts: Mapping[str, str] = field(default_factory=dict)
    """A sorted index's sort attribute (a date-time) by its attribute: the index is
    ``by-<attribute>.<sort>``, sorted by ``sx_<attribute>``."""
    attributes: Sequence[str] = field(default=())
    """The schema's other top-level properties, sorted: ``ATTRIBUTES`` and cache keys."""

    def contract(self) -> Collection:
        """The collection as the contract describes it to its function: a schema that
        declares the indexed attributes with their types and the other attributes."""
        types = {"S": "string", "N": "number"}
        properties = {name: {"type": types[kind]} for name, kind in self.indexes}
        properties |= {name: {"type": "string"} for name in self.attributes}
        properties |= {
            sort: {"type": "string", "format": "date-time"} for sort in self.sorts.values()
        }
        return Collection(
            self.name,
            schema={"type": "object", "properties": properties} if properties else None,
            indexes=[Index(name, sort=self.sorts.get(name)) for name, _ in self.indexes],
            listing_order=self.listing_order,
        )

    @property
    def listing_index(self) -> list[str]:
        """The ordered listing's index, if any."""
        return [] if self.listing_order == "id" else [f"{LIST_INDEX}.{self.listing_order}"]

    def index_name(self, attribute: str) -> str:
        """``by-<attribute>``, or for a sorted index ``by-<attribute>.<sort>``."""
        sort = self.sorts.get(attribute)
        return f"by-{attribute}" + (f".{sort}" if sort else "")

    @property
    def sort_parameters(self) -> list[str]:
        """The range conditions of each sort attribute: cache keys of the listing."""
        operators = ("gt", "gte", "lt", "lte", "prefix")
        return [f"{sort}.{op}" for sort in sorted(set(self.sorts.values())) for op in operators]


def acknowledge(scope: IConstruct, *rule_ids: str) -> None:
    """Acknowledge cdk-nag findings the checks would fail on, as the library does.

    The findings and the resources that have them are the library's (docs/security.md);
    the acknowledgments do not change the template.
    """
    child = scope.node.default_child
    target = child if isinstance(child, CfnResource) else scope
    for rule_id in rule_ids:
        Validations.of(target).acknowledge(
            Acknowledgment(id=rule_id, reason="Acknowledged as the library does.")
        )


def build_service(
    scope: Construct,
    construct_id: str,
    *,
    tags: Mapping[str, str],
    collections: Sequence[PlainCollection],
    events_on: bool = False,
) -> None:
    """The service's resources under ``scope/construct_id``, in the library's order;
    ``events_on`` as with ``events=ChangeEvents()``."""
    service = Construct(scope, construct_id)
    bucket = _bucket(Construct(service, "Store"))
    parts = []
    for collection in collections:
        table = _table(Construct(service, f"{collection.prefix}Table"), collection, events_on)
        function = _function(
            Construct(service, f"{collection.prefix}Function"),
            bucket,
            table,
            collection,
            events_on,
        )
        if collection.indexes:
            _index_backfill(
                Construct(service, f"{collection.prefix}IndexBackfill"),
                bucket,
                table,
                collection,
                function,
                events_on,
            )
        parts.append((collection, table, function))
    change_events = (
        _events(Construct(service, "Events"), service, [(c, t) for c, t, _ in parts])
        if events_on
        else None
    )
    api_scope = Construct(service, "Api")
    rest_api, validator = _rest_api(api_scope)
    models: dict[str, apigateway.IModel] = {}
    for collection, _, function in parts:
        _routes(api_scope, rest_api, validator, models, collection, function)
    acknowledge(rest_api.deployment_stage, "AwsSolutions-APIG3")
    _alarms(
        Construct(service, "Monitoring"),
        rest_api.deployment_stage,
        [(collection.prefix, function, table) for collection, table, function in parts],
        change_events,
    )
    outputs = [
        ("ApiUrl", rest_api.url, "URL of the API stage"),
        ("BucketName", bucket.bucket_name, "S3 bucket of large item bodies"),
    ]
    for collection, table, function in parts:
        outputs += [
            (
                f"{collection.prefix}TableName",
                table.table_name,
                f"DynamoDB table of the versions of {collection.name}",
            ),
            (
                f"{collection.prefix}FunctionName",
                function.function_name,
                f"Lambda function serving /{collection.name}",
            ),
        ]
    if change_events is not None:
        bus, _, _ = change_events
        outputs += [
            ("EventBusName", bus.event_bus_name, "Bus of the change events"),
            ("EventSource", _source(service), "The change events' source"),
        ]
    for output_id, value, description in outputs:
        CfnOutput(service, output_id, value=value, description=description)
    for key, value in tags.items():
        Tags.of(service).add(key, value)


def _bucket(scope: Construct) -> s3.Bucket:
    access_logs = s3.Bucket(
        scope,
        "AccessLogs",
        versioned=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireAccessLogs",
                expiration=Duration.days(365),
                noncurrent_version_expiration=Duration.days(1),
                abort_incomplete_multipart_upload_after=Duration.days(7),
            )
        ],
        removal_policy=RemovalPolicy.RETAIN,
    )
    bucket = s3.Bucket(
        scope,
        "Resource",
        versioned=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireNoncurrentVersions",
                noncurrent_version_expiration=Duration.days(90),
                expired_object_delete_marker=True,
                abort_incomplete_multipart_upload_after=Duration.days(7),
            )
        ],
        removal_policy=RemovalPolicy.RETAIN,
    )
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=access_logs.bucket_name,
        log_file_prefix="store/",
        target_object_key_format=s3.CfnBucket.TargetObjectKeyFormatProperty(
            partitioned_prefix=s3.CfnBucket.PartitionedPrefixProperty(
                partition_date_source="EventTime"
            )
        ),
    )
    access_logs.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[access_logs.arn_for_objects("store/*")],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": Stack.of(scope).account},
            },
        )
    )
    return bucket


def _table(scope: Construct, collection: PlainCollection, events_on: bool) -> dynamodb.Table:
    table = dynamodb.Table(
        scope,
        "Resource",
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="timestamp", type=dynamodb.AttributeType.NUMBER),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        deletion_protection=True,
        removal_policy=RemovalPolicy.RETAIN,
        time_to_live_attribute="expires_at",
        stream=dynamodb.StreamViewType.NEW_IMAGE if events_on else None,
    )
    # The attribute indexes are created by the index backfill's job (_staged_indexes).
    table.add_global_secondary_index(
        index_name=LIST_INDEX,
        partition_key=dynamodb.Attribute(name="listing", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
        projection_type=dynamodb.ProjectionType.ALL,
    )
    return table


def _staged_indexes(collection: PlainCollection) -> list[dict[str, Any]]:
    """The attribute indexes, as the index job creates them after the deploy."""
    return [*_attribute_indexes(collection), *_listing_indexes(collection)]


def _listing_indexes(collection: PlainCollection) -> list[dict[str, Any]]:
    return [
        {
            "IndexName": name,
            "KeySchema": [
                {"AttributeName": "listing", "KeyType": "HASH"},
                {"AttributeName": "lx", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
            "AttributeDefinitions": [
                {"AttributeName": "listing", "AttributeType": "S"},
                {"AttributeName": "lx", "AttributeType": "S"},
            ],
        }
        for name in collection.listing_index
    ]


def _attribute_indexes(collection: PlainCollection) -> list[dict[str, Any]]:
    return [
        {
            "IndexName": collection.index_name(attribute),
            "KeySchema": [
                {"AttributeName": f"ix_{attribute}", "KeyType": "HASH"},
                {"AttributeName": _range_key(collection, attribute), "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
            "AttributeDefinitions": [
                {"AttributeName": f"ix_{attribute}", "AttributeType": key_type},
                {"AttributeName": _range_key(collection, attribute), "AttributeType": "S"},
            ],
        }
        for attribute, key_type in collection.indexes
    ]


def _range_key(collection: PlainCollection, attribute: str) -> str:
    return f"sx_{attribute}" if attribute in collection.sorts else "id"


def _function(
    scope: Construct,
    bucket: s3.Bucket,
    table: dynamodb.Table,
    collection: PlainCollection,
    events_on: bool,
) -> lambda_.Function:
    function, role = _runtime_function(
        scope,
        bucket,
        table,
        collection,
        events_on,
        handler="item_service.handler.handler",
        timeout=Duration.seconds(10),
    )
    object_prefix = f"{collection.name}/"
    index_names = [
        LIST_INDEX,
        *(collection.index_name(name) for name, _ in collection.indexes),
        *collection.listing_index,
    ]
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        resource_arns=[table.table_arn],
    )
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["dynamodb:Query"],
        resource_arns=[f"{table.table_arn}/index/{name}" for name in index_names],
    )
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"],
        resource_arns=[bucket.arn_for_objects(f"{object_prefix}*")],
    )
    _depends_on_policy_and_acknowledge(scope, role, function, bucket, object_prefix)
    return function


def _runtime_function(
    scope: Construct,
    bucket: s3.Bucket,
    table: dynamodb.Table,
    collection: PlainCollection,
    events_on: bool,
    *,
    handler: str,
    timeout: Duration,
) -> tuple[lambda_.Function, iam.Role]:
    """A function of the collection's runtime code, with its role and log group."""
    role = iam.Role(
        scope,
        "ServiceRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="Execution role of one function; no AWS-managed policies",
    )
    log_group = logs.LogGroup(scope, "LogGroup", retention=logs.RetentionDays.ONE_MONTH)
    # The runtime's variables come from the contract's function, as the library's do:
    # building a dict is not what the baseline measures (see bench/README.md).
    environment = item_environment(
        collection.contract(),
        table_name=table.table_name,
        bucket_name=bucket.bucket_name,
        list_index_name=LIST_INDEX,
        event_data_limit=EVENT_DATA_LIMIT if events_on else None,
    )
    function = lambda_.Function(
        scope,
        "Resource",
        runtime=lambda_.Runtime.PYTHON_3_14,
        code=lambda_.Code.from_asset(
            str(collection.code), exclude=list(collection.excludes) or None
        ),
        handler=handler,
        role=role,
        memory_size=512,
        timeout=timeout,
        architecture=lambda_.Architecture.ARM_64,
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
        system_log_level_v2=lambda_.SystemLogLevel.INFO,
        environment=environment,
    )
    log_group.grant_write(role)
    return function, role


def _depends_on_policy_and_acknowledge(
    scope: Construct,
    role: iam.Role,
    function: lambda_.Function,
    bucket: s3.Bucket,
    object_prefix: str,
) -> None:
    """The function needs its role's policy in place, not the role itself (the role is
    referenced with Fn::GetAtt already); and the library's acknowledgments."""
    cfn_function = function.node.default_child
    policy = role.node.find_child("DefaultPolicy").node.default_child
    assert isinstance(cfn_function, CfnResource) and isinstance(policy, CfnResource)
    cfn_function.add_override("DependsOn", [policy.logical_id])
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, CfnResource)
    bucket_id = Stack.of(scope).resolve(cfn_bucket.logical_id)
    acknowledge(
        role.node.find_child("DefaultPolicy"),
        "AwsSolutions-IAM5[Resource::*]",
        f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{object_prefix}*]",
    )
    acknowledge(function, "Serverless-LambdaDLQ")


def _index_backfill(
    scope: Construct,
    bucket: s3.Bucket,
    table: dynamodb.Table,
    collection: PlainCollection,
    served_by: lambda_.Function,
    events_on: bool,
) -> None:
    """The index backfill's function and its two custom resources around ``served_by``."""
    function_scope = Construct(scope, "Function")
    function, role = _runtime_function(
        function_scope,
        bucket,
        table,
        collection,
        events_on,
        handler="item_service.backfill_resource.handler",
        timeout=Duration.minutes(15),
    )
    object_prefix = f"{collection.name}/"
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["dynamodb:Scan"],
        resource_arns=[f"{table.table_arn}/index/{LIST_INDEX}"],
    )
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        resource_arns=[table.table_arn],
    )
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["dynamodb:DescribeTable", "dynamodb:UpdateTable"],
        resource_arns=[table.table_arn],
    )
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["s3:GetObject", "s3:GetObjectVersion"],
        resource_arns=[bucket.arn_for_objects(f"{object_prefix}*")],
    )
    _depends_on_policy_and_acknowledge(function_scope, role, function, bucket, object_prefix)
    continue_policy = iam.Policy(
        scope,
        "ContinuePolicy",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[function.function_arn]
            )
        ],
    )
    names = [collection.index_name(name) for name, _ in collection.indexes]
    names += collection.listing_index
    resources = [
        CustomResource(
            scope,
            phase.capitalize(),
            service_token=function.function_arn,
            resource_type="Custom::IndexBackfill",
            properties={
                "Phase": phase,
                "Indexes": names,
                "TableName": table.table_name,
                "TableIndexes": _staged_indexes(collection),
            },
        )
        for phase in ("start", "run")
    ]
    start, run = (r.node.default_child for r in resources)
    served = served_by.node.default_child
    served_policy = served_by.role.node.find_child("DefaultPolicy").node.default_child  # type: ignore[union-attr]
    assert isinstance(start, CfnResource) and isinstance(run, CfnResource)
    assert isinstance(served, CfnResource) and isinstance(served_policy, CfnResource)
    served.add_override(
        "DependsOn",
        sorted([served_policy.logical_id, start.logical_id], key=Stack.of(scope).resolve),
    )
    resources[1].node.add_dependency(served_by, continue_policy)


def _source(service: Construct) -> str:
    return f"cdk-serverless-crud.{service.node.path}"


_VERSION_FILTER = (
    '{"eventName":["INSERT"],"dynamodb":{"Keys":{"timestamp":{"N":[{"anything-but":["0"]}]}}}}'
)


def _events(
    scope: Construct,
    service: Construct,
    tables: Sequence[tuple[PlainCollection, dynamodb.Table]],
) -> tuple[events.EventBus, sqs.Queue, list[tuple[str, pipes.CfnPipe]]]:
    """The change events: the bus, the dead-letter queue, and a pipe per table."""
    bus = events.EventBus(scope, "Bus")
    queue = sqs.Queue(
        scope,
        "DeadLetterQueue",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    acknowledge(queue, "AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy")
    log_group = logs.LogGroup(scope, "PipeLogs", retention=logs.RetentionDays.ONE_MONTH)
    made = []
    for collection, table in tables:
        prefix = collection.prefix
        enrichment = _enrichment(Construct(scope, f"{prefix}Enrichment"), collection)
        role = iam.Role(
            scope,
            f"{prefix}PipeRole",
            assumed_by=iam.ServicePrincipal(
                "pipes.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}},
            ),
            description=(
                f"Reads the stream of {collection.name} and puts its change events on the bus"
            ),
        )
        stream_arn = table.table_stream_arn
        assert stream_arn is not None
        iam.Grant.add_to_principal(
            grantee=role,
            actions=[
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            resource_arns=[stream_arn],
        )
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["lambda:InvokeFunction"],
            resource_arns=[enrichment.function_arn],
        )
        bus.grant_put_events_to(role)
        iam.Grant.add_to_principal(
            grantee=role, actions=["sqs:SendMessage"], resource_arns=[queue.queue_arn]
        )
        log_group.grant_write(role)
        P = pipes.CfnPipe
        pipe = P(
            scope,
            f"{prefix}Pipe",
            role_arn=role.role_arn,
            description=f"Change events of {collection.name}: its new versions, to the bus",
            source=stream_arn,
            source_parameters=P.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=P.PipeSourceDynamoDBStreamParametersProperty(
                    starting_position="LATEST",
                    batch_size=1,
                    parallelization_factor=10,
                    maximum_retry_attempts=10,
                    maximum_record_age_in_seconds=21600,
                    on_partial_batch_item_failure="AUTOMATIC_BISECT",
                    dead_letter_config=P.DeadLetterConfigProperty(arn=queue.queue_arn),
                ),
                filter_criteria=P.FilterCriteriaProperty(
                    filters=[P.FilterProperty(pattern=_VERSION_FILTER)]
                ),
            ),
            enrichment=enrichment.function_arn,
            target=bus.event_bus_arn,
            target_parameters=P.PipeTargetParametersProperty(
                event_bridge_event_bus_parameters=P.PipeTargetEventBridgeEventBusParametersProperty(
                    detail_type="$.detail_type", source=_source(service)
                ),
                input_template="<$.detail>",
            ),
            log_configuration=P.PipeLogConfigurationProperty(
                level="ERROR",
                cloudwatch_logs_log_destination=P.CloudwatchLogsLogDestinationProperty(
                    log_group_arn=log_group.log_group_arn
                ),
            ),
        )
        pipe.node.add_dependency(role.node.find_child("DefaultPolicy"))
        made.append((prefix, pipe))
    return bus, queue, made


def _enrichment(scope: Construct, collection: PlainCollection) -> lambda_.Function:
    """The enrichment function: a TaggedFunction of the runtime, without data grants."""
    role = iam.Role(
        scope,
        "ServiceRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="Execution role of one function; no AWS-managed policies",
    )
    log_group = logs.LogGroup(scope, "LogGroup", retention=logs.RetentionDays.ONE_MONTH)
    function = lambda_.Function(
        scope,
        "Resource",
        runtime=lambda_.Runtime.PYTHON_3_14,
        code=lambda_.Code.from_asset(str(RUNTIME), exclude=list(RUNTIME_EXCLUDES)),
        handler="item_service.change_events.handler",
        role=role,
        memory_size=512,
        timeout=Duration.seconds(10),
        architecture=lambda_.Architecture.ARM_64,
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
        system_log_level_v2=lambda_.SystemLogLevel.INFO,
        environment=enrichment_environment(collection.name, with_data=True),
    )
    log_group.grant_write(role)
    cfn_function = function.node.default_child
    policy = role.node.find_child("DefaultPolicy").node.default_child
    assert isinstance(cfn_function, CfnResource) and isinstance(policy, CfnResource)
    cfn_function.add_override("DependsOn", [policy.logical_id])
    acknowledge(role.node.find_child("DefaultPolicy"), "AwsSolutions-IAM5[Resource::*]")
    acknowledge(function, "Serverless-LambdaDLQ")
    return function


def _rest_api(scope: Construct) -> tuple[apigateway.RestApi, apigateway.RequestValidator]:
    access_logs = logs.LogGroup(scope, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH)
    rest_api = apigateway.RestApi(
        scope,
        "Resource",
        rest_api_name=Names.unique_resource_name(scope),
        endpoint_types=[apigateway.EndpointType.REGIONAL],
        cloud_watch_role=False,
        default_method_options=apigateway.MethodOptions(
            authorization_type=apigateway.AuthorizationType.IAM
        ),
        deploy_options=apigateway.StageOptions(
            stage_name="prod",
            cache_cluster_enabled=True,
            cache_cluster_size="0.5",
            caching_enabled=True,
            cache_ttl=Duration.seconds(60),
            cache_data_encrypted=True,
            logging_level=apigateway.MethodLoggingLevel.INFO,
            data_trace_enabled=False,
            metrics_enabled=True,
            tracing_enabled=True,
            throttling_rate_limit=100.0,
            throttling_burst_limit=200,
            access_log_destination=apigateway.LogGroupLogDestination(access_logs),
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
    rest_api.node.try_remove_child("Endpoint")
    validator = rest_api.add_request_validator(
        "RequestValidator", validate_request_body=True, validate_request_parameters=True
    )
    responses = apigateway.ResponseType
    for response_id, response_type, code, status in (
        ("BadRequestBody", responses.BAD_REQUEST_BODY, "invalid_body", "400"),
        ("BadRequestParameters", responses.BAD_REQUEST_PARAMETERS, "invalid_parameter", "400"),
        (
            "MissingAuthenticationToken",
            responses.MISSING_AUTHENTICATION_TOKEN,
            "missing_authentication_token",
            None,
        ),
        ("AccessDenied", responses.ACCESS_DENIED, "access_denied", None),
        ("Unauthorized", responses.UNAUTHORIZED, "unauthorized", None),
        ("InvalidSignature", responses.INVALID_SIGNATURE, "invalid_signature", None),
        ("ExpiredToken", responses.EXPIRED_TOKEN, "expired_token", None),
        ("InvalidApiKey", responses.INVALID_API_KEY, "invalid_api_key", None),
        ("WafFiltered", responses.WAF_FILTERED, "waf_filtered", None),
        ("RequestTooLarge", responses.REQUEST_TOO_LARGE, "payload_too_large", None),
        ("UnsupportedMediaType", responses.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", None),
        ("Throttled", responses.THROTTLED, "throttled", None),
        ("QuotaExceeded", responses.QUOTA_EXCEEDED, "quota_exceeded", None),
        ("IntegrationTimeout", responses.INTEGRATION_TIMEOUT, "integration_timeout", None),
        ("IntegrationFailure", responses.INTEGRATION_FAILURE, "integration_failure", None),
        ("Default4xx", responses.DEFAULT_4_XX, "bad_request", None),
        ("Default5xx", responses.DEFAULT_5_XX, "gateway_error", None),
    ):
        rest_api.add_gateway_response(
            response_id,
            type=response_type,
            status_code=status,
            templates={
                JSON: '{"error": {"code": "'
                + code
                + '", "message": $context.error.messageString, '
                + '"request_id": "$context.requestId"}}'
            },
        )
    _cloud_watch_role(scope, rest_api)
    return rest_api, validator


def _routes(
    scope: Construct,
    rest_api: apigateway.RestApi,
    validator: apigateway.RequestValidator,
    models: dict[str, apigateway.IModel],
    collection: PlainCollection,
    function: lambda_.Function,
) -> None:
    """One collection's routes; resources and models are created as the library does."""
    limit = "method.request.querystring.limit"
    cursor = "method.request.querystring.cursor"
    item_id = "method.request.path.id"
    if_match = "method.request.header.If-Match"
    if_none_match = "method.request.header.If-None-Match"
    key = "method.request.header.Idempotency-Key"
    as_of = "method.request.querystring.as_of"
    timestamp = "method.request.path.timestamp"
    order = "method.request.querystring.order"
    names = [
        *(name for name, _ in collection.indexes),
        *collection.sort_parameters,
        *collection.attributes,
    ]
    queries = {f"method.request.querystring.{name}": False for name in names}
    base = f"/{collection.name}"
    routes: list[tuple[str, str, dict[str, bool]]] = [
        (base, "GET", {limit: False, cursor: False, order: False, **queries}),
        (base, "POST", {key: False}),
        (f"{base}/{{id}}", "GET", {item_id: True, as_of: False}),
        (
            f"{base}/{{id}}",
            "PUT",
            {item_id: True, if_match: False, if_none_match: False, key: False},
        ),
        (f"{base}/{{id}}", "DELETE", {item_id: True, if_match: False, key: False}),
        (f"{base}/{{id}}", "PATCH", {item_id: True, if_match: False, key: False}),
        (f"{base}/{{id}}/versions", "GET", {item_id: True, limit: False, cursor: False}),
        (f"{base}/{{id}}/versions/{{timestamp}}", "GET", {item_id: True, timestamp: True}),
        (f"{base}/{{id}}/restore", "POST", {item_id: True, if_match: False, key: False}),
    ]
    # A typed collection's model comes first; ItemData when the first route needs it.
    # What is added to the API, in order, makes the deployment's logical ID.
    body_model = None
    if collection.model is not None:
        body_model = _model(scope, rest_api, models, f"{collection.prefix}Data", collection.model)
    for path, verb, params in routes:
        resource = rest_api.root.resource_for_path(path)
        request_models = None
        if path.endswith("/restore"):
            model = _model(scope, rest_api, models, "RestoreRequest", RESTORE_REQUEST_SCHEMA)
            request_models = {JSON: model}
        elif verb == "PATCH":
            model = _model(scope, rest_api, models, "MergePatch", MERGE_PATCH_SCHEMA)
            request_models = {MERGE_PATCH: model}
        elif verb in ("POST", "PUT"):
            model = body_model or _model(scope, rest_api, models, "ItemData", ITEM_DATA_SCHEMA)
            request_models = {JSON: model}
        # GET answers are cached, keyed on every parameter the method reads.
        keys = list(params) if verb == "GET" else None
        method = resource.add_method(
            verb,
            apigateway.LambdaIntegration(function, cache_key_parameters=keys or None),
            request_parameters=params or None,
            request_validator=validator,
            request_models=request_models,
        )
        acknowledge(method, "AwsSolutions-COG4")
    # Every other method of each path: 405 with Allow, answered by API Gateway (MOCK).
    allowed: dict[str, list[str]] = {}
    for path, verb, _ in routes:
        allowed.setdefault(path, []).append(verb)
    for path, verbs in allowed.items():
        not_allowed = rest_api.root.resource_for_path(path).add_method(
            "ANY",
            apigateway.MockIntegration(
                passthrough_behavior=apigateway.PassthroughBehavior.WHEN_NO_TEMPLATES,
                integration_responses=[
                    apigateway.IntegrationResponse(
                        status_code="405",
                        response_parameters={
                            "method.response.header.Allow": f"'{', '.join(sorted(verbs))}'"
                        },
                        response_templates={
                            JSON: '{"error": {"code": "method_not_allowed", "message": "method '
                            '$context.httpMethod is not allowed here", "request_id": '
                            '"$context.requestId"}}'
                        },
                    )
                ],
            ),
            method_responses=[
                apigateway.MethodResponse(
                    status_code="405",
                    response_parameters={"method.response.header.Allow": True},
                )
            ],
        )
        acknowledge(not_allowed, "AwsSolutions-COG4")


def _model(
    scope: Construct,
    rest_api: apigateway.RestApi,
    models: dict[str, apigateway.IModel],
    name: str,
    schema: Mapping[str, Any],
) -> apigateway.IModel:
    """The body model ``name``, declared once, when the first route needs it."""
    if name not in models:
        model = apigateway.CfnModel(
            scope,
            f"{name}Model",
            rest_api_id=rest_api.rest_api_id,
            content_type=JSON,
            name=name,
            description=f"{name}, from the OpenAPI contract",
            schema=dict(schema),
        )
        assert rest_api.latest_deployment is not None
        rest_api.latest_deployment.add_to_logical_id(
            {"model": {"name": name, "schema": dict(schema)}}
        )
        models[name] = apigateway.Model.from_model_name(scope, f"{name}ModelRef", model.ref)
    return models[name]


def _cloud_watch_role(scope: Construct, rest_api: apigateway.RestApi) -> None:
    log_groups = Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name="*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role = iam.Role(
        scope,
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
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>"
        ":log-group:*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>"
        ":log-group:*:log-stream:*]",
    )
    role.apply_removal_policy(RemovalPolicy.RETAIN)
    account = apigateway.CfnAccount(scope, "Account", cloud_watch_role_arn=role.role_arn)
    account.apply_removal_policy(RemovalPolicy.RETAIN)
    default_child = rest_api.node.default_child
    assert isinstance(default_child, Construct)
    account.node.add_dependency(default_child)
    rest_api.deployment_stage.node.add_dependency(account)


_WINDOW = "in 3 of 5 periods of 1 minute"


def _alarms(
    scope: Construct,
    stage: apigateway.Stage,
    watched: Sequence[tuple[str, lambda_.Function, dynamodb.Table]],
    change_events: tuple[events.EventBus, sqs.Queue, list[tuple[str, pipes.CfnPipe]]] | None,
) -> None:
    minute = Duration.minutes(1)
    alarms: dict[str, tuple[cloudwatch.IMetric, float, str]] = {
        "ApiServerErrorRate": (
            stage.metric_server_error(statistic="Average", period=minute),
            0.01,
            f"At least 1 % of the stage's requests were answered 5XX {_WINDOW}. Bad input "
            "gets a 4xx, so look for error_code in the function's logs and for throttling "
            "or timeouts.",
        ),
        "ApiLatencyP99": (
            stage.metric_latency(statistic="p99", period=minute),
            2000,
            f"The stage's p99 latency reached 2 seconds {_WINDOW}. Check the function's "
            "duration and write contention (503).",
        ),
    }
    for prefix, function, table in watched:
        which = f" ({prefix})" if prefix else ""
        throttles = {
            operation.lower(): table.metric_throttled_requests_for_operation(
                operation, statistic="Sum", period=minute
            )
            for operation in ("GetItem", "Query", "TransactWriteItems")
        }
        alarms |= {
            f"{prefix}FunctionErrors": (
                function.metric_errors(statistic="Sum", period=minute),
                1,
                f"The function{which} failed at least 1 time(s) per period {_WINDOW}: "
                "timeouts, crashes or out of memory, as every answer is handled.",
            ),
            f"{prefix}FunctionThrottles": (
                function.metric_throttles(statistic="Sum", period=minute),
                1,
                f"The function{which} was throttled at least 1 time(s) per period {_WINDOW}: "
                "raise its reserved concurrency or the account's limit.",
            ),
            f"{prefix}TableThrottledRequests": (
                cloudwatch.MathExpression(
                    expression=" + ".join(f"FILL({name}, 0)" for name in throttles),
                    using_metrics=throttles,
                    label="Throttled requests",
                    period=minute,
                ),
                1,
                f"The table{which} throttled at least 1 request(s) per period {_WINDOW}: once "
                "boto3's retries run out, callers get 503 service_busy.",
            ),
        }
    if change_events is not None:
        _, queue, made = change_events
        for prefix, pipe in made:
            which = f" ({prefix})" if prefix else ""
            alarms[f"{prefix}EventsFailed"] = (
                cloudwatch.Metric(
                    namespace="AWS/EventBridge/Pipes",
                    metric_name="ExecutionFailed",
                    dimensions_map={"PipeName": pipe.ref},
                    statistic="Sum",
                    period=minute,
                ),
                1,
                f"The change events' pipe{which} failed at least 1 execution(s) per period "
                f"{_WINDOW}: see its log group; records are retried, then sent to the "
                "dead-letter queue.",
            )
        alarms["EventsDeadLettered"] = (
            queue.metric_approximate_number_of_messages_visible(statistic="Maximum", period=minute),
            1,
            f"At least 1 change(s) {_WINDOW} could not be delivered as events, or refresh "
            "the cache, and wait in the dead-letter queue. A pipe's message names the stream "
            "record by shard and sequence number: read it within 24 hours of the write "
            "(GetShardIterator AT_SEQUENCE_NUMBER, then GetRecords). A cache refresher's "
            "message is the event itself.",
        )
    for alarm_id, (metric, threshold, description) in alarms.items():
        cloudwatch.Alarm(
            scope,
            alarm_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
