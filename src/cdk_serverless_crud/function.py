"""TaggedFunction: the Python Lambda function, with its own role and log group."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jsii
from aws_cdk import CfnResource, Duration, IResolvable, IResolveContext, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_serverless_crud import acknowledgments, defaults, log_groups, validation

RUNTIME_ASSET_PATH = Path(__file__).parent / "runtime"
"""The Lambda code of the item service; it ships inside this package."""

ITEM_SERVICE_HANDLER = "item_service.handler.handler"
"""The handler of the item service, relative to :data:`RUNTIME_ASSET_PATH`."""

ASSET_EXCLUDES = ("__pycache__", "*.pyc", ".*")
"""What a copy of the runtime leaves out: byte code and tool caches (``.mypy_cache``...)
change from run to run and would change the asset hash with them."""


@dataclass(frozen=True, kw_only=True)
class TaggedFunctionProps:
    """Overrides for :class:`TaggedFunction`.

    The runtime (Python 3.14), active X-Ray tracing, JSON logs and the role without
    AWS-managed policies are not optional.
    """

    memory_size: int = defaults.FUNCTION_MEMORY_SIZE_MB
    """Memory in MB, 128 to 10240; CPU grows with it.

    :default: 512
    """

    timeout: Duration = defaults.FUNCTION_TIMEOUT
    """How long one invocation may run, 1 to 900 seconds.

    :default: Duration.seconds(10)
    """

    architecture: lambda_.Architecture = defaults.FUNCTION_ARCHITECTURE
    """Instruction set; the item service is pure Python and runs on both.

    :default: Architecture.ARM_64
    """

    log_retention: logs.RetentionDays = defaults.FUNCTION_LOG_RETENTION
    """How long the function's log group keeps events; must be finite.

    :default: RetentionDays.ONE_MONTH
    """

    application_log_level: lambda_.ApplicationLogLevel = defaults.FUNCTION_APPLICATION_LOG_LEVEL
    """The lowest level of application log events Lambda sends to CloudWatch.

    :default: ApplicationLogLevel.INFO
    """

    reserved_concurrent_executions: int | None = defaults.FUNCTION_RESERVED_CONCURRENCY
    """Concurrent executions reserved for (and capped at) this function, at least 1.

    A cap protects the table and the account's other functions from a surge; the
    reservation is taken from the account's concurrency pool.

    :default: None, no reservation: the account's unreserved pool, with the stage's
        throttling as the bound
    """

    encryption_key: kms.IKey | None = None
    """A customer-managed KMS key for the function's log group and environment variables.

    Its key policy must let CloudWatch Logs use it; the function adds that statement to a
    key defined in this app.

    :default: None, CloudWatch Logs' own encryption and Lambda's AWS-managed key
    """

    def __post_init__(self) -> None:
        validation.check_range(
            "TaggedFunctionProps.memory_size", self.memory_size, 128, 10240, "MB"
        )
        if self.reserved_concurrent_executions is not None:
            validation.check_range(
                "TaggedFunctionProps.reserved_concurrent_executions",
                self.reserved_concurrent_executions,
                1,
            )
        validation.check_seconds("TaggedFunctionProps.timeout", self.timeout, 1, 900)
        validation.check_finite_retention("TaggedFunctionProps.log_retention", self.log_retention)


class TaggedFunction(Construct):
    """A Python Lambda function with its own least-privilege role and log group.

    The role (``.role``) has no AWS-managed policy: it may write to its own log group
    (``.log_group``) and send X-Ray traces, and callers add the rest with ``grant_*``
    methods. The function is ``.function``; by default it runs the item service that
    ships in this package. Tags applied to a scope with ``Tags.of`` reach the function,
    its role and its log group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: TaggedFunctionProps | None = None,
        environment: Mapping[str, str] | None = None,
        code: lambda_.Code | None = None,
        handler: str = ITEM_SERVICE_HANDLER,
    ) -> None:
        """Create the role, the log group and the function.

        :param props: overrides of the defaults. Default: ``TaggedFunctionProps()``.
        :param environment: environment variables of the function. Default: none.
        :param code: the function's code. Default: the item service in this package.
        :param handler: the handler within ``code``. Default: the item service's handler.
        """
        super().__init__(scope, construct_id)
        props = props or TaggedFunctionProps()
        self.role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Execution role of one function; no AWS-managed policies",
        )
        self.log_group = log_groups.encrypted_log_group(
            self,
            "LogGroup",
            retention=props.log_retention,
            encryption_key=props.encryption_key,
        )
        self.function = lambda_.Function(
            self,
            "Resource",
            runtime=defaults.FUNCTION_RUNTIME,
            code=code
            or lambda_.Code.from_asset(str(RUNTIME_ASSET_PATH), exclude=list(ASSET_EXCLUDES)),
            handler=handler,
            role=self.role,
            memory_size=props.memory_size,
            timeout=props.timeout,
            architecture=props.architecture,
            tracing=defaults.FUNCTION_TRACING,
            log_group=self.log_group,
            logging_format=defaults.FUNCTION_LOGGING_FORMAT,
            application_log_level_v2=props.application_log_level,
            system_log_level_v2=defaults.FUNCTION_SYSTEM_LOG_LEVEL,
            environment=dict(environment or {}),
            reserved_concurrent_executions=props.reserved_concurrent_executions,
            environment_encryption=props.encryption_key,
        )
        self.log_group.grant_write(self.role)
        # Active tracing adds the X-Ray statement to the role's default policy.
        policy = self.role.node.find_child("DefaultPolicy")
        acknowledgments.acknowledge(
            policy, "AwsSolutions-IAM5[Resource::*]", acknowledgments.XRAY_WILDCARD
        )
        cfn_function = cast(CfnResource, self.function.node.default_child)
        cfn_function.add_override(
            "DependsOn",
            _DependsOnExcept(cfn_function, cast(CfnResource, self.role.node.default_child)),
        )


@jsii.implements(IResolvable)
class _DependsOnExcept:
    """A resource's ``DependsOn`` without one resource it references anyway.

    aws-cdk-lib makes a function depend on its whole role: the role, which ``Role`` already
    references with ``Fn::GetAtt`` (cfn-lint W3005), and its default policy, which must be
    in place before the first invocation. Resolved at synthesis, so dependencies added
    later are kept.
    """

    def __init__(self, resource: CfnResource, referenced: CfnResource) -> None:
        self._resource = resource
        self._referenced = referenced.node.path

    @property
    def creation_stack(self) -> list[str]:
        return []

    def resolve(self, context: IResolveContext) -> Any:
        stack = Stack.of(self._resource).node.path
        dependencies = sorted(
            (
                dependency
                for dependency in self._resource.obtain_dependencies()
                if isinstance(dependency, CfnResource)
                and dependency.node.path != self._referenced
                and Stack.of(dependency).node.path == stack
            ),
            key=lambda dependency: dependency.node.path,
        )
        return [dependency.logical_id for dependency in dependencies] or None

    def to_string(self) -> str:
        return "DependsOn"
