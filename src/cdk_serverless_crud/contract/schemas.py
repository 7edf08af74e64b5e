"""A typed collection's JSON Schema: checked, converted for API Gateway, compiled.

A collection's schema is JSON Schema draft-07, written by the user, and three places read
it that must agree, each in a module of its own over the one walker of ``schema_walk``:

- ``schema_check``, at synth time, refuses any schema that would fail later;
- ``draft_4`` gives API Gateway, whose request models are draft-04, a relaxation of it;
- ``schema_compiler`` generates the Lambda function's exact validator with fastjsonschema.

This module names what the rest of the package, and its users, call.
"""

from cdk_serverless_crud.contract.draft_4 import MAX_MODEL_BYTES, draft_4_model
from cdk_serverless_crud.contract.schema_check import check_schema, property_type
from cdk_serverless_crud.contract.schema_compiler import SUPPORTED_FORMATS, validator_source

__all__ = [
    "MAX_MODEL_BYTES",
    "SUPPORTED_FORMATS",
    "check_schema",
    "draft_4_model",
    "property_type",
    "validator_source",
]
