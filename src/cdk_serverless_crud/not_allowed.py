"""405 with ``Allow`` for a method a route does not have, answered by API Gateway itself.

Without it, API Gateway answers a method a resource lacks (PATCH on ``/items``, HEAD
anywhere) with 403 ``{"message": "Missing Authentication Token"}``, as for a path that
does not exist. An ``ANY`` method on a MOCK integration catches every method the
resource has no method of its own for (API Gateway prefers the exact method), so the
answer is the contract's: 405, ``Allow``, and the error envelope with the request id.
The ``ANY`` method carries the API's default authorization, so with IAM a caller must
be allowed the method it sent before learning that it does not exist.
"""

import json
from collections.abc import Mapping, Sequence

from aws_cdk import aws_apigateway as apigateway

from cdk_serverless_crud.contract import openapi as contract

CODE = "method_not_allowed"
"""The error code of the answer, as the runtime's router gives it."""

_HEADER = "method.response.header."


def body_template() -> str:
    """The answer's mapping template: the error envelope, as the runtime writes it."""
    body = {
        "error": {
            "code": CODE,
            "message": "method $context.httpMethod is not allowed here",
            "request_id": "$context.requestId",
        }
    }
    return json.dumps(body)


def add_method_not_allowed(
    resource: apigateway.IResource,
    allowed: Sequence[str],
    extra_headers: Mapping[str, str],
) -> apigateway.Method:
    """Answer every other method of ``resource`` with 405 and ``Allow: <allowed>``.

    :param resource: a resource whose own methods are ``allowed``.
    :param allowed: the methods it has, OPTIONS included when it answers preflights.
    :param extra_headers: static headers for the answer, as gateway responses take them
        (the CORS headers: quoted literals).
    """
    headers = {"Allow": f"'{', '.join(sorted(allowed))}'", **extra_headers}
    integration = apigateway.MockIntegration(
        # No request template: every request, whatever its body or type, gets the
        # default integration response, the one without a selection pattern.
        passthrough_behavior=apigateway.PassthroughBehavior.WHEN_NO_TEMPLATES,
        integration_responses=[
            apigateway.IntegrationResponse(
                status_code="405",
                response_parameters={_HEADER + name: value for name, value in headers.items()},
                response_templates={contract.JSON_MEDIA_TYPE: body_template()},
            )
        ],
    )
    return resource.add_method(
        "ANY",
        integration,
        method_responses=[
            apigateway.MethodResponse(
                status_code="405",
                response_parameters={_HEADER + name: True for name in headers},
            )
        ],
    )
