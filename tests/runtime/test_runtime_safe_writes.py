"""Safe writes: JSON Merge Patch, If-None-Match: * and Idempotency-Key, against moto."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from item_service import idempotency
from item_service.records import Answer, Claim
from item_service.repository import ItemRepository

from .conftest import MakeCollection
from .helpers import Api, ApiResponse, make_event

PATCH = {"Content-Type": "application/merge-patch+json"}
BIG = {"blob": "z" * 400_000}


def _records(aws: SimpleNamespace) -> list[dict[str, Any]]:
    return list(aws.dynamodb.scan(TableName=aws.table, ConsistentRead=True)["Items"])


def _versions(aws: SimpleNamespace) -> int:
    return sum(int(r["timestamp"]["N"]) > 0 for r in _records(aws))


def _key_records(aws: SimpleNamespace) -> list[dict[str, Any]]:
    return [r for r in _records(aws) if r["id"]["S"].startswith("idempotency/")]


# --- PATCH (RFC 7396) ------------------------------------------------------------------


def test_patch_changes_one_field_and_keeps_the_others(api: Api) -> None:
    item_id = api.create({"a": 1, "b": 1}).json()["id"]

    response = api.request("PATCH", f"/items/{item_id}", {"b": 3}, headers=PATCH)

    assert response.status == 200
    assert response.json()["data"] == {"a": 1, "b": 3}
    assert response.headers["ETag"] == f'"{response.json()["timestamp"]}"'
    assert api.request("GET", f"/items/{item_id}").json() == response.json()
    assert [v["data"] for v in api.versions(item_id)] == [{"a": 1, "b": 3}, {"a": 1, "b": 1}]


def test_patch_null_removes_nested_objects_merge_and_arrays_are_replaced(api: Api) -> None:
    item_id = api.create(
        {"title": "Goodbye!", "author": {"given": "John", "family": "Doe"}, "tags": ["a", "b"]}
    ).json()["id"]

    # RFC 7396's own example, section 3.
    response = api.request(
        "PATCH",
        f"/items/{item_id}",
        {"title": "Hello!", "author": {"family": None}, "tags": ["c"], "phone": "+01"},
        headers=PATCH,
    )

    assert response.json()["data"] == {
        "title": "Hello!",
        "author": {"given": "John"},
        "tags": ["c"],
        "phone": "+01",
    }


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
def test_patch_with_another_content_type_is_415_and_writes_nothing(
    api: Api, aws: SimpleNamespace, content_type: str | None
) -> None:
    item_id = api.create({"a": 1, "b": 1}).json()["id"]
    headers = {} if content_type is None else {"Content-Type": content_type}

    response = api.request("PATCH", f"/items/{item_id}", {"b": 3}, headers=headers)

    assert (response.status, response.error_code) == (415, "unsupported_media_type")
    assert response.headers["Accept-Patch"] == "application/merge-patch+json"
    assert _versions(aws) == 1


@pytest.mark.parametrize("body", ["[1]", '"x"', "null", "{"])
def test_a_patch_that_is_not_an_object_is_400(api: Api, body: str) -> None:
    item_id = api.create({"a": 1}).json()["id"]

    response = api.request("PATCH", f"/items/{item_id}", body=body, headers=PATCH)

    assert response.status == 400
    assert api.request("GET", f"/items/{item_id}").json()["data"] == {"a": 1}


def test_patch_of_an_unknown_or_deleted_item_is_404(api: Api) -> None:
    item_id = api.create({"a": 1}).json()["id"]
    api.request("DELETE", f"/items/{item_id}")

    for path in (f"/items/{item_id}", "/items/never-was"):
        response = api.request("PATCH", path, {"a": 2}, headers=PATCH)
        assert (response.status, response.error_code) == (404, "not_found")


def test_patch_honours_if_match(api: Api) -> None:
    created = api.create({"a": 1})
    item_id = created.json()["id"]
    api.request("PATCH", f"/items/{item_id}", {"a": 2}, headers=PATCH)

    stale = api.request(
        "PATCH",
        f"/items/{item_id}",
        {"a": 3},
        headers={**PATCH, "If-Match": created.headers["ETag"]},
    )
    assert (stale.status, stale.error_code) == (412, "precondition_failed")
    current = api.request("GET", f"/items/{item_id}").headers["ETag"]
    fresh = api.request(
        "PATCH", f"/items/{item_id}", {"a": 4}, headers={**PATCH, "If-Match": current}
    )
    assert fresh.status == 200
    assert [v["data"]["a"] for v in api.versions(item_id)] == [4, 2, 1]


def test_a_patch_result_that_breaks_the_schema_is_400_and_writes_nothing(
    make_collection: MakeCollection,
) -> None:
    orders = make_collection(
        "orders",
        schema={
            "type": "object",
            "required": ["customer", "total"],
            "properties": {"customer": {"type": "string"}, "total": {"type": "number"}},
        },
    ).api
    item_id = orders.create({"customer": "c1", "total": 10}).json()["id"]

    removed = orders.request("PATCH", f"/orders/{item_id}", {"total": None}, headers=PATCH)
    wrong = orders.request("PATCH", f"/orders/{item_id}", {"total": "ten"}, headers=PATCH)
    fine = orders.request("PATCH", f"/orders/{item_id}", {"total": 12}, headers=PATCH)

    assert (removed.status, removed.error_code) == (400, "invalid_body")
    assert removed.json()["error"]["details"][0]["pointer"] in ("", "/total")
    assert (wrong.status, wrong.error_code) == (400, "invalid_body")
    # It is the merged item that fails, which depends on what is stored: the answer says so.
    merged = "the item this patch makes does not match the collection's schema"
    assert removed.json()["error"]["message"] == wrong.json()["error"]["message"] == merged
    assert fine.json()["data"] == {"customer": "c1", "total": 12}
    assert len(orders.versions(item_id)) == 2


def test_patch_of_an_offloaded_item_reads_it_from_s3(api: Api) -> None:
    item_id = api.create({**BIG, "n": 1}).json()["id"]

    response = api.request("PATCH", f"/items/{item_id}", {"n": 2}, headers=PATCH)

    assert response.status == 200
    assert response.json()["data"] == {**BIG, "n": 2}
    assert api.request("GET", f"/items/{item_id}").json()["data"] == {**BIG, "n": 2}


@pytest.mark.usefixtures("atomic_moto_requests")
def test_concurrent_patches_of_different_fields_all_land(api: Api) -> None:
    item_id = api.create({"base": True}).json()["id"]
    writers = 8
    start = threading.Barrier(writers)

    def write(writer: int) -> int:
        start.wait()
        body = {f"field{writer}": writer}
        return api.request("PATCH", f"/items/{item_id}", body, headers=PATCH).status

    with ThreadPoolExecutor(writers) as pool:
        statuses = list(pool.map(write, range(writers)))

    assert statuses == [200] * writers
    final = api.request("GET", f"/items/{item_id}").json()["data"]
    # A patch that lost a race merged again into the winner's version: none is lost.
    assert final == {"base": True, **{f"field{w}": w for w in range(writers)}}
    assert len(api.versions(item_id)) == writers + 1


# --- PUT with If-None-Match: * ---------------------------------------------------------


def test_put_if_none_match_creates_with_the_client_s_id(api: Api) -> None:
    response = api.request("PUT", "/items/order-42", {"n": 1}, headers={"If-None-Match": "*"})

    assert response.status == 201
    assert response.headers["Location"] == "/prod/items/order-42"
    assert response.headers["ETag"] == f'"{response.json()["timestamp"]}"'
    assert response.json()["id"] == "order-42"
    assert api.request("GET", "/items/order-42").json() == response.json()
    listed = api.request("GET", "/items").json()["items"]
    assert [item["id"] for item in listed] == ["order-42"]


def test_put_if_none_match_on_a_live_item_is_412_and_writes_nothing(
    api: Api, aws: SimpleNamespace
) -> None:
    api.request("PUT", "/items/order-42", {"n": 1}, headers={"If-None-Match": "*"})

    response = api.request("PUT", "/items/order-42", {"n": 2}, headers={"If-None-Match": "*"})

    assert (response.status, response.error_code) == (412, "precondition_failed")
    assert _versions(aws) == 1
    assert api.request("GET", "/items/order-42").json()["data"] == {"n": 1}


def test_put_if_none_match_revives_a_deleted_item_and_continues_its_history(api: Api) -> None:
    api.request("PUT", "/items/order-42", {"n": 1}, headers={"If-None-Match": "*"})
    api.request("DELETE", "/items/order-42")

    response = api.request("PUT", "/items/order-42", {"n": 2}, headers={"If-None-Match": "*"})

    assert response.status == 201
    versions = api.versions("order-42")
    assert [v.get("data", "deleted") for v in versions] == [{"n": 2}, "deleted", {"n": 1}]


def test_put_without_if_none_match_still_404s_for_an_unknown_id(api: Api) -> None:
    response = api.request("PUT", "/items/order-42", {"n": 1})

    assert (response.status, response.error_code) == (404, "not_found")


@pytest.mark.parametrize(
    "headers",
    [{"If-None-Match": '"1700000000000"'}, {"If-None-Match": "*", "If-Match": '"1"'}],
    ids=["an ETag", "with If-Match"],
)
def test_if_none_match_other_than_a_lone_star_is_400(api: Api, headers: dict[str, str]) -> None:
    response = api.request("PUT", "/items/order-42", {"n": 1}, headers=headers)

    assert (response.status, response.error_code) == (400, "invalid_parameter")


@pytest.mark.usefixtures("atomic_moto_requests")
def test_concurrent_creates_of_one_id_make_exactly_one(api: Api, aws: SimpleNamespace) -> None:
    writers = 8
    start = threading.Barrier(writers)

    def write(writer: int) -> int:
        start.wait()
        headers = {"If-None-Match": "*"}
        return api.request("PUT", "/items/order-42", {"w": writer}, headers=headers).status

    with ThreadPoolExecutor(writers) as pool:
        statuses = sorted(pool.map(write, range(writers)))

    assert statuses == [201] + [412] * (writers - 1)
    assert len(api.versions("order-42")) == 1


# --- Idempotency-Key -------------------------------------------------------------------


def _keyed(key: str, **headers: str) -> dict[str, str]:
    return {"Idempotency-Key": key, **headers}


def _same_answer(first: ApiResponse, again: ApiResponse) -> None:
    assert again.status == first.status
    assert again.json() == first.json() if first.body else again.body == ""
    for header in ("ETag", "Location"):
        assert again.headers.get(header) == first.headers.get(header)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers


def test_a_repeated_post_replays_the_first_answer_and_writes_nothing(
    api: Api, aws: SimpleNamespace
) -> None:
    first = api.request("POST", "/items", {"n": 1}, headers=_keyed("k-1"))
    again = api.request("POST", "/items", {"n": 1}, headers=_keyed("k-1"))

    assert first.status == 201
    _same_answer(first, again)
    assert len(api.request("GET", "/items").json()["items"]) == 1
    assert _versions(aws) == 1


def test_every_write_replays(api: Api, aws: SimpleNamespace) -> None:
    item_id = api.create({"n": 0}).json()["id"]
    path = f"/items/{item_id}"
    v0 = int(api.versions(item_id)[0]["timestamp"])
    writes = [
        ("PUT", path, {"n": 1}, {}),
        ("PATCH", path, {"m": 2}, PATCH),
        ("DELETE", path, None, {}),
        ("POST", f"{path}/restore", {"timestamp": v0}, {}),
        ("PUT", "/items/by-client", {"c": 1}, {"If-None-Match": "*"}),
    ]
    for number, (method, target, body, headers) in enumerate(writes):
        key = f"write-{number}"
        first = api.request(method, target, body, headers=_keyed(key, **headers))
        assert first.status in (200, 201, 204), first.body
        before = _versions(aws)

        again = api.request(method, target, body, headers=_keyed(key, **headers))

        _same_answer(first, again)
        assert _versions(aws) == before, method
    assert [v.get("data", "deleted") for v in api.versions(item_id)] == [
        {"n": 0},
        "deleted",
        {"n": 1, "m": 2},
        {"n": 1},
        {"n": 0},
    ]


@contextmanager
def overtaken_by(first: Callable[[], ApiResponse]) -> Iterator[list[ApiResponse]]:
    """Let ``first`` run to the end right after the next request looks its key up and
    finds nothing: a retry that overtook its first attempt, which then committed."""
    answers: list[ApiResponse] = []
    started: list[bool] = []
    real = ItemRepository.claimed

    def claimed(self: ItemRepository, claim: Claim) -> Answer | None:
        found = real(self, claim)
        if not started:  # the first attempt's own lookups run as they are
            started.append(True)
            answers.append(first())
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ItemRepository, "claimed", claimed)
        yield answers
    assert answers, "no key was looked up"


@pytest.mark.parametrize(
    ("method", "headers", "body", "status"),
    [
        ("PUT", {"If-Match": "{version}"}, {"n": 1}, 200),  # was a 412
        ("PATCH", {"If-Match": "{version}", **PATCH}, {"n": 1}, 200),  # was a 412
        ("DELETE", {}, None, 204),  # was a 404
        ("DELETE", {"If-Match": "{version}"}, None, 204),  # was a 412
    ],
)
def test_a_retry_that_overtakes_its_first_attempt_gets_its_answer(
    api: Api,
    aws: SimpleNamespace,
    method: str,
    headers: dict[str, str],
    body: dict[str, int] | None,
    status: int,
) -> None:
    item_id = api.create({"n": 0}).json()["id"]
    version = api.versions(item_id)[0]["timestamp"]
    sent = _keyed("retried", **{k: v.format(version=f'"{version}"') for k, v in headers.items()})

    def send() -> ApiResponse:
        return api.request(method, f"/items/{item_id}", body, headers=sent)

    with overtaken_by(send) as first:
        retry = send()

    assert first[0].status == status
    _same_answer(first[0], retry)
    assert _versions(aws) == 2


def test_a_create_retry_that_overtakes_its_first_attempt_gets_its_201(
    api: Api, aws: SimpleNamespace
) -> None:
    sent = _keyed("retried", **{"If-None-Match": "*"})

    def send() -> ApiResponse:
        return api.request("PUT", "/items/client-id", {"n": 1}, headers=sent)

    with overtaken_by(send) as first:
        retry = send()

    assert first[0].status == 201
    _same_answer(first[0], retry)
    assert _versions(aws) == 1


def test_a_refusal_with_a_key_nobody_used_is_still_a_refusal(api: Api) -> None:
    item_id = api.create({"n": 0}).json()["id"]
    stale = _keyed("stale", **{"If-Match": '"1"'})

    response = api.request("PUT", f"/items/{item_id}", {"n": 1}, headers=stale)

    assert response.status == 412
    assert "Idempotent-Replayed" not in response.headers


def test_a_replay_answers_even_after_the_item_changed(api: Api) -> None:
    """The answer kept is the first one, not the item's state now."""
    item_id = api.create({"n": 0}).json()["id"]
    first = api.request("PUT", f"/items/{item_id}", {"n": 1}, headers=_keyed("k"))
    api.request("PUT", f"/items/{item_id}", {"n": 2})

    again = api.request("PUT", f"/items/{item_id}", {"n": 1}, headers=_keyed("k"))

    _same_answer(first, again)
    assert api.request("GET", f"/items/{item_id}").json()["data"] == {"n": 2}


