"""TaggedFunction: runtime, logging, tracing, its role, its asset and its props."""

import py_compile
from pathlib import Path

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from cdk_serverless_crud import TaggedFunction, TaggedFunctionProps
from cdk_serverless_crud.function import RUNTIME_ASSET_PATH

from .helpers import design_variables, get_att, logical_id, only, props, resources, store_bucket_id

FUNCTION = "AWS::Lambda::Function"


def test_runtime_is_the_newest_python_and_runs_the_item_service(template: Template) -> None:
    function = props(template, FUNCTION)
    assert function["Runtime"] == "python3.14"
    assert function["Handler"] == "item_service.handler.handler"
    assert function["Architectures"] == ["arm64"]


def test_memory_and_timeout_are_explicit(template: Template) -> None:
    function = props(template, FUNCTION)
    assert function["MemorySize"] == 512
    assert function["Timeout"] == 10


def test_tracing_is_active(template: Template) -> None:
    assert props(template, FUNCTION)["TracingConfig"] == {"Mode": "Active"}


def test_logs_are_json_in_its_own_log_group_with_finite_retention(template: Template) -> None:
    log_groups = resources(template, "AWS::Logs::LogGroup")
    logging = props(template, FUNCTION)["LoggingConfig"]
    (log_group_id,) = logging["LogGroup"].values()
    assert logging == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": {"Ref": log_group_id},
    }
    assert log_groups[log_group_id]["Properties"]["RetentionInDays"] == 30
    assert "LogGroupName" not in log_groups[log_group_id]["Properties"]


def test_environment_follows_the_design(template: Template) -> None:
    assert props(template, FUNCTION)["Environment"] == {
        "Variables": {
            "COLLECTION": "items",
            "TABLE_NAME": {"Ref": logical_id(template, "AWS::DynamoDB::Table")},
            "LIST_INDEX_NAME": "latest-items",
            "BUCKET_NAME": {"Ref": store_bucket_id(template)},
            "OBJECT_PREFIX": "items/",
        }
    }


def test_environment_names_every_variable_the_design_always_sets(template: Template) -> None:
    always = {name for name, is_always in design_variables().items() if is_always}
    assert len(always) == 5
    assert set(props(template, FUNCTION)["Environment"]["Variables"]) == always


def test_role_has_no_managed_policies(template: Template) -> None:
    role_id = props(template, FUNCTION)["Role"]["Fn::GetAtt"][0]
    role = resources(template, "AWS::IAM::Role")[role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]


def test_function_name_is_generated(template: Template) -> None:
    assert "FunctionName" not in props(template, FUNCTION)


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cdk.out")


@pytest.fixture(scope="module")
def function_with_props(outdir: Path) -> Template:
    """A function on its own, with every prop set, synthesized after Python wrote byte-code
    into the runtime folder (as importing it does)."""
    for module in ("__init__.py", "item_service/__init__.py"):
        py_compile.compile(str(RUNTIME_ASSET_PATH / module))
    stack = Stack(App(outdir=str(outdir)), "Test")
    TaggedFunction(
        stack,
        "Function",
        props=TaggedFunctionProps(
            memory_size=1024,
            timeout=Duration.seconds(30),
            architecture=lambda_.Architecture.X86_64,
            log_retention=logs.RetentionDays.ONE_WEEK,
            application_log_level=lambda_.ApplicationLogLevel.DEBUG,
        ),
        environment={"GREETING": "hello"},
    )
    return Template.from_stack(stack)


def test_props_set_memory_timeout_architecture_and_logging(function_with_props: Template) -> None:
    function = props(function_with_props, FUNCTION)
    assert function["MemorySize"] == 1024
    assert function["Timeout"] == 30
    assert function["Architectures"] == ["x86_64"]
    assert function["LoggingConfig"]["ApplicationLogLevel"] == "DEBUG"
    assert function["Environment"] == {"Variables": {"GREETING": "hello"}}
    assert props(function_with_props, "AWS::Logs::LogGroup")["RetentionInDays"] == 7


def test_role_may_write_only_to_its_own_log_group_and_x_ray(function_with_props: Template) -> None:
    log_group_id = logical_id(function_with_props, "AWS::Logs::LogGroup")
    assert props(function_with_props, "AWS::IAM::Policy")["PolicyDocument"]["Statement"] == [
        {
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Effect": "Allow",
            "Resource": "*",
        },
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": get_att(log_group_id),
        },
    ]
    assert "ManagedPolicyArns" not in props(function_with_props, "AWS::IAM::Role")


def test_asset_is_the_runtime_folder_without_byte_code(
    function_with_props: Template, outdir: Path
) -> None:
    s3_key = props(function_with_props, FUNCTION)["Code"]["S3Key"]
    asset = outdir / f"asset.{s3_key.removesuffix('.zip')}"
    files = {path.relative_to(asset).as_posix() for path in asset.rglob("*")}
    assert "item_service/__init__.py" in files
    assert (RUNTIME_ASSET_PATH / "item_service" / "__pycache__").is_dir()
    assert not [name for name in files if "__pycache__" in name or name.endswith(".pyc")]


def test_code_and_handler_can_be_replaced() -> None:
    stack = Stack(App(), "Test")
    TaggedFunction(
        stack,
        "Function",
        code=lambda_.Code.from_inline("def main(event, context):\n    return {}\n"),
        handler="index.main",
    )
    function = only(Template.from_stack(stack), FUNCTION)["Properties"]
    assert function["Handler"] == "index.main"
    assert "ZipFile" in function["Code"]
