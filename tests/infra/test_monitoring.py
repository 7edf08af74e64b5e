"""Alarms on by default, on the right resources, with documented, overridable thresholds."""

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from cdk_serverless_crud import ServerlessCrudService, ServiceMonitoringProps

from .helpers import (
    REQUIRED_TAGS,
    Resource,
    Synthesized,
    assert_value_error,
    logical_id,
    new_stack,
    resources,
)

ALARM = "AWS::CloudWatch::Alarm"
ALARM_NAMES = (
    "ApiServerErrorRate",
    "ApiLatencyP99",
    "FunctionErrors",
    "FunctionThrottles",
    "TableThrottledRequests",
)


def alarms_by_name(template: Template) -> dict[str, Resource]:
    """Each alarm's properties, by the name after ``Monitoring`` in its logical id."""
    found: dict[str, Resource] = {}
    for lid, alarm in resources(template, ALARM).items():
        name = next(n for n in ALARM_NAMES if lid.startswith(f"ItemsMonitoring{n}"))
        found[name] = alarm["Properties"]
    return found


@pytest.fixture(scope="module")
def default_alarms(template: Template) -> dict[str, Resource]:
    return alarms_by_name(template)


@pytest.fixture(scope="module")
def tuned() -> Synthesized:
    """Every threshold overridden, a topic and another action, and the dashboard."""
    stack = new_stack()
    topic = sns.Topic(stack, "Pager", enforce_ssl=True)
    hook = lambda_.Function.from_function_arn(
        stack, "Hook", "arn:aws:lambda:us-east-1:123456789012:function:on-alarm"
    )
    service = ServerlessCrudService(
        stack,
        "Items",
        tags=REQUIRED_TAGS,
        monitoring_props=ServiceMonitoringProps(
            api_server_error_rate=0.05,
            api_latency_p99=Duration.millis(1500),
            function_errors=3,
            function_throttles=10,
            table_throttled_requests=25,
            period=Duration.minutes(5),
            evaluation_periods=3,
            datapoints_to_alarm=2,
            alarm_topic=topic,
            alarm_actions=[cloudwatch_actions.LambdaAction(hook)],
            dashboard=True,
        ),
    )
    return Synthesized(stack, service, Template.from_stack(stack))


def test_the_service_has_the_five_alarms_by_default(default_alarms: dict[str, Resource]) -> None:
    assert set(default_alarms) == set(ALARM_NAMES)
    for alarm in default_alarms.values():
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (5, 3)
        assert alarm["TreatMissingData"] == "notBreaching"
        # CloudFormation names them, so two services never collide.
        assert "AlarmName" not in alarm
        assert "AlarmActions" not in alarm


def test_api_alarms_watch_this_stage(
    template: Template, default_alarms: dict[str, Resource]
) -> None:
    stage = {"Ref": logical_id(template, "AWS::ApiGateway::Stage")}
    (api,) = [
        r["Properties"]["Name"] for r in resources(template, "AWS::ApiGateway::RestApi").values()
    ]
    rate, latency = default_alarms["ApiServerErrorRate"], default_alarms["ApiLatencyP99"]
    for alarm in (rate, latency):
        assert alarm["Namespace"] == "AWS/ApiGateway"
        assert alarm["Period"] == 60
        assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
            "ApiName": api,
            "Stage": stage,
        }
    assert (rate["MetricName"], rate["Statistic"], rate["Threshold"]) == (
        "5XXError",
        "Average",
        0.01,
    )
    assert (latency["MetricName"], latency["ExtendedStatistic"], latency["Threshold"]) == (
        "Latency",
        "p99",
        2000,
    )


def test_function_alarms_watch_the_function(
    template: Template, default_alarms: dict[str, Resource]
) -> None:
    function = {"Ref": logical_id(template, "AWS::Lambda::Function")}
    for name, metric in (("FunctionErrors", "Errors"), ("FunctionThrottles", "Throttles")):
        alarm = default_alarms[name]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric)
        assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 1)
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": function}]


def test_the_table_alarm_sums_throttles_of_every_operation_the_runtime_makes(
    template: Template, default_alarms: dict[str, Resource]
) -> None:
    alarm = default_alarms["TableThrottledRequests"]
    assert alarm["Threshold"] == 1
    (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
    # A series with no throttles has no datapoints: unfilled, the sum would be empty.
    assert expression["Expression"] == (
        "FILL(getitem, 0) + FILL(query, 0) + FILL(transactwriteitems, 0)"
    )
    table = {"Ref": logical_id(template, "AWS::DynamoDB::Table")}
    operations = set()
    for metric in (m for m in alarm["Metrics"] if "MetricStat" in m):
        stat = metric["MetricStat"]
        assert (stat["Metric"]["MetricName"], stat["Stat"], stat["Period"]) == (
            "ThrottledRequests",
            "Sum",
            60,
        )
        dimensions = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
        assert dimensions["TableName"] == table
        operations.add(dimensions["Operation"])
    # The calls docs/design.md grants the runtime (tests/runtime/test_runtime_contract.py).
    assert operations == {"GetItem", "Query", "TransactWriteItems"}


def test_there_is_no_dashboard_by_default(template: Template) -> None:
    assert resources(template, "AWS::CloudWatch::Dashboard") == {}


def test_thresholds_and_evaluation_follow_the_props(tuned: Synthesized) -> None:
    alarms = alarms_by_name(tuned.template)
    thresholds = {name: alarm["Threshold"] for name, alarm in alarms.items()}
    assert thresholds == {
        "ApiServerErrorRate": 0.05,
        "ApiLatencyP99": 1500,
        "FunctionErrors": 3,
        "FunctionThrottles": 10,
        "TableThrottledRequests": 25,
    }
    for alarm in alarms.values():
        assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 2)
        assert 300 in _periods(alarm)


