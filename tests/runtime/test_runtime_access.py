"""Who may see what (issue 28): a collection's ``Allow`` rules at the runtime, for every
route and every kind of caller.

The notes collection is the README's: ``[Allow.owner(), Allow.group("support").to("read")]``.
alice owns an item; bob is another user; carol is in support; nobody has no identity.
A caller who may not read an item gets 404, as for one that does not exist; one who may
read it but not change it, 403; nothing is written either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from cdk_serverless_crud.contract.access import Allow

from .conftest import CollectionUnderTest, MakeCollection
from .helpers import ApiResponse, make_event

PATCH = {"Content-Type": "application/merge-patch+json"}
NOTES_ACCESS = [Allow.owner(), Allow.group("support").to("read")]

#: Each caller's Cognito claims, as API Gateway passes them (None: no identity).
CALLERS: dict[str, dict[str, str] | None] = {
    "alice": {"sub": "alice"},
    "bob": {"sub": "bob", "cognito:groups": "readers"},
    "carol": {"sub": "carol", "cognito:groups": "[support admins]"},
    "nobody": None,
}


class Caller:
    """Requests to one collection as one caller."""

    def __init__(self, notes: CollectionUnderTest, claims: dict[str, str] | None) -> None:
        self.notes = notes
        self.claims = claims

    def __call__(self, method: str, path: str, data: Any = None, **kwargs: Any) -> ApiResponse:
        if data is not None:
            kwargs["body"] = json.dumps(data)
        event = make_event(method, f"/notes{path}", collection="notes", **kwargs)
        if self.claims is not None:
            event["requestContext"]["authorizer"] = {"claims": dict(self.claims)}
        return self.notes.api.invoke(event)


@pytest.fixture
def notes(make_collection: MakeCollection) -> CollectionUnderTest:
    return make_collection("notes", indexes={"status": "S"}, access=NOTES_ACCESS)


@pytest.fixture
def callers(notes: CollectionUnderTest) -> dict[str, Caller]:
    return {name: Caller(notes, claims) for name, claims in CALLERS.items()}


@pytest.fixture
def item(callers: dict[str, Caller]) -> Iterator[dict[str, Any]]:
    """alice's note, with two versions."""
    alice = callers["alice"]
    first = alice("POST", "", {"title": "alice's", "status": "open"}).json()
    alice("PUT", f"/{first['id']}", {"title": "alice's, again", "status": "open"})
    yield first


def _versions(aws: SimpleNamespace, table: str) -> int:
    items = aws.dynamodb.scan(TableName=table)["Items"]
    return sum(1 for i in items if i["timestamp"]["N"] != "0" and "/" not in i["id"]["S"])


Route = tuple[str, str, Any, dict[str, Any]]


def _route(method: str, tail: str, data: Any = None, **options: Any) -> Any:
    """A route on the item, as (method, path, body, options) once the item is known."""

    def on(item: dict[str, Any]) -> Route:
        return method, f"/{item['id']}{tail.format(**item)}", data, options

    return on


READS = {
    "get": _route("GET", ""),
    "versions": _route("GET", "/versions"),
    "version": _route("GET", "/versions/{timestamp}"),
}
WRITES = {
    "put": ("update", _route("PUT", "", {"title": "x"})),
    "patch": ("update", _route("PATCH", "", {"title": "x"}, headers=PATCH)),
    "delete": ("delete", _route("DELETE", "")),
    "put-if-match": ("update", _route("PUT", "", {"t": 1}, headers={"If-Match": '"1"'})),
}


def _as_of(item: dict[str, Any]) -> Route:
    return "GET", f"/{item['id']}", None, {"query": {"as_of": str(item["timestamp"])}}


def _restore(item: dict[str, Any]) -> Route:
    return "POST", f"/{item['id']}/restore", {"timestamp": int(item["timestamp"])}, {}


READS["as_of"] = _as_of
WRITES["restore"] = ("update", _restore)


@pytest.mark.parametrize("route", sorted(READS))
@pytest.mark.parametrize(
    ("caller", "status"), [("alice", 200), ("bob", 404), ("carol", 200), ("nobody", 404)]
)
def test_who_may_read_an_item(
    callers: dict[str, Caller], item: dict[str, Any], route: str, caller: str, status: int
) -> None:
    method, path, data, options = READS[route](item)

    answer = callers[caller](method, path, data, **options)

    assert answer.status == status, answer.body
    if status == 404:
        unknown = callers[caller](
            method, path.replace(item["id"], "never-created"), data, **options
        )
        assert (answer.status, answer.error_code) == (unknown.status, unknown.error_code)


@pytest.mark.parametrize("route", sorted(WRITES))
@pytest.mark.parametrize(
    ("caller", "refused"), [("alice", None), ("bob", 404), ("carol", 403), ("nobody", 404)]
)
def test_who_may_change_an_item(
    callers: dict[str, Caller],
    item: dict[str, Any],
    aws: SimpleNamespace,
    notes: CollectionUnderTest,
    route: str,
    caller: str,
    refused: int | None,
) -> None:
    _, make = WRITES[route]
    method, path, data, options = make(item)
    before = _versions(aws, notes.table)

    answer = callers[caller](method, path, data, **options)

    if refused is None:
        expected_412 = route == "put-if-match"
        assert answer.status == (412 if expected_412 else 204 if method == "DELETE" else 200)
        return
    assert (answer.status, answer.error_code) == (
        refused,
        "forbidden" if refused == 403 else "not_found",
    )
    assert _versions(aws, notes.table) == before  # nothing written


