"""The ``Allow`` rules and ``Collection(access=...)`` as props: each mistake is a
ValueError naming the prop, before any construct exists."""

from __future__ import annotations

import pytest

from cdk_serverless_crud.contract.access import OPERATIONS, Allow, Tenancy
from cdk_serverless_crud.contract.collection import Collection, Index


def test_a_rule_allows_all_four_operations_unless_narrowed() -> None:
    assert Allow.owner().operations == OPERATIONS
    narrowed = Allow.group("support").to("read")
    assert (narrowed.kind, narrowed.group_name, narrowed.operations) == (
        "group",
        "support",
        ("read",),
    )
    assert narrowed.allows("read") and not narrowed.allows("update")


@pytest.mark.parametrize(
    ("build", "parts"),
    [
        (lambda: Allow.owner().to("write"), ["Allow.owner().to()", "'write'", "read, create"]),
        (lambda: Allow.owner().to(), ["at least one of"]),
        (lambda: Allow.group(""), ["Allow.group(name)", "''"]),
        (lambda: Allow.group("a b"), ["without whitespace"]),
        (
            lambda: Collection("notes", access=[]),
            ["Collection('notes').access=[]", "allows no one"],
        ),
        (lambda: Collection("notes", access=Allow.owner()), ["must be a list of Allow rules"]),  # type: ignore[arg-type]
        (lambda: Collection("notes", access=["owner"]), ["must hold Allow rules", "'owner'"]),  # type: ignore[list-item]
    ],
)
def test_a_bad_rule_is_a_value_error_naming_the_prop(build: object, parts: list[str]) -> None:
    with pytest.raises(ValueError) as error:
        build()  # type: ignore[operator]
    for part in parts:
        assert part in str(error.value)


def test_an_owner_rule_that_reads_costs_an_index_per_index() -> None:
    schema = {"type": "object", "properties": {f"a{n}": {"type": "string"} for n in range(19)}}
    nine = [Index(f"a{n}") for n in range(9)]
    ten = [Index(f"a{n}") for n in range(10)]

    assert (
        len(Collection("notes", schema=schema, indexes=nine, access=[Allow.owner()]).table_indexes)
        == 20
    )
    assert Collection("notes", schema=schema, indexes=ten, access=[Allow.owner().to("update")])
    with pytest.raises(ValueError, match=r"at most 9"):
        Collection("notes", schema=schema, indexes=ten, access=[Allow.owner()])


@pytest.mark.parametrize("name", ["", "custom org", "x" * 129, "org/unit"])
def test_a_bad_tenancy_claim_is_a_value_error(name: str) -> None:
    with pytest.raises(ValueError, match=r"Tenancy.claim\(name\)"):
        Tenancy.claim(name)


def test_tenancy_must_be_a_tenancy() -> None:
    with pytest.raises(ValueError, match=r"Collection\('notes'\).tenancy must be a Tenancy"):
        Collection("notes", tenancy="custom:org")  # type: ignore[arg-type]
