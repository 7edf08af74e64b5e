"""API Gateway's own answers, in the item service's error shape and with CORS headers.

Without gateway responses, what API Gateway answers itself (a missing signature, a body
too large, throttling, a Lambda timeout) comes as ``{"message": "..."}``, outside the
contract. Each response type that matters gets ``{"error": {"code", "message",
"request_id"}}`` with a stable ``code``; ``DEFAULT_4XX`` and ``DEFAULT_5XX`` cover the
rest. Statuses stay API Gateway's, except for validation failures, which are 400.
"""

import json
from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigateway

from cdk_serverless_crud.contract import openapi as contract
from cdk_serverless_crud.cors import CorsProps, gateway_response_headers

_MESSAGE = '"MESSAGE"'
_REQUEST_ID = "REQUEST_ID"


@dataclass(frozen=True)
class GatewayError:
    """One gateway response: its type, the code clients read, and a fixed status if any."""

    construct_id: str
    response_type: apigateway.ResponseType
    code: str
    status: str | None = None


GATEWAY_ERRORS = (
    GatewayError("BadRequestBody", apigateway.ResponseType.BAD_REQUEST_BODY, "invalid_body", "400"),
    GatewayError(
        "BadRequestParameters",
        apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
        "invalid_parameter",
        "400",
    ),
    GatewayError(
        "MissingAuthenticationToken",
        apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        "missing_authentication_token",
    ),
    GatewayError("AccessDenied", apigateway.ResponseType.ACCESS_DENIED, "access_denied"),
    GatewayError("Unauthorized", apigateway.ResponseType.UNAUTHORIZED, "unauthorized"),
    GatewayError(
        "InvalidSignature", apigateway.ResponseType.INVALID_SIGNATURE, "invalid_signature"
    ),
    GatewayError("ExpiredToken", apigateway.ResponseType.EXPIRED_TOKEN, "expired_token"),
    GatewayError("InvalidApiKey", apigateway.ResponseType.INVALID_API_KEY, "invalid_api_key"),
    GatewayError("WafFiltered", apigateway.ResponseType.WAF_FILTERED, "waf_filtered"),
    GatewayError("RequestTooLarge", apigateway.ResponseType.REQUEST_TOO_LARGE, "payload_too_large"),
    GatewayError(
        "UnsupportedMediaType",
        apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    ),
    GatewayError("Throttled", apigateway.ResponseType.THROTTLED, "throttled"),
    GatewayError("QuotaExceeded", apigateway.ResponseType.QUOTA_EXCEEDED, "quota_exceeded"),
    GatewayError(
        "IntegrationTimeout", apigateway.ResponseType.INTEGRATION_TIMEOUT, "integration_timeout"
    ),
    GatewayError(
        "IntegrationFailure", apigateway.ResponseType.INTEGRATION_FAILURE, "integration_failure"
    ),
    GatewayError("Default4xx", apigateway.ResponseType.DEFAULT_4_XX, "bad_request"),
    GatewayError("Default5xx", apigateway.ResponseType.DEFAULT_5_XX, "gateway_error"),
)
"""Every gateway response the API defines, with the ``code`` its answers carry."""


def body_template(code: str) -> str:
    """The response's mapping template; ``$context.error.messageString`` is quoted JSON."""
    body = json.dumps({"error": {"code": code, "message": "MESSAGE", "request_id": _REQUEST_ID}})
    return body.replace(_MESSAGE, "$context.error.messageString").replace(
        _REQUEST_ID, "$context.requestId"
    )


def add_gateway_responses(rest_api: apigateway.RestApi, cors: CorsProps | None) -> None:
    """Every answer of API Gateway itself in the error shape; CORS headers on each.

    The CORS headers are there with CORS for one origin: gateway responses cannot echo
    the request's origin, so with several origins browsers cannot read them.
    """
    headers = gateway_response_headers(cors) or None
    for error in GATEWAY_ERRORS:
        rest_api.add_gateway_response(
            error.construct_id,
            type=error.response_type,
            status_code=error.status,
            response_headers=headers,
            templates={contract.JSON_MEDIA_TYPE: body_template(error.code)},
        )
