"""Authorization: IAM by default with grants, Cognito, API keys, the opt-out, and cache keys
that keep one caller's cached answers from another."""

from collections.abc import Callable

import pytest
from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from cdk_serverless_crud import (
    Authorization,
    AuthorizationBinding,
    AuthorizationMode,
    CachedRestApi,
    ServerlessCrudService,
)

from .helpers import (
    REQUIRED_TAGS,
    Resource,
    assert_value_error,
    join,
    logical_id,
    methods_by_route,
    new_stack,
    only,
    policy_statements,
    props,
    resources,
)

GETS = (
    "GET /items",
    "GET /items/{id}",
    "GET /items/{id}/versions",
    "GET /items/{id}/versions/{timestamp}",
)


def _execute_api(template: Template, verb_and_path: str) -> Resource:
    api_id = logical_id(template, "AWS::ApiGateway::RestApi")
    return join(
        "arn:",
        {"Ref": "AWS::Partition"},
        ":execute-api:",
        {"Ref": "AWS::Region"},
        ":",
        {"Ref": "AWS::AccountId"},
        ":",
        {"Ref": api_id},
        f"/prod/{verb_and_path}",
    )


@pytest.fixture(scope="module")
def granted() -> Template:
    """The default service, with a reader and a writer role granted access."""
    stack = new_stack()
    service = ServerlessCrudService(stack, "Items", tags=REQUIRED_TAGS)
    principal = iam.AccountRootPrincipal()
    service.grant_invoke_read(iam.Role(stack, "Reader", assumed_by=principal))
    service.grant_invoke_read_write(iam.Role(stack, "Writer", assumed_by=principal))
    service.grant_invalidate_cache(iam.Role(stack, "Refresher", assumed_by=principal))
    return Template.from_stack(stack)


def _role_statements(template: Template, prefix: str) -> list[Resource]:
    (role_id,) = [r for r in resources(template, "AWS::IAM::Role") if r.startswith(prefix)]
    return policy_statements(template, role_id)


def test_every_method_requires_aws_iam_by_default(template: Template) -> None:
    methods = methods_by_route(template)
    assert len(methods) == 9 + 5  # the routes, and an ANY (405) per path
    assert {m["AuthorizationType"] for m in methods.values()} == {"AWS_IAM"}
    assert resources(template, "AWS::ApiGateway::Authorizer") == {}


def test_iam_callers_share_cached_answers_because_authorization_runs_first(
    template: Template,
) -> None:
    # A SigV4 Authorization header changes with every request: keying on it would turn
    # the cache off. API Gateway checks IAM before the cache answers.
    for route in GETS:
        keys = methods_by_route(template)[route]["Integration"]["CacheKeyParameters"]
        assert not [key for key in keys if key.startswith("method.request.header.")]


def test_grant_invoke_read_allows_exactly_the_gets_of_the_stage(granted: Template) -> None:
    assert _role_statements(granted, "Reader") == [
        {
            "Action": "execute-api:Invoke",
            "Effect": "Allow",
            "Resource": [
                _execute_api(granted, "GET/items"),
                _execute_api(granted, "GET/items/*"),
                _execute_api(granted, "GET/items/*/versions"),
                _execute_api(granted, "GET/items/*/versions/*"),
            ],
        }
    ]


def test_grant_invoke_read_write_adds_post_put_patch_delete_and_restore(granted: Template) -> None:
    (statement,) = _role_statements(granted, "Writer")
    assert statement["Action"] == "execute-api:Invoke"
    assert sorted(map(str, statement["Resource"])) == sorted(
        str(_execute_api(granted, route))
        for route in (
            "GET/items",
            "POST/items",
            "GET/items/*",
            "PUT/items/*",
            "PATCH/items/*",
            "DELETE/items/*",
            "GET/items/*/versions",
            "GET/items/*/versions/*",
            "POST/items/*/restore",
        )
    )


