"""Optional hardening: a customer-managed KMS key, a WAF web ACL, reserved concurrency and
CORS, each a prop; and their validation."""

from collections.abc import Callable

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from cdk_serverless_crud import (
    CachedRestApiProps,
    CorsProps,
    ServerlessCrudService,
    TaggedFunctionProps,
    TimeSeriesTableProps,
)
from cdk_serverless_crud.gateway_responses import GATEWAY_ERRORS

from .helpers import (
    REQUIRED_TAGS,
    Resource,
    assert_value_error,
    get_att,
    logical_id,
    methods_by_route,
    new_stack,
    policy_statements,
    props,
    resources,
    store_bucket,
)

WEB_ACL = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/items/0123-abcd"
ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def hardened_stack() -> Stack:
    """A service with every optional hardening prop set."""
    stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    ServerlessCrudService(
        stack,
        "Items",
        tags=REQUIRED_TAGS,
        encryption_key=key,
        function_props=TaggedFunctionProps(reserved_concurrent_executions=25),
        api_props=CachedRestApiProps(
            web_acl_arn=WEB_ACL,
            cors=CorsProps(allow_origins=[ORIGIN], allow_credentials=True),
        ),
    )
    return stack


@pytest.fixture(scope="module")
def hardened(hardened_stack: Stack) -> Template:
    return Template.from_stack(hardened_stack)


def _key(template: Template) -> Resource:
    return get_att(logical_id(template, "AWS::KMS::Key"))


