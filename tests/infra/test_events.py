"""Change events in the template: stream, pipe, filter, bus, dead-letter queue, grants
and alarms; and none of it without ``events``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from cdk_serverless_crud import (
    Authorization,
    ChangeEvents,
    Collection,
    ServerlessCrudService,
    TaggedFunctionProps,
    TimeSeriesTableProps,
)
from cdk_serverless_crud.contract.events_contract import VERSION_FILTER

from .helpers import (
    REQUIRED_TAGS,
    Resource,
    Synthesized,
    as_list,
    assert_value_error,
    get_att,
    logical_id,
    new_stack,
    policy_statements,
    props,
    resources,
)

PIPE = "AWS::Pipes::Pipe"


@pytest.fixture(scope="module")
def with_events() -> Synthesized:
    stack = new_stack()
    service = ServerlessCrudService(stack, "Items", tags=REQUIRED_TAGS, events=ChangeEvents())
    return Synthesized(stack, service, Template.from_stack(stack))


@pytest.fixture(scope="module")
def typed_on_a_given_bus() -> Synthesized:
    """Two collections, a customer-managed key, the default bus, no data, and failed
    records logged."""
    stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bus = events.EventBus.from_event_bus_name(stack, "Default", "default")
    service = ServerlessCrudService(
        stack,
        "Shop",
        tags=REQUIRED_TAGS,
        collections=[Collection("orders"), Collection("customers")],
        encryption_key=key,
        events=ChangeEvents(bus=bus, detail=False, log_failed_records=True),
    )
    return Synthesized(stack, service, Template.from_stack(stack))


def _pipe(template: Template) -> Resource:
    return props(template, PIPE)


def _pipe_role_statements(template: Template, pipe: Resource) -> list[Resource]:
    role_id = pipe["RoleArn"]["Fn::GetAtt"][0]
    return policy_statements(template, role_id)


def test_no_events_means_no_stream_pipe_bus_or_queue(template: Template) -> None:
    assert "StreamSpecification" not in props(template, "AWS::DynamoDB::Table")
    for resource_type in (PIPE, "AWS::Events::EventBus", "AWS::SQS::Queue"):
        assert resources(template, resource_type) == {}


def test_the_table_streams_new_images(with_events: Synthesized) -> None:
    table = props(with_events.template, "AWS::DynamoDB::Table")
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


def test_the_pipe_reads_the_stream_through_the_version_filter(with_events: Synthesized) -> None:
    template = with_events.template
    pipe = _pipe(template)
    table_id = logical_id(template, "AWS::DynamoDB::Table")

    assert pipe["Source"] == get_att(table_id, "StreamArn")
    (only_filter,) = pipe["SourceParameters"]["FilterCriteria"]["Filters"]
    assert (
        json.loads(only_filter["Pattern"])
        == VERSION_FILTER
        == {
            "eventName": ["INSERT"],
            "dynamodb": {"Keys": {"timestamp": {"N": [{"anything-but": ["0"]}]}}},
        }
    )
    stream = pipe["SourceParameters"]["DynamoDBStreamParameters"]
    assert stream["StartingPosition"] == "LATEST"
    assert stream["BatchSize"] == 1
    assert 1 <= stream["MaximumRetryAttempts"] <= 10
    assert 0 < stream["MaximumRecordAgeInSeconds"] <= 86_400
    assert stream["OnPartialBatchItemFailure"] == "AUTOMATIC_BISECT"
    queue_id = logical_id(template, "AWS::SQS::Queue")
    assert stream["DeadLetterConfig"] == {"Arn": get_att(queue_id)}


def test_the_enrichment_names_the_event_and_the_bus_receives_it(
    with_events: Synthesized,
) -> None:
    template = with_events.template
    pipe = _pipe(template)
    bus_id = logical_id(template, "AWS::Events::EventBus")

    assert pipe["Target"] == get_att(bus_id)
    assert pipe["TargetParameters"] == {
        "EventBridgeEventBusParameters": {
            "DetailType": "$.detail_type",
            "Source": "cdk-serverless-crud.Test/Items",
        },
        "InputTemplate": "<$.detail>",
    }
    enrichment_id = pipe["Enrichment"]["Fn::GetAtt"][0]
    function = resources(template, "AWS::Lambda::Function")[enrichment_id]["Properties"]
    assert function["Handler"] == "item_service.change_events.handler"
    assert function["Environment"]["Variables"] == {"COLLECTION": "items", "EVENT_DETAIL": "data"}
    assert with_events.service.service_events is not None
    assert with_events.service.service_events.source == "cdk-serverless-crud.Test/Items"


def test_the_pipe_role_reads_this_stream_and_puts_to_this_bus_only(
    with_events: Synthesized,
) -> None:
    template = with_events.template
    pipe = _pipe(template)
    table_id = logical_id(template, "AWS::DynamoDB::Table")
    bus_id = logical_id(template, "AWS::Events::EventBus")
    queue_id = logical_id(template, "AWS::SQS::Queue")

    granted = {
        action: statement["Resource"]
        for statement in _pipe_role_statements(template, pipe)
        for action in as_list(statement["Action"])
    }

    assert granted == {
        "dynamodb:DescribeStream": get_att(table_id, "StreamArn"),
        "dynamodb:GetRecords": get_att(table_id, "StreamArn"),
        "dynamodb:GetShardIterator": get_att(table_id, "StreamArn"),
        "dynamodb:ListStreams": get_att(table_id, "StreamArn"),
        "lambda:InvokeFunction": pipe["Enrichment"],
        "events:PutEvents": get_att(bus_id),
        "sqs:SendMessage": get_att(queue_id),
        "logs:CreateLogStream": pipe["LogConfiguration"]["CloudwatchLogsLogDestination"][
            "LogGroupArn"
        ],
        "logs:PutLogEvents": pipe["LogConfiguration"]["CloudwatchLogsLogDestination"][
            "LogGroupArn"
        ],
    }
    role = resources(template, "AWS::IAM::Role")[pipe["RoleArn"]["Fn::GetAtt"][0]]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]


def test_the_enrichment_function_holds_no_data_grant(with_events: Synthesized) -> None:
    template = with_events.template
    enrichment_id = _pipe(template)["Enrichment"]["Fn::GetAtt"][0]
    function = resources(template, "AWS::Lambda::Function")[enrichment_id]["Properties"]
    role_id = function["Role"]["Fn::GetAtt"][0]

    actions = {
        action
        for statement in policy_statements(template, role_id)
        for action in as_list(statement["Action"])
    }

    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }


def test_the_dead_letter_queue_is_encrypted_tls_only_and_alarmed(
    with_events: Synthesized,
) -> None:
    template = with_events.template
    queue_id = logical_id(template, "AWS::SQS::Queue")
    queue = props(template, "AWS::SQS::Queue")
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 86_400
    (policy,) = resources(template, "AWS::SQS::QueuePolicy").values()
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    alarms = _alarms(template)
    depth = alarms["EventsDeadLettered"]
    assert depth["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert depth["Dimensions"] == [{"Name": "QueueName", "Value": get_att(queue_id, "QueueName")}]
    assert depth["Threshold"] == 1
    failed = alarms["EventsFailed"]
    assert (failed["Namespace"], failed["MetricName"]) == (
        "AWS/EventBridge/Pipes",
        "ExecutionFailed",
    )
    pipe_id = logical_id(template, PIPE)
    assert failed["Dimensions"] == [{"Name": "PipeName", "Value": {"Ref": pipe_id}}]


def _alarms(template: Template) -> dict[str, Resource]:
    found = {}
    for lid, alarm in resources(template, "AWS::CloudWatch::Alarm").items():
        for name in (
            "EventsDeadLettered",
            "OrdersEventsFailed",
            "CustomersEventsFailed",
            "EventsFailed",
        ):
            if lid.startswith(f"ItemsMonitoring{name}") or lid.startswith(f"ShopMonitoring{name}"):
                found[name] = alarm["Properties"]
                break
    return found


def test_the_item_function_offloads_what_an_event_cannot_carry(with_events: Synthesized) -> None:
    (items,) = [
        function["Properties"]
        for function in resources(with_events.template, "AWS::Lambda::Function").values()
        if function["Properties"]["Handler"] == "item_service.handler.handler"
    ]
    assert items["Environment"]["Variables"]["EVENT_DATA_LIMIT"] == str(256 * 1024 - 8 * 1024)


def test_one_pipe_per_collection_on_a_given_bus_without_data(
    typed_on_a_given_bus: Synthesized,
) -> None:
    template = typed_on_a_given_bus.template
    pipes = list(resources(template, PIPE).values())
    assert resources(template, "AWS::Events::EventBus") == {}
    assert len(pipes) == 2
    tables = resources(template, "AWS::DynamoDB::Table")
    assert {json.dumps(p["Properties"]["Source"]) for p in pipes} == {
        json.dumps(get_att(table_id, "StreamArn")) for table_id in tables
    }
    for pipe in pipes:
        target = pipe["Properties"]["Target"]
        assert "event-bus/default" in json.dumps(target)
        enrichment_id = pipe["Properties"]["Enrichment"]["Fn::GetAtt"][0]
        function = resources(template, "AWS::Lambda::Function")[enrichment_id]["Properties"]
        assert function["Environment"]["Variables"]["EVENT_DETAIL"] == "none"
    for function in resources(template, "AWS::Lambda::Function").values():
        assert "EVENT_DATA_LIMIT" not in function["Properties"]["Environment"]["Variables"]
    alarms = _alarms(template)
    assert {"OrdersEventsFailed", "CustomersEventsFailed", "EventsDeadLettered"} <= set(alarms)


def test_a_customer_managed_key_encrypts_the_queue_and_the_stream_read(
    typed_on_a_given_bus: Synthesized,
) -> None:
    template = typed_on_a_given_bus.template
    key_id = logical_id(template, "AWS::KMS::Key")
    queue = props(template, "AWS::SQS::Queue")
    assert queue["KmsMasterKeyId"] == get_att(key_id)
    pipe = next(iter(resources(template, PIPE).values()))["Properties"]
    kms_actions = {
        action
        for statement in _pipe_role_statements(template, pipe)
        if statement["Resource"] == get_att(key_id)
        for action in as_list(statement["Action"])
    }
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= kms_actions


def test_by_default_the_pipe_logs_errors_without_the_records(with_events: Synthesized) -> None:
    # The dead-letter queue gets only shard and sequence numbers; item data stays out of
    # the logs unless asked for.
    log_configuration = _pipe(with_events.template)["LogConfiguration"]
    assert log_configuration["Level"] == "ERROR"
    assert "IncludeExecutionData" not in log_configuration


def test_log_failed_records_keeps_them_in_the_encrypted_log_group(
    typed_on_a_given_bus: Synthesized,
) -> None:
    # Readable after the stream's 24 hours, for the log group's month.
    template = typed_on_a_given_bus.template
    log_groups = resources(template, "AWS::Logs::LogGroup")
    for pipe in resources(template, PIPE).values():
        log_configuration = pipe["Properties"]["LogConfiguration"]
        assert log_configuration["Level"] == "ERROR"
        assert log_configuration["IncludeExecutionData"] == ["ALL"]
        group_id = log_configuration["CloudwatchLogsLogDestination"]["LogGroupArn"]["Fn::GetAtt"][0]
        group = log_groups[group_id]["Properties"]
        assert group["KmsKeyId"] == get_att(logical_id(template, "AWS::KMS::Key"))
        assert group["RetentionInDays"] == 30


def test_the_bus_and_source_are_outputs(with_events: Synthesized) -> None:
    outputs = with_events.template.to_json()["Outputs"]
    names = {name for name in outputs if "EventBusName" in name or "EventSource" in name}
    assert len(names) == 2


@pytest.mark.parametrize(
    ("build", "parts"),
    [
        (lambda: ChangeEvents(bus="my-bus"), ["ChangeEvents.bus", "IEventBus"]),  # type: ignore[arg-type]
        (lambda: ChangeEvents(detail="yes"), ["ChangeEvents.detail"]),  # type: ignore[arg-type]
        (
            lambda: ChangeEvents(log_failed_records="yes"),  # type: ignore[arg-type]
            ["ChangeEvents.log_failed_records"],
        ),
        (
            lambda: ServerlessCrudService(
                new_stack(),
                "Items",
                tags=REQUIRED_TAGS,
                events=True,  # type: ignore[arg-type]
            ),
            ["events", "ChangeEvents"],
        ),
        (
            lambda: ServerlessCrudService(
                new_stack(),
                "Items",
                tags=REQUIRED_TAGS,
                table_props=TimeSeriesTableProps(stream=dynamodb.StreamViewType.KEYS_ONLY),
                events=ChangeEvents(),
            ),
            ["TimeSeriesTableProps.stream", "NEW_IMAGE"],
        ),
    ],
)
def test_bad_combinations_name_the_prop(build: Any, parts: list[str]) -> None:
    assert_value_error(build, parts)


@pytest.fixture(scope="module")
def refreshing() -> Synthesized:
    stack = new_stack()
    service = ServerlessCrudService(
        stack,
        "Shop",
        tags=REQUIRED_TAGS,
        collections=[Collection("orders"), Collection("customers")],
        events=ChangeEvents(invalidate_cache=True),
    )
    return Synthesized(stack, service, Template.from_stack(stack))


def test_the_refresher_may_invoke_and_invalidate_exactly_the_items_gets(
    refreshing: Synthesized,
) -> None:
    template = refreshing.template
    assert refreshing.service.service_events is not None
    refresher = refreshing.service.service_events.cache_refresher
    assert refresher is not None
    function_id = refreshing.stack.get_logical_id(refresher.function.node.default_child)  # type: ignore[arg-type]
    function = resources(template, "AWS::Lambda::Function")[function_id]["Properties"]
    assert function["Handler"] == "item_service.cache_refresh.handler"
    assert "API_URL" in function["Environment"]["Variables"]
    # Without CORS there is one cache entry per GET: no origin needs a refresh of its own.
    assert "REFRESH_ORIGINS" not in function["Environment"]["Variables"]
    role_id = function["Role"]["Fn::GetAtt"][0]

    (grant,) = [
        s
        for s in policy_statements(template, role_id)
        if "execute-api:Invoke" in as_list(s["Action"])
    ]

    assert sorted(as_list(grant["Action"])) == ["execute-api:InvalidateCache", "execute-api:Invoke"]
    paths = sorted(
        json.dumps(arn)[-60:].split("/prod/")[-1].rstrip('"]}') for arn in grant["Resource"]
    )
    assert paths == [
        "GET/customers/*",
        "GET/customers/*/versions",
        "GET/orders/*",
        "GET/orders/*/versions",
    ]


def test_a_rule_on_the_bus_sends_this_services_events_to_the_refresher(
    refreshing: Synthesized,
) -> None:
    template = refreshing.template
    rule = props(template, "AWS::Events::Rule")
    bus_id = logical_id(template, "AWS::Events::EventBus")
    queue_id = logical_id(template, "AWS::SQS::Queue")
    assert rule["EventBusName"] == {"Ref": bus_id}
    assert rule["EventPattern"] == {"source": ["cdk-serverless-crud.Test/Shop"]}
    (target,) = rule["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": get_att(queue_id)}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 10
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 3600


@pytest.mark.parametrize(
    ("kwargs", "parts"),
    [
        ({"cache_ttl": Duration.seconds(0)}, ["ChangeEvents.invalidate_cache", "cache_ttl"]),
        (
            {"authorization": Authorization.none()},
            ["ChangeEvents.invalidate_cache", "Authorization.iam()"],
        ),
    ],
)
def test_invalidate_cache_needs_a_cache_and_iam(kwargs: dict[str, Any], parts: list[str]) -> None:
    assert_value_error(
        lambda: ServerlessCrudService(
            new_stack(),
            "Items",
            tags=REQUIRED_TAGS,
            events=ChangeEvents(invalidate_cache=True),
            **kwargs,
        ),
        parts,
    )


def test_without_invalidate_cache_there_is_no_rule_or_refresher(with_events: Synthesized) -> None:
    assert resources(with_events.template, "AWS::Events::Rule") == {}
    assert with_events.service.service_events is not None
    assert with_events.service.service_events.cache_refresher is None


def test_the_pipe_starts_only_once_its_role_may_read_and_put(with_events: Synthesized) -> None:
    template = with_events.template
    (pipe,) = resources(template, PIPE).values()
    role_id = pipe["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    (policy_id,) = [
        lid
        for lid, policy in resources(template, "AWS::IAM::Policy").items()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
    ]
    assert pipe["DependsOn"] == [policy_id]


def test_the_events_functions_reserve_no_concurrency_of_the_item_functions() -> None:
    stack = new_stack()
    ServerlessCrudService(
        stack,
        "Items",
        tags=REQUIRED_TAGS,
        function_props=TaggedFunctionProps(reserved_concurrent_executions=50, memory_size=1024),
        events=ChangeEvents(invalidate_cache=True),
    )
    functions = resources(Template.from_stack(stack), "AWS::Lambda::Function").values()
    reserved = {
        f["Properties"]["Handler"]: f["Properties"].get("ReservedConcurrentExecutions")
        for f in functions
    }
    assert reserved == {
        "item_service.handler.handler": 50,
        "item_service.change_events.handler": None,
        "item_service.cache_refresh.handler": None,
    }
    assert {f["Properties"]["MemorySize"] for f in functions} == {1024}
