"""Index changes, one at a time: how a table's attribute indexes come and go.

DynamoDB creates or deletes one global secondary index per ``UpdateTable``, and refuses
another while one is still being built, so CloudFormation fails a table update that adds
or removes two (and rolls the whole stack back). The service's tables therefore leave
their attribute indexes out of the template: the deploy's index job (``backfill.py``,
run by the collection's ``IndexBackfill``) brings the table to the indexes the template
asks for with :func:`step`, one change per call, each after the one before it is done.
Local mode brings a kept table to its template's indexes the same way.

An index is described as CloudFormation's custom resource passes it (``TableIndexes``)
and ``CreateTable`` takes it: ``IndexName``, ``KeySchema``, ``Projection`` and the
``AttributeDefinitions`` of its keys.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

IndexSpec = Mapping[str, Any]

ACTIVE = "ACTIVE"
#: What UpdateTable answers while the table or another index is still changing.
_BUSY = frozenset({"ResourceInUseException", "LimitExceededException"})


@dataclass(frozen=True)
class Change:
    """One ``GlobalSecondaryIndexUpdates`` action."""

    action: Literal["Create", "Delete"]
    index_name: str


@dataclass(frozen=True)
class Step:
    """What one :func:`step` did: ``done`` (nothing left), ``waiting`` (a change is
    still in progress, so nothing was asked) or ``applied`` (``change`` was asked)."""

    state: Literal["done", "waiting", "applied"]
    change: Change | None = None


def _keys(index: IndexSpec) -> tuple[tuple[str, str], ...]:
    return tuple((key["AttributeName"], key["KeyType"]) for key in index["KeySchema"])


def _same(have: IndexSpec, have_types: Mapping[str, str], want: IndexSpec) -> bool:
    """Whether the table's index ``have`` is the index ``want``: the same keys, key types
    and projection. A key type the table does not report (moto forgets some) counts as
    the same."""
    want_types = {a["AttributeName"]: a["AttributeType"] for a in want["AttributeDefinitions"]}
    return (
        _keys(have) == _keys(want)
        and have["Projection"].get("ProjectionType") == want["Projection"].get("ProjectionType")
        and all(
            have_types.get(name, want_types.get(name)) == want_types.get(name)
            for name, _ in _keys(want)
        )
    )


def plan(
    table: Mapping[str, Any], wanted: Sequence[IndexSpec], removable: Collection[str]
) -> list[Change]:
    """The changes that bring ``table`` (a DescribeTable ``Table``) to the ``wanted``
    indexes, deletions first (which also frees DynamoDB's quota of indexes): each
    ``removable`` index it has but no longer wants, then each wanted one it lacks. A
    wanted index it has with other keys is deleted, then created again."""
    have_types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    have = {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes", [])}
    want = {index["IndexName"]: index for index in wanted}
    changed = {
        name for name in have.keys() & want.keys() if not _same(have[name], have_types, want[name])
    }
    deleted = ((have.keys() - want.keys()) & set(removable)) | changed
    created = (want.keys() - have.keys()) | changed
    return [Change("Delete", name) for name in sorted(deleted)] + [
        Change("Create", name) for name in sorted(created)
    ]


def step(
    dynamodb: DynamoDBClient,
    table_name: str,
    wanted: Sequence[IndexSpec],
    removable: Collection[str],
) -> Step:
    """Ask for the next change of :func:`plan`, once the table and every index are
    ACTIVE (the change before it is done). Safe to call from two places at once: a
    change DynamoDB refuses because another is in progress is a wait."""
    table: Mapping[str, Any] = dynamodb.describe_table(TableName=table_name)["Table"]
    states = [i.get("IndexStatus", ACTIVE) for i in table.get("GlobalSecondaryIndexes", [])]
    if table.get("TableStatus", ACTIVE) != ACTIVE or any(s != ACTIVE for s in states):
        return Step("waiting")
    changes = plan(table, wanted, removable)
    if not changes:
        return Step("done")
    change = changes[0]
    try:
        if change.action == "Delete":
            dynamodb.update_table(
                TableName=table_name,
                GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": change.index_name}}],
            )
        else:
            (index,) = (i for i in wanted if i["IndexName"] == change.index_name)
            dynamodb.update_table(
                TableName=table_name,
                AttributeDefinitions=list(index["AttributeDefinitions"]),
                GlobalSecondaryIndexUpdates=[
                    {
                        "Create": {
                            "IndexName": index["IndexName"],
                            "KeySchema": list(index["KeySchema"]),
                            "Projection": {"ProjectionType": index["Projection"]["ProjectionType"]},
                        }
                    }
                ],
            )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _BUSY:
            return Step("waiting")
        raise
    return Step("applied", change)
