"""Baseline for the synth benchmark: the example app's resources, from aws-cdk-lib alone.

It declares, with plain aws-cdk-lib L2s (``plain_service.py``) and no import of
cdk_serverless_crud, what ``example_app/app.py`` gets from ``ServerlessCrudService``: the
same template, byte for byte. Like the example app, it runs cdk-nag's AwsSolutions and
Serverless checks on synth, and acknowledges the findings the library acknowledges. The
benchmark checks that the two templates match before it reports a ratio; what is left is
the library's own cost.

When the library's template changes, change ``plain_service.py`` to match (the smoke
test in tests/bench fails until it does).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Stack
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from plain_service import PlainCollection, build_service


def build_stack(app: cdk.App) -> Stack:
    """The baseline stack, with the example app's stack id, description and tags."""
    stack = Stack(
        app,
        "ServerlessCrudExample",
        description="Example deployment of cdk-serverless-crud's ServerlessCrudService",
    )
    build_service(
        stack,
        "Items",
        tags={
            "Environment": app.node.try_get_context("environment") or "dev",
            "Project": app.node.try_get_context("project") or "cdk-serverless-crud-example",
            "Owner": app.node.try_get_context("owner") or "platform-team",
        },
        collections=[PlainCollection("items")],
        events_on=True,
    )
    return stack


if __name__ == "__main__":
    app = cdk.App()
    # The example app's checks, so that both synths do the same work besides the library.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    build_stack(app)
    app.synth()