def test_the_key_encrypts_the_table_bucket_environment_and_log_groups(hardened: Template) -> None:
    key = _key(hardened)
    assert props(hardened, "AWS::DynamoDB::Table")["SSESpecification"] == {
        "KMSMasterKeyId": key,
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    encryption = store_bucket(hardened)["Properties"]["BucketEncryption"]
    (rule,) = encryption["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key
    assert props(hardened, "AWS::Lambda::Function")["KmsKeyArn"] == key
    log_groups = resources(hardened, "AWS::Logs::LogGroup").values()
    assert [group["Properties"]["KmsKeyId"] for group in log_groups] == [key, key]


def test_the_key_policy_lets_cloudwatch_logs_of_this_account_and_region_use_it(
    hardened: Template,
) -> None:
    statements = props(hardened, "AWS::KMS::Key")["KeyPolicy"]["Statement"]
    (logs,) = [s for s in statements if s.get("Sid") == "AllowCloudWatchLogsOfThisAccountAndRegion"]
    assert logs["Principal"] == {
        "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }
    assert "*" not in "".join(logs["Action"])
    (condition,) = logs["Condition"]["ArnLike"].values()
    assert condition["Fn::Join"][1][-1] == ":log-group:*"


def test_the_function_may_use_the_key_for_the_table_and_the_bucket(hardened: Template) -> None:
    role_id = props(hardened, "AWS::Lambda::Function")["Role"]["Fn::GetAtt"][0]
    key_actions = [
        statement["Action"]
        for statement in policy_statements(hardened, role_id)
        if statement["Resource"] == _key(hardened)
    ]
    assert key_actions == [
        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        ["kms:GenerateDataKey", "kms:Decrypt"],
    ]


def test_the_web_acl_is_associated_with_the_stage(hardened: Template) -> None:
    association = props(hardened, "AWS::WAFv2::WebACLAssociation")
    assert association["WebACLArn"] == WEB_ACL
    parts = association["ResourceArn"]["Fn::Join"][1]
    assert {"Ref": logical_id(hardened, "AWS::ApiGateway::Stage")} in parts
    assert {"Ref": logical_id(hardened, "AWS::ApiGateway::RestApi")} in parts


def test_reserved_concurrency_caps_the_function(hardened: Template) -> None:
    assert props(hardened, "AWS::Lambda::Function")["ReservedConcurrentExecutions"] == 25


def test_cors_preflights_answer_for_the_allowed_origin_without_authorization(
    hardened: Template,
) -> None:
    preflights = [
        m for route, m in methods_by_route(hardened).items() if route.startswith("OPTIONS")
    ]
    # the root, /items, /items/{id}, /versions, /versions/{timestamp}, /restore
    assert len(preflights) == 6
    for method in preflights:
        assert method["AuthorizationType"] == "NONE"
        (response,) = method["Integration"]["IntegrationResponses"]
        headers = response["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{ORIGIN}'"
        assert headers["method.response.header.Access-Control-Allow-Credentials"] == "'true'"
        assert headers["method.response.header.Access-Control-Allow-Methods"] == (
            "'OPTIONS,GET,POST,PUT,PATCH,DELETE'"
        )
        allowed = headers["method.response.header.Access-Control-Allow-Headers"]
        assert {"Content-Type", "If-Match", "Authorization", "X-Amz-Date"} <= set(
            allowed.strip("'").split(",")
        )


def test_api_gateway_errors_carry_the_cors_headers(hardened: Template) -> None:
    responses = [
        r["Properties"] for r in resources(hardened, "AWS::ApiGateway::GatewayResponse").values()
    ]
    assert {r["ResponseType"] for r in responses} == {
        e.response_type.response_type for e in GATEWAY_ERRORS
    }
    for response in responses:
        assert response["ResponseParameters"] == {
            "gatewayresponse.header.Access-Control-Allow-Origin": f"'{ORIGIN}'",
            "gatewayresponse.header.Vary": "'Origin'",
            "gatewayresponse.header.Access-Control-Allow-Credentials": "'true'",
        }


def test_cors_is_off_by_default(template: Template) -> None:
    assert [route for route in methods_by_route(template) if route.startswith("OPTIONS")] == []


def test_an_imported_key_is_used_with_a_warning_about_its_policy() -> None:
    stack = new_stack()
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    )
    ServerlessCrudService(stack, "Items", tags=REQUIRED_TAGS, encryption_key=key)
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("must allow logs\\..*\\.amazonaws\\.com")
    )
    assert {w.id for w in warnings} == {"/Test/Items/Function", "/Test/Items/Api"}


def _two_keys() -> object:
    stack = new_stack()
    return ServerlessCrudService(
        stack,
        "Items",
        tags=REQUIRED_TAGS,
        encryption_key=kms.Key(stack, "A"),
        table_props=TimeSeriesTableProps(encryption_key=kms.Key(stack, "B")),
    )


INVALID: list[tuple[str, Callable[[], object], list[str]]] = [
    (
        "a wildcard origin with credentials",
        lambda: CorsProps(allow_origins=["*"], allow_credentials=True),
        ["CorsProps.allow_origins", "['*']", "allow_credentials=True", "List the origins"],
    ),
    (
        "a wildcard among origins",
        lambda: CorsProps(allow_origins=["*", ORIGIN]),
        ["CorsProps.allow_origins", "['*'] alone", ORIGIN],
    ),
    (
        "no origin",
        lambda: CorsProps(allow_origins=[]),
        ["CorsProps.allow_origins", "at least one origin", "got []"],
    ),
    (
        "an origin with a path",
        lambda: CorsProps(allow_origins=["https://app.example.com/login"]),
        ["CorsProps.allow_origins", "no path", "'https://app.example.com/login'"],
    ),
    (
        "a preflight cached for a day",
        lambda: CorsProps(allow_origins=[ORIGIN], max_age=Duration.days(1)),
        ["CorsProps.max_age", "from 0 to 7200", "got 86400 seconds"],
    ),
    (
        "a CloudFront web ACL",
        lambda: CachedRestApiProps(
            web_acl_arn="arn:aws:wafv2:us-east-1:123456789012:global/webacl/items/0123"
        ),
        ["CachedRestApiProps.web_acl_arn", "regional WAFv2 web ACL", "global/webacl"],
    ),
    (
        "no reserved concurrency at all",
        lambda: TaggedFunctionProps(reserved_concurrent_executions=0),
        ["TaggedFunctionProps.reserved_concurrent_executions", "at least 1", "got 0"],
    ),
    (
        "two different keys",
        _two_keys,
        ["encryption_key and TimeSeriesTableProps.encryption_key name different keys"],
    ),
]


@pytest.mark.parametrize(
    ("build", "message_parts"),
    [pytest.param(build, parts, id=case) for case, build, parts in INVALID],
)
def test_invalid_hardening_props_fail_with_a_clear_message(
    build: Callable[[], object], message_parts: list[str]
) -> None:
    assert_value_error(build, message_parts)