@pytest.mark.parametrize(
    ("caller", "status"), [("alice", 201), ("bob", 201), ("carol", 201), ("nobody", 403)]
)
def test_who_may_create_and_who_owns_it(
    callers: dict[str, Caller], caller: str, status: int
) -> None:
    answer = callers[caller]("POST", "", {"title": "mine"})

    assert answer.status == status, answer.body
    if status == 201:
        assert answer.json()["owner"] == caller
        made = callers[caller](
            "PUT", "/chosen-id-" + caller, {"t": 1}, headers={"If-None-Match": "*"}
        )
        assert (made.status, made.json()["owner"]) == (201, caller)
    else:
        assert answer.error_code == "forbidden"


def test_the_owner_cannot_be_changed_through_the_api(
    callers: dict[str, Caller], item: dict[str, Any]
) -> None:
    alice = callers["alice"]

    changed = alice("PUT", f"/{item['id']}", {"title": "t", "owner": "bob"}).json()

    assert changed["owner"] == "alice"
    assert changed["data"]["owner"] == "bob"  # data, nothing more
    assert callers["bob"]("GET", f"/{item['id']}").status == 404


def test_lists_hold_only_what_the_caller_may_read(callers: dict[str, Caller]) -> None:
    alice, bob, carol = callers["alice"], callers["bob"], callers["carol"]
    mine = {alice("POST", "", {"title": f"a{n}", "status": "open"}).json()["id"] for n in range(5)}
    theirs = {bob("POST", "", {"title": f"b{n}", "status": "open"}).json()["id"] for n in range(3)}

    def listed(caller: Caller, query: dict[str, str]) -> list[str]:
        ids, cursor = [], None
        while True:
            page = caller(
                "GET", "", query={**query, "limit": "2", **({"cursor": cursor} if cursor else {})}
            )
            assert page.status == 200, page.body
            body = page.json()
            # A page is full unless it is the last: no page read, then filtered.
            if body["next_cursor"] is not None:
                assert len(body["items"]) == 2
            ids += [i["id"] for i in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                return ids

    for query in ({}, {"status": "open"}):
        assert set(listed(alice, query)) == mine
        assert set(listed(bob, query)) == theirs
        assert set(listed(carol, query)) == mine | theirs
    assert callers["nobody"]("GET", "").status == 403


def test_an_owner_s_cursor_is_refused_for_another(callers: dict[str, Caller]) -> None:
    alice, bob = callers["alice"], callers["bob"]
    for n in range(3):
        alice("POST", "", {"title": f"a{n}", "status": "open"})
        bob("POST", "", {"title": f"b{n}", "status": "open"})

    for query in ({}, {"status": "open"}):
        cursor = alice("GET", "", query={**query, "limit": "1"}).json()["next_cursor"]
        refused = bob("GET", "", query={**query, "limit": "1", "cursor": cursor})
        assert (refused.status, refused.error_code) == (400, "invalid_parameter")
        assert alice("GET", "", query={**query, "limit": "1", "cursor": cursor}).status == 200


def test_items_created_before_the_rules_have_no_owner(
    make_collection: MakeCollection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Added later, rules reach an item without an owner only through group or
    authenticated rules: no caller owns it."""
    plain = make_collection("legacy")
    old = plain.api.create({"title": "from before"}).json()
    assert "owner" not in old
    config = plain.module("config")
    monkeypatch.setenv("ACCESS", json.dumps([
        {"kind": "owner", "group": None, "operations": ["update"]},
        {"kind": "group", "group": "support", "operations": ["read"]},
    ]))  # fmt: skip
    config.settings.cache_clear()
    plain.module("handler").router.cache_clear()

    def as_caller(claims: dict[str, str]) -> ApiResponse:
        event = make_event("GET", f"/legacy/{old['id']}", collection="legacy")
        event["requestContext"]["authorizer"] = {"claims": claims}
        return plain.api.invoke(event)

    assert as_caller({"sub": "alice"}).status == 404
    assert as_caller({"sub": "carol", "cognito:groups": "support"}).status == 200


def test_heads_carry_the_owners_keys_before_any_rule_needs_them(
    make_collection: MakeCollection, aws: SimpleNamespace
) -> None:
    """Adding Allow.owner() later creates the owners' indexes, and DynamoDB fills a new
    index from the items that already have its key: so every head with an owner has it."""
    orders = make_collection("orders", indexes={"status": "S"})
    event = make_event("POST", "/orders", body='{"status": "open"}', collection="orders")
    event["requestContext"]["authorizer"] = {"claims": {"sub": "alice"}}
    owned = orders.api.invoke(event).json()
    anonymous = orders.api.create({"status": "open"}).json()

    heads = {
        item["id"]["S"]: item
        for item in aws.dynamodb.scan(TableName=orders.table)["Items"]
        if item["timestamp"]["N"] == "0"
    }
    assert {"owned", "ox_status"} <= set(heads[owned["id"]])
    assert heads[owned["id"]]["owner"] == {"S": "alice"}
    assert not {"owned", "ox_status", "owner"} & set(heads[anonymous["id"]])
