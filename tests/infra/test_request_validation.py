"""Request validation: API Gateway checks bodies and required parameters against models
generated from the packaged OpenAPI contract, before Lambda runs."""

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from cdk_serverless_crud.contract import openapi as contract

from .helpers import logical_id, methods_by_route, props, resources

CONTRACT = json.loads(contract.OPENAPI_PATH.read_text())


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


def test_the_model_is_the_contracts_item_data_schema_in_draft_4(template: Template) -> None:
    model = resources(template, "AWS::ApiGateway::Model")[_models(template)["ItemData"]][
        "Properties"
    ]
    item_data = CONTRACT["components"]["schemas"]["ItemData"]
    assert model["Name"] == "ItemData"
    assert model["ContentType"] == "application/json"
    assert model["Schema"] == {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "ItemData",
        **item_data,
    }
    assert model["Schema"]["type"] == "object"


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


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (
            {"type": "string", "nullable": True, "pattern": "^a$"},
            {"type": ["string", "null"], "pattern": "^a$"},
        ),
        (
            {"$ref": "#/components/schemas/ItemId"},
            CONTRACT["components"]["schemas"]["ItemId"],
        ),
        (
            {
                "type": "object",
                "properties": {"id": {"$ref": "#/components/schemas/ItemId"}},
                "example": {"id": "a"},
            },
            {"type": "object", "properties": {"id": CONTRACT["components"]["schemas"]["ItemId"]}},
        ),
        (
            {"oneOf": [{"$ref": "#/components/schemas/Timestamp"}, {"type": "boolean"}]},
            {"oneOf": [CONTRACT["components"]["schemas"]["Timestamp"], {"type": "boolean"}]},
        ),
    ],
    ids=["nullable", "reference", "nested-reference", "one-of"],
)
def test_openapi_schemas_become_draft_4(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    assert contract.draft_4(schema) == expected