def test_an_offloaded_write_replays_its_body(api: Api) -> None:
    first = api.request("POST", "/items", BIG, headers=_keyed("big"))
    again = api.request("POST", "/items", BIG, headers=_keyed("big"))

    _same_answer(first, again)
    assert again.json()["data"] == BIG


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/items", {"n": 2}),
        ("PUT", "/items/{id}", {"n": 1}),
        ("POST", "/items/{id}/restore", {"timestamp": 1}),
    ],
    ids=["another body", "another method and path", "another route"],
)
def test_a_key_reused_for_another_request_is_422_and_writes_nothing(
    api: Api, aws: SimpleNamespace, method: str, path: str, body: Any
) -> None:
    item_id = api.request("POST", "/items", {"n": 1}, headers=_keyed("k")).json()["id"]

    response = api.request(method, path.format(id=item_id), body, headers=_keyed("k"))

    assert (response.status, response.error_code) == (422, "idempotency_key_reused")
    assert _versions(aws) == 1


def test_a_refused_request_keeps_no_answer(api: Api, aws: SimpleNamespace) -> None:
    refused = api.request("POST", "/items", body="[1]", headers=_keyed("k"))
    fixed = api.request("POST", "/items", {"n": 1}, headers=_keyed("k"))

    assert refused.status == 400
    assert fixed.status == 201
    assert "Idempotent-Replayed" not in fixed.headers
    assert len(_key_records(aws)) == 1


