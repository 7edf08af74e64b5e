"""Request validation: API Gateway checks required parameters and that a body is a JSON
object, before Lambda runs; the function checks the rest of a body and names every
failing field (issue 27)."""

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template
from jsonschema import Draft4Validator  # type: ignore[import-untyped]

from cdk_serverless_crud.contract import openapi as contract

from .helpers import logical_id, methods_by_route, props, resources


def test_one_validator_checks_bodies_and_parameters(template: Template) -> None:
    validator = props(template, "AWS::ApiGateway::RequestValidator")
    assert validator["ValidateRequestBody"] is True
    assert validator["ValidateRequestParameters"] is True


def test_every_route_of_the_contract_is_validated(template: Template) -> None:
    validator = {"Ref": logical_id(template, "AWS::ApiGateway::RequestValidator")}
    methods = methods_by_route(template)
    routes = {route for route in methods if not route.startswith("ANY ")}  # the 405 answers
    assert routes == {f"{verb} {path}" for path, verb in contract.operations()}
    for route in routes:
        assert methods[route]["RequestValidatorId"] == validator


@pytest.mark.parametrize(("path", "verb"), contract.operations())
def test_request_parameters_are_the_contracts(template: Template, path: str, verb: str) -> None:
    method = methods_by_route(template)[f"{verb} {path}"]
    declared = method.get("RequestParameters", {})
    expected = {
        "GET /items": {
            "method.request.querystring.limit": False,
            "method.request.querystring.cursor": False,
            "method.request.querystring.order": False,
        },
        "POST /items": {"method.request.header.Idempotency-Key": False},
        "GET /items/{id}": {
            "method.request.path.id": True,
            "method.request.querystring.as_of": False,
        },
        "PUT /items/{id}": {
            "method.request.path.id": True,
            "method.request.header.If-Match": False,
            "method.request.header.If-None-Match": False,
            "method.request.header.Idempotency-Key": False,
        },
        "PATCH /items/{id}": {
            "method.request.path.id": True,
            "method.request.header.If-Match": False,
            "method.request.header.Idempotency-Key": False,
        },
        "DELETE /items/{id}": {
            "method.request.path.id": True,
            "method.request.header.If-Match": False,
            "method.request.header.Idempotency-Key": False,
        },
        "GET /items/{id}/versions": {
            "method.request.path.id": True,
            "method.request.querystring.limit": False,
            "method.request.querystring.cursor": False,
        },
        "GET /items/{id}/versions/{timestamp}": {
            "method.request.path.id": True,
            "method.request.path.timestamp": True,
        },
        "POST /items/{id}/restore": {
            "method.request.path.id": True,
            "method.request.header.If-Match": False,
            "method.request.header.Idempotency-Key": False,
        },
    }
    assert declared == expected[f"{verb} {path}"]


def _models(template: Template) -> dict[str, str]:
    """The logical id of each request model, by name."""
    return {
        model["Properties"]["Name"]: logical_id
        for logical_id, model in resources(template, "AWS::ApiGateway::Model").items()
    }


def test_post_and_put_bodies_must_match_the_item_data_model(template: Template) -> None:
    models = _models(template)
    assert set(models) == {"ItemData", "MergePatch", "RestoreRequest"}
    for route, method in methods_by_route(template).items():
        declared = method.get("RequestModels")
        if route in ("POST /items", "PUT /items/{id}"):
            assert declared == {"application/json": {"Ref": models["ItemData"]}}
        elif route == "POST /items/{id}/restore":
            assert declared == {"application/json": {"Ref": models["RestoreRequest"]}}
        elif route == "PATCH /items/{id}":
            # Keyed by its own media type: API Gateway validates only a body of that type.
            assert declared == {"application/merge-patch+json": {"Ref": models["MergePatch"]}}
        else:
            assert declared is None


def _model_schemas(template: Template) -> dict[str, dict[str, Any]]:
    """The schema of each request model, by name."""
    return {
        model["Properties"]["Name"]: model["Properties"]["Schema"]
        for model in resources(template, "AWS::ApiGateway::Model").values()
    }


def test_every_model_asks_only_for_a_json_object(template: Template) -> None:
    # API Gateway's answer to a body its model refuses names no field, so a model checks
    # nothing the function checks: the restore's timestamp, too, is the function's.
    for name, schema in _model_schemas(template).items():
        assert schema == {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": name,
            "type": "object",
        }
    for model in resources(template, "AWS::ApiGateway::Model").values():
        assert model["Properties"]["ContentType"] == "application/json"


@pytest.mark.parametrize(
    "body",
    [
        {"timestamp": 1700000000000.0},  # draft 4's integer refuses it; the function does not
        {"timestamp": 1700000000000},
        {"timestamp": 0},  # refused by the function, which says why
        {"timestamp": "1700000000000"},
        {},
    ],
)
def test_the_restore_model_passes_every_object_to_the_function(
    template: Template, body: dict[str, Any]
) -> None:
    assert Draft4Validator(_model_schemas(template)["RestoreRequest"]).is_valid(body)


@pytest.mark.parametrize("body", [[], [{"a": 1}], "text", 1, 1.5, True, None])
def test_every_model_refuses_what_is_not_an_object(template: Template, body: Any) -> None:
    for schema in _model_schemas(template).values():
        assert not Draft4Validator(schema).is_valid(body)


def test_validation_errors_answer_in_the_item_services_error_shape(template: Template) -> None:
    responses = {
        response["ResponseType"]: response
        for response in (
            resource["Properties"]
            for resource in resources(template, "AWS::ApiGateway::GatewayResponse").values()
        )
    }
    for response_type, code in (
        ("BAD_REQUEST_BODY", "invalid_body"),
        ("BAD_REQUEST_PARAMETERS", "invalid_parameter"),
    ):
        response = responses[response_type]
        assert response["StatusCode"] == "400"
        body = response["ResponseTemplates"]["application/json"]
        # $context.error.messageString is a quoted JSON string once API Gateway fills it in.
        filled = json.loads(
            body.replace("$context.error.messageString", '"Invalid request body"').replace(
                "$context.requestId", "req-1"
            )
        )
        assert filled == {
            "error": {"code": code, "message": "Invalid request body", "request_id": "req-1"}
        }
