"""Baseline for the synth benchmark: the example app's resources, from aws-cdk-lib alone.

It declares, with plain aws-cdk-lib L2s and no import of cdk_serverless_crud, what
``example_app/app.py`` gets from ``ServerlessCrudService``: the same construct paths, so
the same logical IDs, and the same properties, so the same template. Like the example
app, it runs cdk-nag's AwsSolutions and Serverless checks on synth, and acknowledges the
findings the library acknowledges. The benchmark checks that the two templates match
before it reports a ratio; what is left is the library's own cost.

When the library's template changes, change this app to match (the smoke test in
tests/bench fails until it does).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import (
    Acknowledgment,
    ArnFormat,
    CfnOutput,
    CfnResource,
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
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import Construct, IConstruct

# The same Lambda code as the library's, read from the checkout (not imported).
RUNTIME = Path(__file__).resolve().parents[2] / "src" / "cdk_serverless_crud" / "runtime"
OBJECT_PREFIX = "items/"
LIST_INDEX = "latest-items"
JSON = "application/json"
# The body model of POST and PUT (the contract's ItemData schema, as JSON Schema draft 4).
ITEM_DATA_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "ItemData",
    "type": "object",
    "description": (
        "Any JSON object, returned exactly as sent. DynamoDB's limits apply: at most 32 "
        "levels of nesting (the object itself is level 1), keys of 1 byte to 64 KB, numbers "
        "with at most 38 significant digits between 1E-130 and 9.9E+125 in magnitude, no "
        "NaN or Infinity, valid Unicode."
    ),
    "additionalProperties": True,
}


def acknowledge(scope: IConstruct, *rule_ids: str) -> None:
    """Acknowledge cdk-nag findings the example app's checks would fail on, as the library does.

    The findings and the resources that have them are the library's (docs/security.md);
    the acknowledgments do not change the template.
    """
    child = scope.node.default_child
    target = child if isinstance(child, CfnResource) else scope
    for rule_id in rule_ids:
        Validations.of(target).acknowledge(
            Acknowledgment(id=rule_id, reason="Acknowledged as the library does.")
        )


def build_stack(app: cdk.App) -> Stack:
    """The baseline stack, with the example app's stack id, description and tags."""
    stack = Stack(
        app,
        "ServerlessCrudExample",
        description="Example deployment of cdk-serverless-crud's ServerlessCrudService",
    )
    items = Construct(stack, "Items")
    bucket = _bucket(Construct(items, "Store"))
    table = _table(Construct(items, "Table"))
    function = _function(Construct(items, "Function"), bucket, table)
    rest_api = _rest_api(Construct(items, "Api"), function)
    _alarms(Construct(items, "Monitoring"), rest_api.deployment_stage, function, table)
    for output_id, value, description in (
        ("ApiUrl", rest_api.url, "URL of the API stage"),
        ("BucketName", bucket.bucket_name, "S3 bucket of large item bodies"),
        ("TableName", table.table_name, "DynamoDB table of the versions of items"),
        ("FunctionName", function.function_name, "Lambda function serving /items"),
    ):
        CfnOutput(items, output_id, value=value, description=description)
    tags = {
        "Environment": app.node.try_get_context("environment") or "dev",
        "Project": app.node.try_get_context("project") or "cdk-serverless-crud-example",
        "Owner": app.node.try_get_context("owner") or "platform-team",
    }
    for key, value in tags.items():
        Tags.of(items).add(key, value)
    return stack


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


