"""API Gateway's own answers, in the item service's error shape and with CORS headers."""

import json

from aws_cdk import aws_apigateway as apigateway

from cdk_serverless_crud import contract
from cdk_serverless_crud.cors import CorsProps, gateway_response_headers

# Answers of API Gateway itself when a request fails validation, in the item service's
# error shape; $context.error.messageString is already a quoted JSON string.
_VALIDATION_ERRORS = {
    "BadRequestBody": (apigateway.ResponseType.BAD_REQUEST_BODY, "invalid_body"),
    "BadRequestParameters": (
        apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
        "invalid_parameter",
    ),
}
_MESSAGE = '"MESSAGE"'


def add_gateway_responses(rest_api: apigateway.RestApi, cors: CorsProps | None) -> None:
    """Validation failures as 400 ``{"error": {"code", "message"}}``; CORS on every answer.

    With CORS for one origin, the default 4XX and 5XX answers (such as 403 for a missing
    signature or 429 for throttling) carry the CORS headers too, so browsers can read them.
    """
    headers = gateway_response_headers(cors)
    for response_id, (response_type, code) in _VALIDATION_ERRORS.items():
        body = json.dumps({"error": {"code": code, "message": "MESSAGE"}})
        rest_api.add_gateway_response(
            response_id,
            type=response_type,
            status_code="400",
            response_headers=headers or None,
            templates={
                contract.JSON_MEDIA_TYPE: body.replace(_MESSAGE, "$context.error.messageString")
            },
        )
    if not headers:
        return
    for response_id, response_type in (
        ("Default4xx", apigateway.ResponseType.DEFAULT_4_XX),
        ("Default5xx", apigateway.ResponseType.DEFAULT_5_XX),
    ):
        rest_api.add_gateway_response(response_id, type=response_type, response_headers=headers)