def test_keys_are_scoped_per_caller(api: Api, aws: SimpleNamespace) -> None:
    answers = []
    for caller in ("arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b", "arn:aws:iam::1:role/a"):
        event = make_event("POST", "/items", body='{"n":1}', headers=_keyed("shared"))
        event["requestContext"]["identity"]["userArn"] = caller
        answers.append(api.invoke(event))

    assert [a.status for a in answers] == [201, 201, 201]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    assert answers[2].json()["id"] == answers[0].json()["id"]
    assert answers[2].headers["Idempotent-Replayed"] == "true"
    assert _versions(aws) == 2


def test_an_assumed_role_is_one_caller_across_its_sessions(api: Api, aws: SimpleNamespace) -> None:
    # botocore names each session anew when it refreshes a role's credentials: a retry
    # after a refresh must still find its key.
    answers = []
    for session in ("botocore-session-1", "botocore-session-2"):
        event = make_event("POST", "/items", body='{"n":1}', headers=_keyed("refresh"))
        arn = f"arn:aws:sts::123456789012:assumed-role/backend/{session}"
        event["requestContext"]["identity"]["userArn"] = arn
        answers.append(api.invoke(event))

    assert [a.status for a in answers] == [201, 201]
    assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert _versions(aws) == 1


def test_keys_are_scoped_per_collection(
    make_collection: MakeCollection, aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two collections in one table, as a subclass could build them: a function reads
    # its variables on its first request, so each is pointed at the table before it.
    orders = make_collection("orders").api
    monkeypatch.setenv("TABLE_NAME", aws.table)
    first = orders.request("POST", "/orders", {"n": 1}, headers=_keyed("k"))
    customers = make_collection("customers").api
    monkeypatch.setenv("TABLE_NAME", aws.table)
    other = customers.request("POST", "/customers", {"n": 1}, headers=_keyed("k"))

    assert (first.status, other.status) == (201, 201)
    assert "Idempotent-Replayed" not in other.headers
    assert len(_key_records(aws)) == 2


def test_an_expired_key_can_be_used_again(
    api: Api, aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "TTL_SECONDS", -1)  # expired as soon as written
    first = api.request("POST", "/items", {"n": 1}, headers=_keyed("k"))
    again = api.request("POST", "/items", {"n": 1}, headers=_keyed("k"))

    assert (first.status, again.status) == (201, 201)
    assert again.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in again.headers
    assert len(_key_records(aws)) == 1  # the expired record was replaced


def test_a_key_is_kept_for_24_hours_by_the_tables_ttl(api: Api, aws: SimpleNamespace) -> None:
    before = int(time.time())
    api.request("POST", "/items", {"n": 1}, headers=_keyed("k"))

    (record,) = _key_records(aws)
    assert before + 86_400 <= int(record["expires_at"]["N"]) <= before + 86_400 + 60


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_malformed_key_is_400(api: Api, aws: SimpleNamespace, key: str) -> None:
    response = api.request("POST", "/items", {"n": 1}, headers=_keyed(key))

    assert (response.status, response.error_code) == (400, "invalid_parameter")
    assert _versions(aws) == 0


def test_reads_ignore_the_key(api: Api) -> None:
    item_id = api.create({"n": 1}).json()["id"]

    response = api.request("GET", f"/items/{item_id}", headers=_keyed("x" * 300))

    assert response.status == 200


def test_key_records_never_show_in_lists_queries_or_versions(
    make_collection: MakeCollection,
) -> None:
    orders = make_collection(
        "orders",
        schema={"type": "object", "properties": {"status": {"type": "string"}}},
        indexes={"status": "S"},
    ).api
    item_id = orders.request("POST", "/orders", {"status": "new"}, headers=_keyed("k1")).json()[
        "id"
    ]
    orders.request("PUT", f"/orders/{item_id}", {"status": "paid"}, headers=_keyed("k2"))

    listed = orders.request("GET", "/orders").json()["items"]
    queried = orders.request("GET", "/orders", query={"status": "paid"}).json()["items"]

    assert [item["id"] for item in listed] == [item_id]
    assert [item["id"] for item in queried] == [item_id]
    assert [v["data"]["status"] for v in orders.versions(item_id)] == ["paid", "new"]


@pytest.mark.usefixtures("atomic_moto_requests")
def test_sixteen_concurrent_duplicates_write_once(api: Api, aws: SimpleNamespace) -> None:
    clients = 16
    start = threading.Barrier(clients)

    def post(_: int) -> ApiResponse:
        start.wait()
        return api.request("POST", "/items", {"order": 7}, headers=_keyed("retry-me"))

    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(post, range(clients)))

    done = [a for a in answers if a.status == 201]
    busy = [a for a in answers if a.status == 409]
    assert len(done) + len(busy) == clients, [a.status for a in answers]
    assert all(a.error_code == "request_in_progress" and a.headers["Retry-After"] for a in busy)
    assert len({a.body for a in done}) == 1
    assert len({a.headers["Location"] for a in done}) == 1
    assert len(api.request("GET", "/items").json()["items"]) == 1
    assert _versions(aws) == 1
    assert len(_key_records(aws)) == 1
