"""The API's one stage: its cache, logging, metrics, tracing and throttling."""

from aws_cdk import Duration, Token
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_logs as logs

from cdk_serverless_crud import defaults

CACHE_CLUSTER_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
"""The stage cache sizes API Gateway offers, in GB."""


def stage_options(
    *,
    stage_name: str,
    cache_ttl: Duration,
    cache_cluster_size: str,
    throttling_rate_limit: float,
    throttling_burst_limit: int,
    access_log_group: logs.ILogGroup,
) -> apigateway.StageOptions:
    """The stage: GET answers cached for ``cache_ttl``, logged, measured and traced.

    A ``cache_ttl`` of 0 turns caching off: no cache cluster is billed, and no method
    caches.
    """
    seconds = cache_ttl.to_seconds()
    caching = Token.is_unresolved(seconds) or seconds > 0
    return apigateway.StageOptions(
        stage_name=stage_name,
        cache_cluster_enabled=caching,
        cache_cluster_size=cache_cluster_size if caching else None,
        caching_enabled=caching,
        cache_ttl=cache_ttl if caching else None,
        cache_data_encrypted=defaults.CACHE_DATA_ENCRYPTED if caching else None,
        logging_level=defaults.EXECUTION_LOGGING_LEVEL,
        data_trace_enabled=defaults.DATA_TRACE_ENABLED,
        metrics_enabled=defaults.METRICS_ENABLED,
        tracing_enabled=defaults.API_TRACING_ENABLED,
        throttling_rate_limit=throttling_rate_limit,
        throttling_burst_limit=throttling_burst_limit,
        access_log_destination=apigateway.LogGroupLogDestination(access_log_group),
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
    )
