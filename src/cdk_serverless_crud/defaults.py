"""Every default of the library, on one screen.

Values marked *fixed* are not props: they are what makes the service production-ready,
so the constructs always apply them. The others are the defaults of the props classes
(``VersionedStoreProps``, ``TimeSeriesTableProps``, ``TaggedFunctionProps``,
``CachedRestApiProps``, ``ServiceMonitoringProps``) and of ``ServerlessCrudService``.
"""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

# Tags every ServerlessCrudService must carry.
REQUIRED_TAG_KEYS = ("Environment", "Project", "Owner")
# No customer-managed KMS key: AWS-managed keys for DynamoDB and Lambda, CloudWatch Logs'
# own encryption, SSE-S3. ServerlessCrudService(encryption_key=...) sets one for all parts.
ENCRYPTION_KEY = None

# VersionedStore (S3)
BLOCK_PUBLIC_ACCESS = s3.BlockPublicAccess.BLOCK_ALL  # fixed
ENFORCE_SSL = True  # fixed
MINIMUM_TLS_VERSION = 1.2  # fixed
NONCURRENT_VERSION_EXPIRATION_DAYS = 90
ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS = 7  # fixed
STORE_REMOVAL_POLICY = RemovalPolicy.RETAIN
OBJECT_PREFIX = "items/"  # fixed by the runtime contract (docs/design.md)
# Server access logs go to a bucket the store creates, unless one is provided.
ACCESS_LOGS_PREFIX = "store/"  # fixed, partitioned by event date below it
ACCESS_LOGS_EXPIRATION_DAYS = 365  # fixed for the bucket the store creates

# TimeSeriesTable (DynamoDB)
TABLE_BILLING_MODE = dynamodb.BillingMode.PAY_PER_REQUEST  # fixed
TABLE_ENCRYPTION = dynamodb.TableEncryption.AWS_MANAGED  # CUSTOMER_MANAGED with a KMS key
POINT_IN_TIME_RECOVERY = True
DELETION_PROTECTION = True
TABLE_REMOVAL_POLICY = RemovalPolicy.RETAIN

# TaggedFunction (Lambda)
FUNCTION_RUNTIME = lambda_.Runtime.PYTHON_3_14  # fixed: the newest this aws-cdk-lib knows
FUNCTION_TRACING = lambda_.Tracing.ACTIVE  # fixed
FUNCTION_LOGGING_FORMAT = lambda_.LoggingFormat.JSON  # fixed
FUNCTION_SYSTEM_LOG_LEVEL = lambda_.SystemLogLevel.INFO  # fixed
FUNCTION_APPLICATION_LOG_LEVEL = lambda_.ApplicationLogLevel.INFO
FUNCTION_MEMORY_SIZE_MB = 512
FUNCTION_TIMEOUT = Duration.seconds(10)  # well below API Gateway's 29 s integration timeout
FUNCTION_ARCHITECTURE = lambda_.Architecture.ARM_64  # the runtime is pure Python
FUNCTION_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
FUNCTION_RESERVED_CONCURRENCY = None  # the account's unreserved pool; stage throttling bounds load

# CachedRestApi (API Gateway REST API)
ENDPOINT_TYPE = apigateway.EndpointType.REGIONAL  # fixed
STAGE_NAME = "prod"
CACHE_TTL = Duration.seconds(60)
CACHE_CLUSTER_SIZE = "0.5"  # GB
CACHE_DATA_ENCRYPTED = True  # fixed
EXECUTION_LOGGING_LEVEL = apigateway.MethodLoggingLevel.INFO  # fixed
DATA_TRACE_ENABLED = False  # fixed: full request and response bodies never reach the logs
METRICS_ENABLED = True  # fixed
API_TRACING_ENABLED = True  # fixed
THROTTLING_RATE_LIMIT = 100.0  # requests per second, stage-wide
THROTTLING_BURST_LIMIT = 200
ACCESS_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
CLOUD_WATCH_ROLE = True
WEB_ACL_ARN = None  # no WAF unless given one; see docs/security.md
CORS = None  # off: browsers from other origins cannot call the API

# Authorization (ServerlessCrudService(authorization=...))
# The default is Authorization.iam(): SigV4-signed requests, allowed by IAM policies.
COGNITO_MFA = cognito.Mfa.REQUIRED  # for the user pool the service creates
COGNITO_THREAT_PROTECTION = True  # Plus feature plan, full-function threat protection
COGNITO_PASSWORD_MIN_LENGTH = 14
COGNITO_TEMP_PASSWORD_VALIDITY = Duration.days(3)  # fixed
COGNITO_SELF_SIGN_UP = False  # fixed: an administrator invites users
COGNITO_REMOVAL_POLICY = RemovalPolicy.RETAIN
COGNITO_ACCESS_TOKEN_VALIDITY = Duration.hours(1)  # fixed, for the app client it creates
COGNITO_REFRESH_TOKEN_VALIDITY = Duration.days(30)  # fixed
API_KEY_QUOTA_LIMIT = 10_000  # requests per key per quota period
API_KEY_QUOTA_PERIOD = apigateway.Period.DAY
API_KEY_THROTTLING_RATE_LIMIT = 10.0  # requests per second, per key
API_KEY_THROTTLING_BURST_LIMIT = 20

# CORS (CachedRestApiProps(cors=CorsProps(...)))
CORS_ALLOW_HEADERS = (  # what the item service reads, plus what SigV4 and API keys send
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "Cache-Control",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
)
CORS_MAX_AGE = Duration.minutes(10)

# ServiceMonitoring (CloudWatch alarms): a breach in 3 of the last 5 minutes alarms
ALARM_API_SERVER_ERROR_RATE = 0.01  # 1 % of requests answered 5XX
ALARM_API_LATENCY_P99 = Duration.seconds(2)
ALARM_FUNCTION_ERRORS = 1  # per period; the handler answers every request it gets
ALARM_FUNCTION_THROTTLES = 1
ALARM_TABLE_THROTTLED_REQUESTS = 1
ALARM_EVENT_FAILURES = 1  # failed pipe executions, and changes in the dead-letter queue
ALARM_TABLE_OPERATIONS = ("GetItem", "Query", "TransactWriteItems")  # the runtime's calls
ALARM_PERIOD = Duration.minutes(1)
ALARM_EVALUATION_PERIODS = 5
ALARM_DATAPOINTS_TO_ALARM = 3
DASHBOARD = False
