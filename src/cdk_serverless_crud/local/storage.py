"""The template's tables and buckets, as local mode creates them.

Logical ids become local physical names where the template gives none; CloudFormation
would add a random suffix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import TemplateError
from .intrinsics import LOCAL_REST_API_ID, Resources

JsonObject = Mapping[str, Any]

_BUCKET_NAME_INVALID = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class TableSpec:
    """A DynamoDB table as ``CreateTable`` arguments."""

    name: str
    create_args: Mapping[str, Any]


@dataclass(frozen=True)
class BucketSpec:
    """An S3 bucket and whether it is versioned."""

    name: str
    versioned: bool


#: The index job's custom resource (``IndexBackfill``): its ``Start`` lists the indexes
#: a table's template leaves out for the job to create (``TableIndexes``).
INDEX_JOB_TYPE = "Custom::IndexBackfill"


def staged_indexes(resources: Resources) -> dict[str, list[JsonObject]]:
    """The staged indexes of each table, by the table's logical id."""
    staged: dict[str, list[JsonObject]] = {}
    for _, resource in resources.of_type(INDEX_JOB_TYPE):
        props = resource.get("Properties", {})
        table = props.get("TableName")
        if props.get("Phase") == "start" and isinstance(table, Mapping) and "Ref" in table:
            staged.setdefault(table["Ref"], []).extend(props.get("TableIndexes", []))
    return staged


def read_table(
    stack_name: str, logical_id: str, resource: JsonObject, staged: Sequence[JsonObject] = ()
) -> TableSpec:
    """An ``AWS::DynamoDB::Table``, on demand, with its indexes (the template's and the
    ``staged`` ones, which a deploy's index job creates) and stream."""
    props = resource["Properties"]
    name = props.get("TableName")
    name = name if isinstance(name, str) else f"{stack_name}-{logical_id}"[:255]
    definitions = {a["AttributeName"]: a for a in props["AttributeDefinitions"]}
    for index in staged:
        definitions.update({a["AttributeName"]: a for a in index["AttributeDefinitions"]})
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": list(definitions.values()),
        "BillingMode": "PAY_PER_REQUEST",
    }
    indexes = [
        {k: gsi[k] for k in ("IndexName", "KeySchema", "Projection")}
        for gsi in [*props.get("GlobalSecondaryIndexes", []), *staged]
    ]
    if indexes:
        args["GlobalSecondaryIndexes"] = indexes
    stream = props.get("StreamSpecification")
    if stream:
        args["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return TableSpec(name=name, create_args=args)


def read_bucket(stack_name: str, logical_id: str, resource: JsonObject) -> BucketSpec:
    """An ``AWS::S3::Bucket`` and its versioning."""
    props = resource.get("Properties", {})
    name = props.get("BucketName")
    if not isinstance(name, str):
        name = _BUCKET_NAME_INVALID.sub("-", f"{stack_name}-{logical_id}".lower())
        name = name[:63].strip("-")
    status = props.get("VersioningConfiguration", {}).get("Status")
    return BucketSpec(name=name, versioned=status == "Enabled")


class Storage:
    """The stack's tables and buckets by logical id, and what references to them resolve to."""

    def __init__(self, stack_name: str, resources: Resources) -> None:
        """Read every table and bucket of ``resources``."""
        self.resources = resources
        staged = staged_indexes(resources)
        self.tables = {
            lid: read_table(stack_name, lid, res, staged.get(lid, ()))
            for lid, res in resources.of_type("AWS::DynamoDB::Table")
        }
        self.buckets = {
            lid: read_bucket(stack_name, lid, res)
            for lid, res in resources.of_type("AWS::S3::Bucket")
        }

    def ref(self, logical_id: str, attribute: str | None) -> str:
        """The local value of ``Ref`` / ``Fn::GetAtt`` for the resources local mode creates."""
        if logical_id in self.tables:
            name = self.tables[logical_id].name
            return (
                name
                if attribute is None
                else f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}"
            )
        if logical_id in self.buckets:
            name = self.buckets[logical_id].name
            return name if attribute is None else f"arn:aws:s3:::{name}"
        kind = self.resources.type_of(logical_id)
        if kind == "AWS::ApiGateway::RestApi" and attribute is None:
            return LOCAL_REST_API_ID
        if kind == "AWS::ApiGateway::Stage" and attribute is None:
            return str(self.resources.properties(logical_id)["StageName"])
        raise TemplateError(f"cannot resolve a reference to {logical_id} locally")