def test_grant_invalidate_cache_allows_fresh_answers_from_the_gets(granted: Template) -> None:
    assert _role_statements(granted, "Refresher") == [
        {
            "Action": "execute-api:InvalidateCache",
            "Effect": "Allow",
            "Resource": [
                _execute_api(granted, "GET/items"),
                _execute_api(granted, "GET/items/*"),
                _execute_api(granted, "GET/items/*/versions"),
                _execute_api(granted, "GET/items/*/versions/*"),
            ],
        }
    ]


@pytest.fixture(scope="module")
def stacks() -> dict[str, Stack]:
    """One service per authorization mode, each in its own stack of one app."""
    stack = new_stack("Cognito")
    app = stack.node.root
    cognito_service = ServerlessCrudService(
        stack, "Items", tags=REQUIRED_TAGS, authorization=Authorization.cognito()
    )
    existing = Stack(app, "Existing")
    pool = cognito.UserPool.from_user_pool_id(existing, "Pool", "eu-west-1_abcdefghi")
    ServerlessCrudService(
        existing,
        "Items",
        tags=REQUIRED_TAGS,
        authorization=Authorization.cognito(pool, scopes=["items/read"]),
    )
    keys = Stack(app, "Keys")
    key_service = ServerlessCrudService(
        keys,
        "Items",
        tags=REQUIRED_TAGS,
        authorization=Authorization.api_keys(
            quota_limit=500,
            quota_period=apigateway.Period.WEEK,
            throttling_rate_limit=5,
            throttling_burst_limit=7,
        ),
    )
    key_service.api.add_api_key("PartnerA")
    public = Stack(app, "Public")
    ServerlessCrudService(public, "Items", tags=REQUIRED_TAGS, authorization=Authorization.none())
    assert cognito_service.api.user_pool_client is not None
    return {"cognito": stack, "existing": existing, "keys": keys, "public": public}


@pytest.fixture(scope="module")
def modes(stacks: dict[str, Stack]) -> dict[str, Template]:
    return {name: Template.from_stack(stack) for name, stack in stacks.items()}


def test_cognito_authorizes_every_method_with_the_created_user_pool(
    modes: dict[str, Template],
) -> None:
    template = modes["cognito"]
    authorizer = props(template, "AWS::ApiGateway::Authorizer")
    pool_id = logical_id(template, "AWS::Cognito::UserPool")
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["IdentitySource"] == "method.request.header.Authorization"
    assert authorizer["ProviderARNs"] == [{"Fn::GetAtt": [pool_id, "Arn"]}]
    authorizer_ref = {"Ref": logical_id(template, "AWS::ApiGateway::Authorizer")}
    for method in methods_by_route(template).values():
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert method["AuthorizerId"] == authorizer_ref