def _table(scope: Construct) -> dynamodb.Table:
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
    )
    table.add_global_secondary_index(
        index_name=LIST_INDEX,
        partition_key=dynamodb.Attribute(name="listing", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
        projection_type=dynamodb.ProjectionType.ALL,
    )
    return table


def _function(scope: Construct, bucket: s3.Bucket, table: dynamodb.Table) -> lambda_.Function:
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
        code=lambda_.Code.from_asset(str(RUNTIME), exclude=["__pycache__", "*.pyc", ".*"]),
        handler="item_service.handler.handler",
        role=role,
        memory_size=512,
        timeout=Duration.seconds(10),
        architecture=lambda_.Architecture.ARM_64,
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
        system_log_level_v2=lambda_.SystemLogLevel.INFO,
        environment={
            "COLLECTION": "items",
            "TABLE_NAME": table.table_name,
            "LIST_INDEX_NAME": LIST_INDEX,
            "BUCKET_NAME": bucket.bucket_name,
            "OBJECT_PREFIX": OBJECT_PREFIX,
        },
    )
    log_group.grant_write(role)
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        resource_arns=[table.table_arn],
    )
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["dynamodb:Query"],
        resource_arns=[f"{table.table_arn}/index/{LIST_INDEX}"],
    )
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
        resource_arns=[bucket.arn_for_objects(f"{OBJECT_PREFIX}*")],
    )
    # The function needs its role's policy in place, not the role itself: the role is
    # referenced with Fn::GetAtt already.
    cfn_function = function.node.default_child
    policy = role.node.find_child("DefaultPolicy").node.default_child
    assert isinstance(cfn_function, CfnResource) and isinstance(policy, CfnResource)
    cfn_function.add_override("DependsOn", [policy.logical_id])
    acknowledge(
        role.node.find_child("DefaultPolicy"),
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::<ItemsStoreCB68F1EB.Arn>/items/*]",
    )
    acknowledge(function, "Serverless-LambdaDLQ")
    return function


def _rest_api(scope: Construct, function: lambda_.Function) -> apigateway.RestApi:
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
    for response_id, response_type, code in (
        ("BadRequestBody", apigateway.ResponseType.BAD_REQUEST_BODY, "invalid_body"),
        (
            "BadRequestParameters",
            apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
            "invalid_parameter",
        ),
    ):
        rest_api.add_gateway_response(
            response_id,
            type=response_type,
            status_code="400",
            templates={
                JSON: '{"error": {"code": "' + code + '", "message": $context.error.messageString}}'
            },
        )
    _cloud_watch_role(scope, rest_api)
    limit = "method.request.querystring.limit"
    cursor = "method.request.querystring.cursor"
    item_id = "method.request.path.id"
    if_match = "method.request.header.If-Match"
    routes: list[tuple[str, str, dict[str, bool]]] = [
        ("/items", "GET", {limit: False, cursor: False}),
        ("/items", "POST", {}),
        ("/items/{id}", "GET", {item_id: True}),
        ("/items/{id}", "PUT", {item_id: True, if_match: False}),
        ("/items/{id}", "DELETE", {item_id: True, if_match: False}),
        ("/items/{id}/versions", "GET", {item_id: True, limit: False, cursor: False}),
    ]
    item_data: apigateway.IModel | None = None
    # Resources are created as routes need them, in the library's order: what is added
    # to the API, in order, makes the deployment's logical ID.
    for path, verb, params in routes:
        resource = rest_api.root.resource_for_path(path)
        if verb in ("POST", "PUT") and item_data is None:
            item_data = _item_data_model(scope, rest_api)
        # GET answers are cached, keyed on every parameter the method reads.
        keys = list(params) if verb == "GET" else None
        method = resource.add_method(
            verb,
            apigateway.LambdaIntegration(function, cache_key_parameters=keys or None),
            request_parameters=params or None,
            request_validator=validator,
            request_models={JSON: item_data} if verb in ("POST", "PUT") and item_data else None,
        )
        acknowledge(method, "AwsSolutions-COG4")
    acknowledge(rest_api.deployment_stage, "AwsSolutions-APIG3")
    return rest_api


def _item_data_model(scope: Construct, rest_api: apigateway.RestApi) -> apigateway.IModel:
    """The body model, declared when the first route needs it, as the library does."""
    model = apigateway.CfnModel(
        scope,
        "ItemDataModel",
        rest_api_id=rest_api.rest_api_id,
        content_type=JSON,
        name="ItemData",
        description="ItemData, from the OpenAPI contract",
        schema=ITEM_DATA_SCHEMA,
    )
    assert rest_api.latest_deployment is not None
    rest_api.latest_deployment.add_to_logical_id(
        {"model": {"name": "ItemData", "schema": ITEM_DATA_SCHEMA}}
    )
    return apigateway.Model.from_model_name(scope, "ItemDataModelRef", model.ref)


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
    scope: Construct, stage: apigateway.Stage, function: lambda_.Function, table: dynamodb.Table
) -> None:
    minute = Duration.minutes(1)
    throttles = {
        operation.lower(): table.metric_throttled_requests_for_operation(
            operation, statistic="Sum", period=minute
        )
        for operation in ("GetItem", "Query", "TransactWriteItems")
    }
    alarms = {
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
        "FunctionErrors": (
            function.metric_errors(statistic="Sum", period=minute),
            1,
            f"The function failed at least 1 time(s) per period {_WINDOW}: timeouts, "
            "crashes or out of memory, as every answer is handled.",
        ),
        "FunctionThrottles": (
            function.metric_throttles(statistic="Sum", period=minute),
            1,
            f"The function was throttled at least 1 time(s) per period {_WINDOW}: raise its "
            "reserved concurrency or the account's limit.",
        ),
        "TableThrottledRequests": (
            cloudwatch.MathExpression(
                expression=" + ".join(f"FILL({name}, 0)" for name in throttles),
                using_metrics=throttles,
                label="Throttled requests",
                period=minute,
            ),
            1,
            f"The table throttled at least 1 request(s) per period {_WINDOW}: once boto3's "
            "retries run out, callers get 503 service_busy.",
        ),
    }
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


if __name__ == "__main__":
    app = cdk.App()
    # The example app's checks, so that both synths do the same work besides the library.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    build_stack(app)
    app.synth()
