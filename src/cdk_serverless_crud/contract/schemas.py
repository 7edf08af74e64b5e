"""A typed collection's JSON Schema: checked, then compiled for the function.

A collection's schema is JSON Schema draft-07, written by the user, and two places read
it that must agree, each in a module of its own over the one walker of ``schema_walk``:

- ``schema_check``, at synth time, refuses any schema that would fail later;
- ``schema_compiler`` generates the Lambda function's exact validator with fastjsonschema.

API Gateway's request model does not read it: it checks only that a body is an object
(``draft_4``), so that the function's check, which names every failing field, answers.

This module names what the rest of the package, and its users, call.
"""

from cdk_serverless_crud.contract.schema_check import check_schema, property_type
from cdk_serverless_crud.contract.schema_compiler import SUPPORTED_FORMATS, validator_source

__all__ = [
    "SUPPORTED_FORMATS",
    "check_schema",
    "property_type",
    "validator_source",
]