def test_the_topic_hears_alarms_and_recoveries_and_other_actions_hear_alarms(
    tuned: Synthesized,
) -> None:
    topic = {"Ref": logical_id(tuned.template, "AWS::SNS::Topic")}
    hook = "arn:aws:lambda:us-east-1:123456789012:function:on-alarm"
    for alarm in alarms_by_name(tuned.template).values():
        assert alarm["AlarmActions"] == [topic, hook]
        assert alarm["OKActions"] == [topic]


def test_the_dashboard_shows_every_alarm(tuned: Synthesized) -> None:
    (dashboard,) = resources(tuned.template, "AWS::CloudWatch::Dashboard").values()
    assert "DashboardName" not in dashboard["Properties"]
    body = str(dashboard["Properties"]["DashboardBody"])
    for lid in resources(tuned.template, ALARM):
        assert lid in body
    monitoring = tuned.service.monitoring
    assert monitoring.dashboard is not None
    assert set(monitoring.alarms) == set(ALARM_NAMES)


def test_alarms_can_be_turned_off_and_the_dashboard_kept() -> None:
    stack = new_stack()
    service = ServerlessCrudService(
        stack,
        "Items",
        tags=REQUIRED_TAGS,
        monitoring_props=ServiceMonitoringProps(alarms=False, dashboard=True),
    )
    template = Template.from_stack(stack)
    assert resources(template, ALARM) == {}
    assert len(resources(template, "AWS::CloudWatch::Dashboard")) == 1
    assert service.monitoring.alarms == {}
    assert service.monitoring.function_errors is None


def test_a_subclass_can_watch_more() -> None:
    class WatchedService(ServerlessCrudService):
        def create_monitoring(self, props: ServiceMonitoringProps) -> Any:
            monitoring = super().create_monitoring(props)
            cloudwatch.Alarm(
                monitoring,
                "ApiClientErrors",
                metric=self.api.rest_api.deployment_stage.metric_client_error(),
                threshold=0.5,
                evaluation_periods=1,
            )
            return monitoring

    stack = new_stack()
    WatchedService(stack, "Items", tags=REQUIRED_TAGS)
    ids = list(resources(Template.from_stack(stack), ALARM))
    assert len(ids) == 6
    assert any(lid.startswith("ItemsMonitoringApiClientErrors") for lid in ids)


def _periods(alarm: Resource) -> set[int]:
    if "Period" in alarm:
        return {alarm["Period"]}
    return {m["MetricStat"]["Period"] for m in alarm["Metrics"] if "MetricStat" in m}


INVALID: list[tuple[str, Callable[[], object], list[str]]] = [
    (
        "a rate given in percent",
        lambda: ServiceMonitoringProps(api_server_error_rate=5),
        ["ServiceMonitoringProps.api_server_error_rate", "from 0 to 1", "got 5"],
    ),
    (
        "a zero rate",
        lambda: ServiceMonitoringProps(api_server_error_rate=0),
        ["ServiceMonitoringProps.api_server_error_rate", "above 0"],
    ),
    (
        "a latency beyond API Gateway's timeout",
        lambda: ServiceMonitoringProps(api_latency_p99=Duration.seconds(30)),
        ["ServiceMonitoringProps.api_latency_p99", "29000 milliseconds", "got 30000"],
    ),
    (
        "no function errors",
        lambda: ServiceMonitoringProps(function_errors=0),
        ["ServiceMonitoringProps.function_errors", "at least 1", "got 0"],
    ),
    (
        "more datapoints than periods",
        lambda: ServiceMonitoringProps(evaluation_periods=2, datapoints_to_alarm=3),
        ["ServiceMonitoringProps.datapoints_to_alarm", "from 1 to 2", "got 3"],
    ),
    (
        "a period of seconds",
        lambda: ServiceMonitoringProps(period=Duration.seconds(30)),
        ["ServiceMonitoringProps.period", "whole number of minutes", "got 30 seconds"],
    ),
    (
        "an evaluation longer than a day",
        lambda: ServiceMonitoringProps(period=Duration.minutes(30), evaluation_periods=49),
        ["ServiceMonitoringProps.period times evaluation_periods", "1 day", "1800 seconds x 49"],
    ),
]


@pytest.mark.parametrize(
    ("build", "message_parts"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_monitoring_props_name_the_prop(
    build: Callable[[], object], message_parts: list[str]
) -> None:
    assert_value_error(build, message_parts)


def test_an_hour_long_period_may_look_back_a_week() -> None:
    props = ServiceMonitoringProps(period=Duration.hours(1), evaluation_periods=168)
    assert props.evaluation_periods == 168
