"""ServiceMonitoring: CloudWatch alarms, and optionally a dashboard, for the service.

The construct gathers the metrics it watches; the alarms on them, each with its threshold
and the description an alarm's reader acts on, are made in ``alarms.py``. They are plain
aws-cdk-lib ``cloudwatch.Alarm`` resources rather than cdk-monitoring-constructs': see the
README's "Alarms" section for the measured reasons.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_pipes as pipes_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_serverless_crud import defaults, validation
from cdk_serverless_crud.alarms import create_alarms

_MAX_LATENCY_MS = 29_000  # API Gateway's integration timeout: no answer takes longer
_ONE_DAY_SECONDS = 86_400
_SEVEN_DAYS_SECONDS = 7 * _ONE_DAY_SECONDS


@dataclass(frozen=True, kw_only=True)
class ServiceMonitoringProps:
    """Overrides for :class:`ServiceMonitoring`.

    Each alarm fires when its metric reaches its threshold in ``datapoints_to_alarm`` of
    ``evaluation_periods`` periods; periods without data count as healthy. Alarm and
    dashboard names are left to CloudFormation, so services never collide.
    """

    alarms: bool = True
    """Create the alarms.

    :default: True
    """

    api_server_error_rate: float = defaults.ALARM_API_SERVER_ERROR_RATE
    """The fraction of the stage's requests answered 5XX that raises the alarm, above 0
    and at most 1. The item service answers bad input with a 4xx, so a 5XX is a fault.

    :default: 0.01 (1 %)
    """

    api_latency_p99: Duration = defaults.ALARM_API_LATENCY_P99
    """The stage's p99 latency (API Gateway's ``Latency``, cache hits included) that raises
    the alarm, from 1 ms to 29 seconds.

    :default: Duration.seconds(2)
    """

    function_errors: int = defaults.ALARM_FUNCTION_ERRORS
    """Function errors per period that raise the alarm, at least 1. The handler answers
    every request, so an error is a timeout, a crash or an out-of-memory.

    :default: 1
    """

    function_throttles: int = defaults.ALARM_FUNCTION_THROTTLES
    """Throttled invocations per period that raise the alarm, at least 1.

    :default: 1
    """

    table_throttled_requests: int = defaults.ALARM_TABLE_THROTTLED_REQUESTS
    """Throttled table requests per period that raise the alarm, at least 1, summed over
    the operations the item service makes (GetItem, Query, TransactWriteItems).

    :default: 1
    """

    event_failures: int = defaults.ALARM_EVENT_FAILURES
    """With change events: failed pipe executions per period that raise the alarm, and
    the dead-letter queue depth that raises its own, at least 1.

    :default: 1
    """

    period: Duration = defaults.ALARM_PERIOD
    """The period each datapoint covers, a whole number of minutes.

    :default: Duration.minutes(1)
    """

    evaluation_periods: int = defaults.ALARM_EVALUATION_PERIODS
    """How many recent periods each alarm looks at, at least 1. With ``period`` at most a
    day (seven days for periods of an hour or more), as CloudWatch allows.

    :default: 5
    """

    datapoints_to_alarm: int = defaults.ALARM_DATAPOINTS_TO_ALARM
    """How many of those periods must breach, from 1 to ``evaluation_periods``.

    :default: 3
    """

    alarm_topic: sns.ITopic | None = None
    """An SNS topic told when an alarm fires and when it recovers.

    :default: None, no notification
    """

    alarm_actions: Sequence[cloudwatch.IAlarmAction] = ()
    """More actions taken when an alarm fires, such as a Lambda or Systems Manager action.

    :default: none
    """

    dashboard: bool = defaults.DASHBOARD
    """Create a CloudWatch dashboard of the service's metrics and alarms.

    :default: False
    """

    def __post_init__(self) -> None:
        validation.check_range(
            "ServiceMonitoringProps.api_server_error_rate", self.api_server_error_rate, 0, 1
        )
        if self.api_server_error_rate == 0:
            raise ValueError(
                "ServiceMonitoringProps.api_server_error_rate must be above 0 (a fraction such "
                "as 0.01 for 1 %); got 0."
            )
        if not self.api_latency_p99.is_unresolved():
            validation.check_range(
                "ServiceMonitoringProps.api_latency_p99",
                self.api_latency_p99.to_milliseconds(),
                1,
                _MAX_LATENCY_MS,
                "milliseconds",
            )
        for prop in (
            "function_errors",
            "function_throttles",
            "table_throttled_requests",
            "event_failures",
        ):
            validation.check_range(f"ServiceMonitoringProps.{prop}", getattr(self, prop), 1)
        self._check_evaluation()

    def _check_evaluation(self) -> None:
        validation.check_range(
            "ServiceMonitoringProps.evaluation_periods", self.evaluation_periods, 1
        )
        validation.check_range(
            "ServiceMonitoringProps.datapoints_to_alarm",
            self.datapoints_to_alarm,
            1,
            self.evaluation_periods,
        )
        if self.period.is_unresolved():
            return
        seconds = self.period.to_seconds()
        if seconds < 60 or seconds % 60:
            raise ValueError(
                "ServiceMonitoringProps.period must be a whole number of minutes (AWS "
                f"services publish these metrics every minute); got {seconds:g} seconds."
            )
        limit = _SEVEN_DAYS_SECONDS if seconds >= 3600 else _ONE_DAY_SECONDS
        if seconds * self.evaluation_periods > limit:
            raise ValueError(
                "ServiceMonitoringProps.period times evaluation_periods must be at most "
                f"{limit // _ONE_DAY_SECONDS} day(s), as CloudWatch allows; got "
                f"{seconds:g} seconds x {self.evaluation_periods}."
            )


class ServiceMonitoring(Construct):
    """CloudWatch alarms on the signals that say the service is failing its callers.

    - ``ApiServerErrorRate``: the stage's 5XX rate (``5XXError``, average);
    - ``ApiLatencyP99``: the stage's p99 ``Latency``;
    - ``FunctionErrors`` and ``FunctionThrottles``: the function's ``Errors`` and
      ``Throttles``;
    - ``TableThrottledRequests``: the table's ``ThrottledRequests`` for each operation
      the item service makes, missing data filled with 0 and summed.

    Watch one function and table with ``function`` and ``table``, or several with
    ``collections``: each pair gets its three alarms, named with its prefix
    (``OrdersFunctionErrors``), so an alarm says which collection fails.

    With change events, each of ``pipes`` gets ``{prefix}EventsFailed`` (the pipe's
    ``ExecutionFailed``: a batch that failed, to be retried or sent to the dead-letter
    queue) and ``dead_letter_queue`` gets ``EventsDeadLettered`` (its visible messages:
    changes that were never delivered, or whose cache refresh failed).

    The alarms are ``.alarms`` (by those names, empty with ``alarms=False``); those of the
    pair without a prefix are also attributes in snake case (``.api_server_error_rate``,
    ``.function_errors``...); the dashboard is ``.dashboard``, None unless asked for.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: apigateway.Stage,
        function: lambda_.IFunction | None = None,
        table: dynamodb.ITable | None = None,
        collections: Mapping[str, tuple[lambda_.IFunction, dynamodb.ITable]] | None = None,
        table_operations: Sequence[str] = defaults.ALARM_TABLE_OPERATIONS,
        pipes: Mapping[str, pipes_.CfnPipe] | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        props: ServiceMonitoringProps | None = None,
    ) -> None:
        """Create the alarms and, if asked, the dashboard.

        :param stage: the API stage to watch, such as ``rest_api.deployment_stage``.
        :param function: the function behind the API, with ``table``.
        :param table: the table the function reads and writes.
        :param collections: instead of ``function`` and ``table``: several pairs, by the
            prefix of their alarms' names (``""`` for none, ``"Orders"``...).
        :param table_operations: the DynamoDB operations whose throttles count.
            Default: GetItem, Query and TransactWriteItems, those of the item service.
        :param pipes: the change events' pipes, by the prefix of their alarms' names.
            Default: none.
        :param dead_letter_queue: the change events' dead-letter queue. Default: none.
        :param props: thresholds, actions and the dashboard.
            Default: ``ServiceMonitoringProps()``.
        """
        super().__init__(scope, construct_id)
        if not table_operations:
            raise ValueError(
                "table_operations must name at least one DynamoDB operation, such as "
                "'GetItem'; got none."
            )
        pairs = _watched(function, table, collections)
        self.props = props or ServiceMonitoringProps()
        period = self.props.period
        self.metrics: dict[str, cloudwatch.IMetric] = {
            "ApiServerErrorRate": stage.metric_server_error(statistic="Average", period=period),
            "ApiLatencyP99": stage.metric_latency(statistic="p99", period=period),
        }
        for prefix, (watched_function, watched_table) in pairs.items():
            self.metrics |= {
                f"{prefix}FunctionErrors": watched_function.metric_errors(
                    statistic="Sum", period=period
                ),
                f"{prefix}FunctionThrottles": watched_function.metric_throttles(
                    statistic="Sum", period=period
                ),
                f"{prefix}TableThrottledRequests": _throttled_requests(
                    watched_table, table_operations, period
                ),
            }
        for prefix, pipe in (pipes or {}).items():
            self.metrics[f"{prefix}EventsFailed"] = cloudwatch.Metric(
                namespace="AWS/EventBridge/Pipes",
                metric_name="ExecutionFailed",
                dimensions_map={"PipeName": pipe.ref},
                statistic="Sum",
                period=period,
            )
        if dead_letter_queue is not None:
            self.metrics["EventsDeadLettered"] = (
                dead_letter_queue.metric_approximate_number_of_messages_visible(
                    statistic="Maximum", period=period
                )
            )
        self._prefixes = list(pairs)
        self._pipe_prefixes = list(pipes or {})
        self.alarms: dict[str, cloudwatch.Alarm] = (
            create_alarms(
                self,
                self.metrics,
                self.props,
                prefixes=self._prefixes,
                pipe_prefixes=self._pipe_prefixes,
            )
            if self.props.alarms
            else {}
        )
        self.api_server_error_rate = self.alarms.get("ApiServerErrorRate")
        # Of the pair without a prefix, the collection ``items``.
        self.api_latency_p99 = self.alarms.get("ApiLatencyP99")
        self.function_errors = self.alarms.get("FunctionErrors")
        self.function_throttles = self.alarms.get("FunctionThrottles")
        self.table_throttled_requests = self.alarms.get("TableThrottledRequests")
        self.dashboard = self._create_dashboard() if self.props.dashboard else None

    def _create_dashboard(self) -> cloudwatch.Dashboard:
        metrics = self.metrics
        graphs: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(title="API 5XX rate", left=[metrics["ApiServerErrorRate"]]),
            cloudwatch.GraphWidget(title="API latency p99", left=[metrics["ApiLatencyP99"]]),
        ]
        for prefix in self._prefixes:
            which = f" ({prefix})" if prefix else ""
            graphs += [
                cloudwatch.GraphWidget(
                    title=f"Function errors and throttles{which}",
                    left=[
                        metrics[f"{prefix}FunctionErrors"],
                        metrics[f"{prefix}FunctionThrottles"],
                    ],
                ),
                cloudwatch.GraphWidget(
                    title=f"Table throttled requests{which}",
                    left=[metrics[f"{prefix}TableThrottledRequests"]],
                ),
            ]
        dashboard = cloudwatch.Dashboard(self, "Dashboard")
        if self.alarms:
            dashboard.add_widgets(
                cloudwatch.AlarmStatusWidget(
                    title="Alarms", alarms=list(self.alarms.values()), width=24
                )
            )
        dashboard.add_widgets(*graphs)  # six columns each: one row of four
        return dashboard


