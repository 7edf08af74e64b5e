"""Tenant isolation in the keys (issue 28): ``Tenancy.claim("custom:org")`` derives every
key a request reads or writes from the caller's tenant, so that no request, and no call
of the repository with a crafted id or cursor, reaches another tenant's record."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from cdk_serverless_crud.contract.access import Allow, Tenancy

from .conftest import CollectionUnderTest, MakeCollection
from .helpers import ApiResponse, make_event
from .test_runtime_change_events import _detail_validator

CLAIMS: dict[str, dict[str, str]] = {
    "alice@acme": {"sub": "alice", "custom:org": "acme"},
    "bob@acme": {"sub": "bob", "custom:org": "acme"},
    "admin@acme": {"sub": "ada", "custom:org": "acme", "cognito:groups": "admins"},
    "admin@globex": {"sub": "gus", "custom:org": "globex", "cognito:groups": "admins"},
    "alice@globex": {"sub": "alice", "custom:org": "globex"},
    "no-org": {"sub": "nobody"},
    "alice@org/1": {"sub": "alice", "custom:org": "org/1"},
}


@pytest.fixture
def projects(make_collection: MakeCollection) -> CollectionUnderTest:
    return make_collection(
        "projects",
        indexes={"status": "S", "priority": "N"},
        tenancy=Tenancy.claim("custom:org"),
        access=[Allow.owner(), Allow.group("admins")],
    )


def _call(
    projects: CollectionUnderTest,
    who: str,
    method: str,
    path: str = "",
    data: Any = None,
    **kw: Any,
) -> ApiResponse:
    if data is not None:
        kw["body"] = json.dumps(data)
    event = make_event(method, f"/projects{path}", collection="projects", **kw)
    event["requestContext"]["authorizer"] = {"claims": dict(CLAIMS[who])}
    return projects.api.invoke(event)


def _ids(answer: ApiResponse) -> set[str]:
    assert answer.status == 200, answer.body
    return {item["id"] for item in answer.json()["items"]}


def test_an_admin_of_another_tenant_reaches_nothing(projects: CollectionUnderTest) -> None:
    made = _call(projects, "alice@acme", "POST", data={"status": "open", "priority": 1.5}).json()
    path = f"/{made['id']}"

    assert _call(projects, "admin@acme", "GET", path).status == 200
    for method, data in (("GET", None), ("PUT", {"status": "x"}), ("DELETE", None)):
        assert _call(projects, "admin@globex", method, path, data).status == 404
    assert _call(projects, "admin@globex", "GET", f"{path}/versions").status == 404
    for query in ({}, {"status": "open"}, {"priority": "1.50"}):
        assert _ids(_call(projects, "admin@acme", "GET", query=query)) == {made["id"]}
        assert _ids(_call(projects, "admin@globex", "GET", query=query)) == set()
    # The same principal in another tenant is another owner.
    assert _call(projects, "alice@globex", "GET", path).status == 404


def test_one_id_in_two_tenants_is_two_items(projects: CollectionUnderTest) -> None:
    star = {"If-None-Match": "*"}
    acme = _call(projects, "alice@acme", "PUT", "/p1", {"name": "acme's"}, headers=star)
    globex = _call(projects, "alice@globex", "PUT", "/p1", {"name": "globex's"}, headers=star)

    assert (acme.status, globex.status) == (201, 201)
    assert _call(projects, "alice@acme", "GET", "/p1").json()["data"] == {"name": "acme's"}
    assert _call(projects, "alice@globex", "GET", "/p1").json()["data"] == {"name": "globex's"}


def test_every_key_is_derived_from_the_tenant(
    projects: CollectionUnderTest, aws: SimpleNamespace
) -> None:
    big = {"status": "open", "blob": "x" * 400_000}
    made = _call(projects, "alice@acme", "POST", data=big).json()

    stored = aws.dynamodb.scan(TableName=projects.table)["Items"]
    keys = {item["id"]["S"] for item in stored}
    assert keys == {f"tenant/acme/{made['id']}"}
    (head,) = [item for item in stored if item["timestamp"]["N"] == "0"]
    assert head["listing"] == {"S": "item/acme"}
    assert head["ix_status"] == {"S": "acme/open"}
    objects = aws.s3.list_objects_v2(Bucket=aws.bucket, Prefix="projects/")["Contents"]
    assert [o["Key"].split("/")[:4] for o in objects] == [
        ["projects", "tenant", "acme", made["id"]]
    ]


def test_the_repository_reaches_nothing_of_another_tenant_by_crafted_ids_or_cursors(
    projects: CollectionUnderTest,
) -> None:
    made = _call(projects, "alice@acme", "POST", data={"status": "open"}).json()
    for n in range(3):
        _call(projects, "admin@acme", "POST", data={"status": "open", "n": n})
    spaces, repository = projects.module("spaces"), projects.module("handler").repository()
    globex = repository.in_space(spaces.KeySpace("globex"))

    # The API's id of acme's item, and its stored key, lead nowhere from globex's space.
    assert globex.latest(made["id"]) is None
    assert globex.latest(f"tenant/acme/{made['id']}") is None
    assert globex.list_latest(100, None).records == []
    assert globex.list_latest(100, made["id"]).records == []
    # A cursor of acme's listing, query or versions is refused for globex.
    for query, path in (({}, ""), ({"status": "open"}, ""), ({}, f"/{made['id']}/versions")):
        cursor = _call(projects, "admin@acme", "GET", path, query={**query, "limit": "1"})
        resumed = {**query, "limit": "1", "cursor": cursor.json()["next_cursor"] or "x"}
        refused = _call(projects, "admin@globex", "GET", path, query=resumed)
        assert refused.status in (400, 404), refused.body
        if not path:
            assert refused.error_code == "invalid_parameter"


@pytest.mark.parametrize(
    ("method", "path", "data", "status"),
    [("GET", "", None, 403), ("POST", "", {"a": 1}, 403), ("GET", "/x", None, 404)],
)
def test_a_caller_without_a_tenant_reaches_nothing(
    projects: CollectionUnderTest, method: str, path: str, data: Any, status: int
) -> None:
    """No list and no creation (403), and no item, as for an item of another tenant."""
    _call(projects, "alice@acme", "PUT", "/x", {"a": 1}, headers={"If-None-Match": "*"})

    answer = _call(projects, "no-org", method, path, data)

    assert answer.status == status, answer.body


def test_idempotency_keys_are_kept_per_tenant(projects: CollectionUnderTest) -> None:
    key = {"Idempotency-Key": "k1"}
    first = _call(projects, "alice@acme", "POST", data={"a": 1}, headers=key)
    other = _call(projects, "alice@globex", "POST", data={"a": 1}, headers=key)

    assert (first.status, other.status) == (201, 201)
    assert "Idempotent-Replayed" not in other.headers
    assert other.json()["id"] != first.json()["id"]
    replay = _call(projects, "alice@acme", "POST", data={"a": 1}, headers=key)
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_change_events_name_the_tenant_and_the_api_s_id(
    projects: CollectionUnderTest, aws: SimpleNamespace
) -> None:
    made = _call(projects, "alice@org/1", "POST", data={"status": "open"}).json()
    versions = [
        item
        for item in aws.dynamodb.scan(TableName=projects.table)["Items"]
        if item["timestamp"]["N"] != "0"
    ]

    (event,) = [
        projects.module("change_events").change_event({"dynamodb": {"NewImage": v}}, "projects")
        for v in versions
    ]

    assert event["detail"]["id"] == made["id"]
    assert (event["detail"]["tenant"], event["detail"]["owner"]) == ("org/1", "alice")
    _detail_validator().validate(event["detail"])