def test_the_created_user_pool_is_invitation_only_with_mfa_and_threat_protection(
    modes: dict[str, Template],
) -> None:
    pool = only(modes["cognito"], "AWS::Cognito::UserPool")
    properties = pool["Properties"]
    assert properties["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert properties["MfaConfiguration"] == "ON"
    assert properties["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert properties["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 14,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "RequireUppercase": True,
        "TemporaryPasswordValidityDays": 3,
    }
    assert properties["UserPoolTier"] == "PLUS"
    assert properties["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert properties["DeletionProtection"] == "ACTIVE"
    assert properties["AccountRecoverySetting"] == {
        "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
    }
    assert pool["DeletionPolicy"] == "Retain"


def test_the_created_app_client_uses_srp_without_secret_or_oauth(
    modes: dict[str, Template],
) -> None:
    client = props(modes["cognito"], "AWS::Cognito::UserPoolClient")
    assert client["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlowsUserPoolClient"] is False
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True
    assert client["AccessTokenValidity"] == client["IdTokenValidity"] == 60


def test_an_existing_user_pool_is_used_as_is_with_the_scopes(modes: dict[str, Template]) -> None:
    template = modes["existing"]
    assert resources(template, "AWS::Cognito::UserPool") == {}
    (arn,) = props(template, "AWS::ApiGateway::Authorizer")["ProviderARNs"]
    assert arn["Fn::Join"][1][-1] == ":userpool/eu-west-1_abcdefghi"
    for method in methods_by_route(template).values():
        assert method["AuthorizationScopes"] == ["items/read"]


@pytest.mark.parametrize(
    ("mode", "caller_key"),
    [
        ("cognito", "method.request.header.Authorization"),
        ("existing", "method.request.header.Authorization"),
        ("keys", "method.request.header.x-api-key"),
    ],
)
def test_cached_answers_are_keyed_per_caller(
    modes: dict[str, Template], mode: str, caller_key: str
) -> None:
    methods = methods_by_route(modes[mode])
    for route in GETS:
        assert caller_key in methods[route]["Integration"]["CacheKeyParameters"]
        assert methods[route]["RequestParameters"][caller_key] is False


def test_api_keys_are_required_and_metered_by_the_usage_plan(modes: dict[str, Template]) -> None:
    template = modes["keys"]
    for method in methods_by_route(template).values():
        assert method["ApiKeyRequired"] is True
        assert method["AuthorizationType"] == "NONE"
    plan = props(template, "AWS::ApiGateway::UsagePlan")
    assert plan["Quota"] == {"Limit": 500, "Period": "WEEK"}
    assert plan["Throttle"] == {"RateLimit": 5, "BurstLimit": 7}
    (stage,) = plan["ApiStages"]
    assert stage["Stage"] == {"Ref": logical_id(template, "AWS::ApiGateway::Stage")}
    assert props(template, "AWS::ApiGateway::ApiKey")["Enabled"] is True
    plan_key = props(template, "AWS::ApiGateway::UsagePlanKey")
    assert plan_key["KeyId"] == {"Ref": logical_id(template, "AWS::ApiGateway::ApiKey")}


def test_no_authorization_is_explicit_and_warned_about(
    modes: dict[str, Template], stacks: dict[str, Stack]
) -> None:
    for method in methods_by_route(modes["public"]).values():
        assert method["AuthorizationType"] == "NONE"
        assert method.get("ApiKeyRequired") in (None, False)
    warnings = Annotations.from_stack(stacks["public"]).find_warning(
        "*", Match.string_like_regexp(r"Authorization\.none\(\): anyone")
    )
    assert len(warnings) == 1


def _granting(build: Callable[[Stack], CachedRestApi]) -> Callable[[], object]:
    def grant() -> object:
        stack = new_stack()
        api = build(stack)
        return api.grant_invoke_read(iam.Role(stack, "R", assumed_by=iam.AccountRootPrincipal()))

    return grant


INVALID: list[tuple[str, Callable[[], object], list[str]]] = [
    (
        "MFA turned off",
        lambda: Authorization.cognito(mfa=cognito.Mfa.OFF),
        ["Authorization.cognito(mfa=...)", "Mfa.REQUIRED or Mfa.OPTIONAL", "OFF"],
    ),
    (
        "pool settings for an existing pool",
        lambda: Authorization.cognito(
            cognito.UserPool.from_user_pool_id(new_stack(), "P", "eu-west-1_x"),
            threat_protection=False,
        ),
        ["Authorization.cognito(threat_protection=...)", "existing user_pool", "False"],
    ),
    (
        "scopes without a user pool",
        lambda: Authorization.cognito(scopes=["items/read"]),
        ["Authorization.cognito(scopes=...)", "your own user_pool", "['items/read']"],
    ),
    (
        "a scope with a space",
        lambda: Authorization.cognito(
            cognito.UserPool.from_user_pool_id(new_stack(), "P", "eu-west-1_x"),
            scopes=["items read"],
        ),
        ["Authorization.cognito(scopes=...)", "OAuth scope", "'items read'"],
    ),
    (
        "an API key quota of zero",
        lambda: Authorization.api_keys(quota_limit=0),
        ["Authorization.api_keys(quota_limit=...)", "at least 1", "got 0"],
    ),
    (
        "a negative API key rate",
        lambda: Authorization.api_keys(throttling_rate_limit=-1),
        ["Authorization.api_keys(throttling_rate_limit=...)", "at least 0", "got -1"],
    ),
    (
        "an IAM grant on an API with API keys",
        _granting(lambda s: CachedRestApi(s, "Api", authorization=Authorization.api_keys())),
        ["execute-api:Invoke grants need authorization=Authorization.iam()", "API_KEY"],
    ),
    (
        "an IAM grant before any route exists",
        _granting(lambda s: CachedRestApi(s, "Api")),
        ["execute-api:Invoke grants found no GET method", "add the routes first"],
    ),
    (
        "an API key without API key authorization",
        lambda: CachedRestApi(new_stack(), "Api").add_api_key("K"),
        ["add_api_key needs authorization=Authorization.api_keys()", "IAM"],
    ),
]


@pytest.mark.parametrize(
    ("build", "message_parts"),
    [pytest.param(build, parts, id=case) for case, build, parts in INVALID],
)
def test_invalid_authorization_fails_with_a_clear_message(
    build: Callable[[], object], message_parts: list[str]
) -> None:
    assert_value_error(build, message_parts)


def test_a_cached_get_without_the_caller_key_fails_synthesis() -> None:
    stack = new_stack()
    api = CachedRestApi(stack, "Api", authorization=Authorization.api_keys())
    handler = apigateway.MockIntegration()
    api.rest_api.root.add_resource("raw").add_method("GET", handler)
    with pytest.raises(
        RuntimeError, match=r"GET /raw is cached .* method\.request\.header\.x-api-key"
    ):
        Template.from_stack(stack)


_TOKEN_NOT_COGNITO = "A Lambda TOKEN authorizer checks the X-Token header."


class _TokenAuthorization(Authorization):
    """A mode the library does not ship: a Lambda TOKEN authorizer on ``X-Token``."""

    mode = AuthorizationMode.CUSTOM

    @property
    def caller_header(self) -> str:
        return "X-Token"

    def bind(self, scope: Construct) -> AuthorizationBinding:
        function = lambda_.Function.from_function_arn(
            scope, "AuthorizerFunction", "arn:aws:lambda:us-east-1:123456789012:function:auth"
        )
        authorizer = apigateway.TokenAuthorizer(
            scope,
            "Authorizer",
            handler=function,
            identity_source=apigateway.IdentitySource.header(self.caller_header),
        )
        return AuthorizationBinding(
            method_options=apigateway.MethodOptions(
                authorization_type=apigateway.AuthorizationType.CUSTOM, authorizer=authorizer
            ),
            caller_header=self.caller_header,
            acknowledgments={"AwsSolutions-COG4": _TOKEN_NOT_COGNITO},
            authorizer=authorizer,
        )


def test_a_mode_of_your_own_has_its_acknowledgments_on_every_method() -> None:
    stack = new_stack()
    ServerlessCrudService(stack, "Items", tags=REQUIRED_TAGS, authorization=_TokenAuthorization())
    Template.from_stack(stack)  # synthesis runs the aspects that acknowledge
    findings = [
        f"{violation.rule_name} at {resource.construct_path}"
        for violation in AwsSolutionsChecks().validate_scope(stack).violations
        for resource in violation.violating_resources
    ]
    assert [f for f in findings if "COG4" in f] == []


def test_a_mode_of_your_own_binds_without_changes_to_the_api() -> None:
    stack = new_stack()
    ServerlessCrudService(stack, "Items", tags=REQUIRED_TAGS, authorization=_TokenAuthorization())
    template = Template.from_stack(stack)
    authorizer = {"Ref": logical_id(template, "AWS::ApiGateway::Authorizer")}
    for route, method in methods_by_route(template).items():
        assert (method["AuthorizationType"], method["AuthorizerId"]) == ("CUSTOM", authorizer)
        if route.startswith("GET "):
            assert "method.request.header.X-Token" in method["Integration"]["CacheKeyParameters"]