def _watched(
    function: lambda_.IFunction | None,
    table: dynamodb.ITable | None,
    collections: Mapping[str, tuple[lambda_.IFunction, dynamodb.ITable]] | None,
) -> Mapping[str, tuple[lambda_.IFunction, dynamodb.ITable]]:
    """The (function, table) pairs to watch, by prefix; exactly one way of naming them."""
    if collections is not None:
        if function is not None or table is not None:
            raise ValueError("pass function and table, or collections, not both.")
        if not collections:
            raise ValueError("collections must name at least one (function, table) pair.")
        return collections
    if function is None or table is None:
        raise ValueError("ServiceMonitoring needs function and table, or collections.")
    return {"": (function, table)}


def _throttled_requests(
    table: dynamodb.ITable, operations: Sequence[str], period: Duration
) -> cloudwatch.MathExpression:
    """Throttled requests summed over ``operations``.

    DynamoDB publishes ``ThrottledRequests`` per operation, and only when throttling
    happens. A plain sum of the series (as aws-cdk-lib's
    ``metric_throttled_requests_for_operations`` builds it) has no value in a minute
    where one operation had no throttles, so the alarm would never see it; each series
    is filled with 0 first.
    """
    using = {
        operation.lower(): cloudwatch.Metric(
            namespace="AWS/DynamoDB",
            metric_name="ThrottledRequests",
            dimensions_map={"TableName": table.table_name, "Operation": operation},
            statistic="Sum",
            period=period,
        )
        for operation in operations
    }
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({name}, 0)" for name in using),
        using_metrics=using,
        label="Throttled requests",
        period=period,
    )
