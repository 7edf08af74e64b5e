"""The alarms of ``ServiceMonitoring``: what each one watches for, and whom it tells.

Each alarm has a spec, its threshold and the description its reader acts on (what
happened and where to look), written here in one place; every alarm fires at or above
its threshold in ``datapoints_to_alarm`` of ``evaluation_periods`` periods, treats
missing data as healthy, and tells the props' topic and actions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from constructs import Construct

if TYPE_CHECKING:
    from cdk_serverless_crud.monitoring import ServiceMonitoringProps

AlarmSpec = tuple[float, str]
"""An alarm's threshold and its description."""


def alarm_specs(
    props: ServiceMonitoringProps,
    *,
    prefixes: Sequence[str],
    pipe_prefixes: Sequence[str],
    dead_lettered: bool,
) -> dict[str, AlarmSpec]:
    """Each alarm's spec by its name, for the watched pairs and pipes, by their prefixes."""
    window = (
        f"in {props.datapoints_to_alarm} of {props.evaluation_periods} periods of "
        f"{props.period.to_human_string()}"
    )
    specs = {
        "ApiServerErrorRate": (
            props.api_server_error_rate,
            f"At least {props.api_server_error_rate * 100:g} % of the stage's requests were "
            f"answered 5XX {window}. Bad input gets a 4xx, so look for error_code in the "
            "function's logs and for throttling or timeouts.",
        ),
        "ApiLatencyP99": (
            props.api_latency_p99.to_milliseconds(),
            f"The stage's p99 latency reached {props.api_latency_p99.to_human_string()} "
            f"{window}. Check the function's duration and write contention (503).",
        ),
    }
    for prefix in prefixes:
        which = f" ({prefix})" if prefix else ""
        specs |= {
            f"{prefix}FunctionErrors": (
                props.function_errors,
                f"The function{which} failed at least {props.function_errors} time(s) per "
                f"period {window}: timeouts, crashes or out of memory, as every answer is "
                "handled.",
            ),
            f"{prefix}FunctionThrottles": (
                props.function_throttles,
                f"The function{which} was throttled at least {props.function_throttles} "
                f"time(s) per period {window}: raise its reserved concurrency or the "
                "account's limit.",
            ),
            f"{prefix}TableThrottledRequests": (
                props.table_throttled_requests,
                f"The table{which} throttled at least {props.table_throttled_requests} "
                f"request(s) per period {window}: once boto3's retries run out, callers get "
                "503 service_busy.",
            ),
        }
    for prefix in pipe_prefixes:
        which = f" ({prefix})" if prefix else ""
        specs[f"{prefix}EventsFailed"] = (
            props.event_failures,
            f"The change events' pipe{which} failed at least {props.event_failures} "
            f"execution(s) per period {window}: see its log group; records are retried, "
            "then sent to the dead-letter queue.",
        )
    if dead_lettered:
        specs["EventsDeadLettered"] = (
            props.event_failures,
            f"At least {props.event_failures} change(s) {window} could not be delivered "
            "as events, or refresh the cache, and wait in the dead-letter queue. A pipe's "
            "message names the stream record by shard and sequence number: read it within "
            "24 hours of the write (GetShardIterator AT_SEQUENCE_NUMBER, then "
            "GetRecords). A cache refresher's message is the event itself.",
        )
    return specs


def create_alarms(
    scope: Construct,
    metrics: Mapping[str, cloudwatch.IMetric],
    props: ServiceMonitoringProps,
    *,
    prefixes: Sequence[str],
    pipe_prefixes: Sequence[str],
) -> dict[str, cloudwatch.Alarm]:
    """An alarm in ``scope`` for each spec, on the metric of its name, by that name."""
    specs = alarm_specs(
        props,
        prefixes=prefixes,
        pipe_prefixes=pipe_prefixes,
        dead_lettered="EventsDeadLettered" in metrics,
    )
    alarms: dict[str, cloudwatch.Alarm] = {}
    for name, (threshold, description) in specs.items():
        alarm = cloudwatch.Alarm(
            scope,
            name,
            metric=metrics[name],
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=props.evaluation_periods,
            datapoints_to_alarm=props.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        if props.alarm_topic is not None:
            topic_action = cloudwatch_actions.SnsAction(props.alarm_topic)
            alarm.add_alarm_action(topic_action)
            alarm.add_ok_action(topic_action)
        if props.alarm_actions:
            alarm.add_alarm_action(*props.alarm_actions)
        alarms[name] = alarm
    return alarms
