"""API Gateway's request model of a body (JSON Schema draft 4): a JSON object, no more.

A body its model refuses, API Gateway answers itself: 400 ``invalid_body`` with its own
message, "Invalid request body", and no field named. The function names every failing
field by JSON pointer. So a model checks only what the function should not pay an
invocation for, that the body is a JSON object (the size limit is API Gateway's own), and
leaves everything else to the function: a typed collection's schema, a restore's
``timestamp``. A bad body's 400 then names its fields whoever answers, and the model
never refuses a body the function accepts (draft 4's ``integer`` refuses ``1.0``).
"""

from typing import Any

from cdk_serverless_crud.contract.schema_walk import DRAFT_4


def request_model(title: str) -> dict[str, Any]:
    """The request model ``title``: any JSON object passes, anything else is refused."""
    return {"$schema": DRAFT_4, "title": title, "type": "object"}
