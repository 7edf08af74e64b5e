"""Example app: one stack holding one ServerlessCrudService.

Synthesizes offline, without credentials: the stack is environment-agnostic. Override
the tags with context, e.g. ``cdk synth -c environment=prod -c owner=team-a``.

cdk-nag's AwsSolutions and Serverless packs check the app on every synth: any finding
the library does not acknowledge (see docs/security.md) fails ``cdk synth``.

``build`` is also what the deploy rehearsal (``make deploy-local``, ``rehearsal.py``)
deploys, so the rehearsal and ``cdk deploy`` deploy the same stack.
"""

from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cdk_serverless_crud import ChangeEvents, ServerlessCrudService

STACK_NAME = "ServerlessCrudExample"


def build(app: cdk.App, **props: Any) -> ServerlessCrudService:
    """The example stack and its service; ``props`` go to ``ServerlessCrudService``.

    Change events are on (``ChangeEvents()``, a bus of the service's own), so that
    ``make run EVENTS_FILE=events.jsonl`` shows them.
    """
    stack = cdk.Stack(
        app,
        STACK_NAME,
        description="Example deployment of cdk-serverless-crud's ServerlessCrudService",
    )
    props.setdefault("events", ChangeEvents())
    return ServerlessCrudService(
        stack,
        "Items",
        tags={
            "Environment": app.node.try_get_context("environment") or "dev",
            "Project": app.node.try_get_context("project") or "cdk-serverless-crud-example",
            "Owner": app.node.try_get_context("owner") or "platform-team",
        },
        **props,
    )


if __name__ == "__main__":
    app = cdk.App()
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    build(app)
    app.synth()
