"""The service's OpenAPI document declares the authorization the service was built with."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_cognito as cognito
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from cdk_serverless_crud import Authorization, ServerlessCrudService

from .helpers import REQUIRED_TAGS, new_stack


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    """One service per authorization mode, each in its own stack of one app, by mode."""
    pools = new_stack("Pools")
    app = pools.node.root
    pool = cognito.UserPool.from_user_pool_id(pools, "Pool", "eu-west-1_abcdefghi")
    modes = {
        "iam": None,
        "cognito": Authorization.cognito(pool, scopes=["items/read"]),
        "api_keys": Authorization.api_keys(),
        "none": Authorization.none(),
    }
    return {
        name: ServerlessCrudService(
            Stack(app, name.title().replace("_", "")),
            "Items",
            tags=REQUIRED_TAGS,
            authorization=authorization,
        ).openapi_document
        for name, authorization in modes.items()
    }


@pytest.mark.parametrize(
    ("mode", "schemes", "security"),
    [
        (
            "iam",
            {
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                }
            },
            [{"sigv4": []}],
        ),
        (
            "cognito",
            {
                "cognito": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "cognito_user_pools",
                }
            },
            [{"cognito": ["items/read"]}],
        ),
        (
            "api_keys",
            {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
            [{"api_key": []}],
        ),
        ("none", None, None),
    ],
)
def test_each_mode_declares_its_scheme_as_api_gateway_exports_it(
    documents: dict[str, dict[str, Any]],
    mode: str,
    schemes: dict[str, Any] | None,
    security: list[dict[str, list[str]]] | None,
) -> None:
    document = documents[mode]

    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["components"].get("securitySchemes") == schemes
    assert document.get("security") == security
    assert "declares no security scheme" not in document["info"]["description"]


def test_the_document_file_is_named_after_the_stack_and_the_service_s_unique_id() -> None:
    service = ServerlessCrudService(new_stack("Shop"), "Items", tags=REQUIRED_TAGS)

    # Names.unique_id: the construct path's ids and a hash, as the README says.
    assert re.fullmatch(r"Shop\.ShopItems[0-9A-F]{8}\.openapi\.json", service.openapi_document_file)
