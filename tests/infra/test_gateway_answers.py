"""What API Gateway answers itself: 405 with Allow for a method a path lacks, and every
gateway response in the error envelope with the request id and, with CORS, its headers."""

import json
from collections import defaultdict
from typing import Any

import pytest
from aws_cdk.assertions import Template

from cdk_serverless_crud import (
    Authorization,
    CachedRestApiProps,
    CorsProps,
    ServerlessCrudService,
)
from cdk_serverless_crud.contract import openapi as contract
from cdk_serverless_crud.gateway_responses import GATEWAY_ERRORS

from .helpers import REQUIRED_TAGS, methods_by_route, new_stack, resources

ORIGIN = "https://app.example.com"


def _allowed_by_path() -> dict[str, list[str]]:
    allowed: dict[str, list[str]] = defaultdict(list)
    for path, verb in contract.operations():
        allowed[path].append(verb)
    return allowed


def _filled(template: str, message: str = "the message") -> Any:
    """A mapping template as API Gateway fills it in ($context values are strings)."""
    return json.loads(
        template.replace("$context.error.messageString", json.dumps(message))
        .replace("$context.requestId", "req-1")
        .replace("$context.httpMethod", "PATCH")
    )


@pytest.fixture(scope="module")
def cors_template() -> Template:
    stack = new_stack()
    cors = CorsProps(allow_origins=[ORIGIN])
    ServerlessCrudService(
        stack, "Items", tags=REQUIRED_TAGS, api_props=CachedRestApiProps(cors=cors)
    )
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def keyed_template() -> Template:
    stack = new_stack()
    ServerlessCrudService(
        stack, "Items", tags=REQUIRED_TAGS, authorization=Authorization.api_keys()
    )
    return Template.from_stack(stack)


def test_every_path_of_the_contract_answers_other_methods_with_405(template: Template) -> None:
    methods = methods_by_route(template)
    for path, verbs in _allowed_by_path().items():
        method = methods[f"ANY {path}"]
        integration = method["Integration"]
        assert integration["Type"] == "MOCK"
        assert "RequestTemplates" not in integration  # any body gets the default answer
        (response,) = integration["IntegrationResponses"]
        assert "SelectionPattern" not in response
        assert response["StatusCode"] == "405"
        allow = response["ResponseParameters"]["method.response.header.Allow"]
        assert allow == f"'{', '.join(sorted(verbs))}'"
        body = _filled(response["ResponseTemplates"]["application/json"])
        assert body == {
            "error": {
                "code": "method_not_allowed",
                "message": "method PATCH is not allowed here",
                "request_id": "req-1",
            }
        }
        (declared,) = method["MethodResponses"]
        assert declared["StatusCode"] == "405"
        assert declared["ResponseParameters"] == {"method.response.header.Allow": True}


def test_the_405_methods_carry_the_apis_authorization(
    template: Template, keyed_template: Template
) -> None:
    for route, method in methods_by_route(template).items():
        if route.startswith("ANY "):
            assert method["AuthorizationType"] == "AWS_IAM"
    keyed = [m for r, m in methods_by_route(keyed_template).items() if r.startswith("ANY ")]
    assert len(keyed) == len(_allowed_by_path())
    assert all(m["ApiKeyRequired"] is True for m in keyed)


def test_with_cors_the_405_allows_options_and_carries_the_cors_headers(
    cors_template: Template,
) -> None:
    methods = methods_by_route(cors_template)
    response = methods["ANY /items"]["Integration"]["IntegrationResponses"][0]
    parameters = response["ResponseParameters"]
    assert parameters["method.response.header.Allow"] == "'GET, OPTIONS, POST'"
    assert parameters["method.response.header.Access-Control-Allow-Origin"] == f"'{ORIGIN}'"
    declared = methods["ANY /items"]["MethodResponses"][0]["ResponseParameters"]
    assert set(declared) == set(parameters)


def _responses(template: Template) -> dict[str, Any]:
    return {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in resources(template, "AWS::ApiGateway::GatewayResponse").values()
    }


def test_every_answer_of_api_gateway_is_in_the_envelope_with_the_request_id(
    template: Template,
) -> None:
    responses = _responses(template)
    assert set(responses) >= {
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "MISSING_AUTHENTICATION_TOKEN",
        "ACCESS_DENIED",
        "REQUEST_TOO_LARGE",
        "THROTTLED",
        "QUOTA_EXCEEDED",
        "INTEGRATION_TIMEOUT",
        "BAD_REQUEST_BODY",
    }
    codes = set()
    for error in GATEWAY_ERRORS:
        response = responses[error.response_type.response_type]
        body = _filled(response["ResponseTemplates"]["application/json"])
        assert body == {
            "error": {"code": error.code, "message": "the message", "request_id": "req-1"}
        }
        codes.add(error.code)
    assert len(codes) == len(GATEWAY_ERRORS)  # each type its own code


def test_gateway_statuses_stay_api_gateways_except_validation(template: Template) -> None:
    statuses = {kind: r.get("StatusCode") for kind, r in _responses(template).items()}
    assert statuses.pop("BAD_REQUEST_BODY") == statuses.pop("BAD_REQUEST_PARAMETERS") == "400"
    assert set(statuses.values()) == {None}


def test_without_cors_gateway_answers_have_no_cors_headers(template: Template) -> None:
    assert all("ResponseParameters" not in r for r in _responses(template).values())


def test_every_gateway_code_is_in_the_contract() -> None:
    schema = contract.load()["components"]["schemas"]["Error"]
    described = schema["properties"]["error"]["properties"]["code"]["description"]
    for error in GATEWAY_ERRORS:
        assert error.code in described
    assert "method_not_allowed" in described
