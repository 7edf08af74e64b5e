"""How local mode renders the answers API Gateway gives itself, from the example template."""

from __future__ import annotations

import json

import pytest

from cdk_serverless_crud.local.mocks import (
    GatewayResponse,
    GatewayResponses,
    check_template,
    read_mock,
    render,
)
from cdk_serverless_crud.local.template import ApiSpec, TemplateError


def test_context_variables_are_rendered_and_unknown_ones_are_empty() -> None:
    template = '{"m": "$context.httpMethod", "id": "${context.requestId}", "x": "$context.nope"}'
    assert json.loads(render(template, {"httpMethod": "PATCH", "requestId": "r1"})) == {
        "m": "PATCH",
        "id": "r1",
        "x": "",
    }
    assert render("method $context.httpMethod.", {"httpMethod": "PUT"}) == b"method PUT."


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ('#set($x = 1){"a": $x}', "Velocity directives"),
        ('#if($context.httpMethod == "GET")a#end', "Velocity directives"),
        ('{"body": $input.json("$")}', "reads $input.json"),
        ('{"x": "$util.escapeJavaScript($context.path)"}', "reads $util.escapeJavaScript"),
    ],
)
def test_templates_local_mode_cannot_render_are_refused(template: str, reason: str) -> None:
    with pytest.raises(TemplateError, match=reason.replace("$", r"\$")):
        check_template("ANY /items", template)


def test_the_example_template_has_a_405_mock_per_path(api: ApiSpec) -> None:
    allow = {m.resource_path: dict(m.headers)["Allow"] for m in api.mocks}
    assert allow == {
        "/items": "GET, POST",
        "/items/{id}": "DELETE, GET, PATCH, PUT",
        "/items/{id}/versions": "GET",
        "/items/{id}/versions/{timestamp}": "GET",
        "/items/{id}/restore": "POST",
    }
    assert {(m.http_method, m.status, m.authorization_type) for m in api.mocks} == {
        ("ANY", 405, "AWS_IAM")
    }


def test_a_mock_with_a_selection_pattern_is_refused() -> None:
    props = {
        "HttpMethod": "ANY",
        "Integration": {
            "Type": "MOCK",
            "IntegrationResponses": [{"StatusCode": "405", "SelectionPattern": "4\\d{2}"}],
        },
    }
    with pytest.raises(TemplateError, match="no selection pattern"):
        read_mock("/items", props)


def test_gateway_responses_fall_back_to_the_defaults_then_to_api_gateways() -> None:
    default = GatewayResponse(
        None, (("X-Default", "1"),), '{"code": "$context.error.responseType"}'
    )
    responses = GatewayResponses({"DEFAULT_4XX": default})
    status, headers, body = responses.answer("REQUEST_TOO_LARGE", {"requestId": "r"})
    assert (status, json.loads(body)) == (413, {"code": "REQUEST_TOO_LARGE"})
    assert ("X-Default", "1") in headers
    status, _, body = responses.answer("DEFAULT_5XX", {})
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})


def test_the_example_templates_gateway_responses_give_the_envelope(api: ApiSpec) -> None:
    for response_type, status, code in [
        ("MISSING_AUTHENTICATION_TOKEN", 403, "missing_authentication_token"),
        ("REQUEST_TOO_LARGE", 413, "payload_too_large"),
        ("INVALID_API_KEY", 403, "invalid_api_key"),
        ("INTEGRATION_TIMEOUT", 504, "integration_timeout"),
        ("DEFAULT_5XX", 502, "gateway_error"),
        ("BAD_REQUEST_BODY", 400, "invalid_body"),
    ]:
        answer = api.gateway_responses.answer(response_type, {"requestId": "r-1"})
        assert answer[0] == status, response_type
        error = json.loads(answer[2])["error"]
        assert (error["code"], error["request_id"]) == (code, "r-1")
