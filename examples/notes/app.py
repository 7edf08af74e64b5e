"""Notes and projects: who may see what, per owner and per tenant.

Each note belongs to the user who wrote it; the support group may read every note.
Each project belongs to the organization its creator's ``custom:org`` claim names, and
no request reaches another organization's; within one, a project belongs to its creator
and the admins group may do anything. Synthesize and serve it locally with::

    cd examples/notes && cdk synth --quiet
    serverless-crud local --cdk-out examples/notes/cdk.out

README.md walks through it with tokens of several users.
"""

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cdk_serverless_crud import (
    Allow,
    Authorization,
    Collection,
    Index,
    ServerlessCrudService,
    Tenancy,
)

NOTE = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Note",
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "body": {"type": "string"},
    },
    "required": ["title"],
    "additionalProperties": False,
}

PROJECT = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Project",
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "status": {"type": "string", "enum": ["open", "closed"]},
    },
    "required": ["name"],
    "additionalProperties": False,
}

app = cdk.App()
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
stack = cdk.Stack(app, "NotesExample", description="Example of cdk-serverless-crud's access rules")
ServerlessCrudService(
    stack,
    "Notes",
    tags={
        "Environment": app.node.try_get_context("environment") or "dev",
        "Project": app.node.try_get_context("project") or "cdk-serverless-crud-notes",
        "Owner": app.node.try_get_context("owner") or "platform-team",
    },
    authorization=Authorization.cognito(),
    collections=[
        Collection("notes", schema=NOTE, access=[Allow.owner(), Allow.group("support").to("read")]),
        Collection(
            "projects",
            schema=PROJECT,
            indexes=[Index("status")],
            tenancy=Tenancy.claim("custom:org"),
            access=[Allow.owner(), Allow.group("admins")],
        ),
    ],
)
app.synth()
