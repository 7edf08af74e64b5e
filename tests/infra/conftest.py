"""Shared fixtures: the default service is synthesized once for the whole infra suite."""

import pytest
from aws_cdk.assertions import Template

from cdk_serverless_crud import ServerlessCrudService

from .helpers import REQUIRED_TAGS, Synthesized, new_stack


@pytest.fixture(scope="session")
def default_service() -> Synthesized:
    stack = new_stack()
    service = ServerlessCrudService(stack, "Items", tags=REQUIRED_TAGS)
    return Synthesized(stack, service, Template.from_stack(stack))


@pytest.fixture(scope="session")
def template(default_service: Synthesized) -> Template:
    return default_service.template
