"""Example app: one stack holding one ServerlessCrudService.

Synthesizes offline, without credentials: the stack is environment-agnostic. Override
the tags with context, e.g. ``cdk synth -c environment=prod -c owner=team-a``.
"""

import aws_cdk as cdk

from cdk_serverless_crud import ServerlessCrudService

app = cdk.App()
stack = cdk.Stack(
    app,
    "ServerlessCrudExample",
    description="Example deployment of cdk-serverless-crud's ServerlessCrudService",
)
ServerlessCrudService(
    stack,
    "Items",
    tags={
        "Environment": app.node.try_get_context("environment") or "dev",
        "Project": app.node.try_get_context("project") or "cdk-serverless-crud-example",
        "Owner": app.node.try_get_context("owner") or "platform-team",
    },
)
app.synth()
