"""No lost writes: same-millisecond writes, concurrent writers and If-Match."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from item_service import clients, repository

from .helpers import Api


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> int:
    """Every write happens in the same millisecond."""
    now = 1_700_000_000_000
    monkeypatch.setattr(repository, "now_ms", lambda: now)
    return now


def test_writes_in_the_same_millisecond_all_land(api: Api, frozen_clock: int) -> None:
    item_id = api.create({"n": 0}).json()["id"]

    stamps = [
        api.request("PUT", f"/items/{item_id}", {"n": n}).json()["timestamp"] for n in (1, 2, 3)
    ]

    assert stamps == [frozen_clock + 1, frozen_clock + 2, frozen_clock + 3]
    versions = api.versions(item_id)
    assert [v["data"]["n"] for v in versions] == [3, 2, 1, 0]
    assert [v["timestamp"] for v in versions] == [frozen_clock + n for n in (3, 2, 1, 0)]


def test_a_clock_that_goes_back_still_moves_versions_forward(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "now_ms", lambda: 2_000_000_000_000)
    item_id = api.create({"n": 0}).json()["id"]
    monkeypatch.setattr(repository, "now_ms", lambda: 1_000_000_000_000)

    response = api.request("PUT", f"/items/{item_id}", {"n": 1})

    assert response.json()["timestamp"] == 2_000_000_000_001
    assert api.request("GET", f"/items/{item_id}").json()["data"] == {"n": 1}


@pytest.mark.usefixtures("atomic_moto_requests")
def test_concurrent_puts_to_one_item_all_land(api: Api) -> None:
    item_id = api.create({"writer": -1, "n": -1}).json()["id"]
    writers, writes = 20, 5
    start = threading.Barrier(writers)

    def write(writer: int) -> list[int]:
        start.wait()
        return [
            api.request("PUT", f"/items/{item_id}", {"writer": writer, "n": n}).status
            for n in range(writes)
        ]

    with ThreadPoolExecutor(writers) as pool:
        statuses = [s for result in pool.map(write, range(writers)) for s in result]

    assert statuses == [200] * (writers * writes)
    versions = api.versions(item_id)
    assert len(versions) == writers * writes + 1
    written = {(v["data"]["writer"], v["data"]["n"]) for v in versions}
    assert written == {(w, n) for w in range(writers) for n in range(writes)} | {(-1, -1)}
    stamps = [v["timestamp"] for v in versions]
    assert stamps == sorted(set(stamps), reverse=True)  # strictly increasing versions
    # Each writer's own writes land in the order it made them.
    for writer in range(writers):
        mine = [v["data"]["n"] for v in reversed(versions) if v["data"]["writer"] == writer]
        assert mine == list(range(writes))


def test_if_match_with_the_latest_etag_writes(api: Api) -> None:
    created = api.create({"v": 1})
    item_id = created.json()["id"]

    response = api.request(
        "PUT", f"/items/{item_id}", {"v": 2}, headers={"If-Match": created.headers["ETag"]}
    )

    assert response.status == 200
    assert api.request("GET", f"/items/{item_id}").json()["data"] == {"v": 2}


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_if_match_with_a_stale_etag_is_412_and_writes_nothing(api: Api, method: str) -> None:
    created = api.create({"v": 1})
    item_id = created.json()["id"]
    api.request("PUT", f"/items/{item_id}", {"v": 2})

    response = api.request(
        method,
        f"/items/{item_id}",
        {"v": 3} if method == "PUT" else None,
        headers={"If-Match": created.headers["ETag"]},
    )

    assert (response.status, response.error_code) == (412, "precondition_failed")
    assert [v["data"] for v in api.versions(item_id)] == [{"v": 2}, {"v": 1}]
    assert api.request("GET", f"/items/{item_id}").json()["data"] == {"v": 2}


@pytest.mark.parametrize(
    ("if_match", "status"),
    [("*", 200), ('"1", {etag}', 200), ("W/{etag}", 412), (" {etag} ", 200)],
)
def test_if_match_forms(api: Api, if_match: str, status: int) -> None:
    created = api.create({"v": 1})
    item_id = created.json()["id"]

    response = api.request(
        "PUT",
        f"/items/{item_id}",
        {"v": 2},
        headers={"If-Match": if_match.format(etag=created.headers["ETag"])},
    )

    assert response.status == status


@pytest.fixture
def racing_writer(api: Api) -> Iterator[list[str]]:
    """Before the runtime's next transaction, another client writes the same item."""
    items: list[str] = []

    def write_first(params: dict[str, Any], **_: Any) -> None:
        if items:
            item_id = items.pop()
            assert api.request("PUT", f"/items/{item_id}", {"by": "racer"}).status == 200

    events = clients.dynamodb().meta.events
    events.register("before-call.dynamodb.TransactWriteItems", write_first)
    yield items
    events.unregister("before-call.dynamodb.TransactWriteItems", write_first)


def test_a_lost_race_is_retried_without_losing_either_write(
    api: Api, racing_writer: list[str]
) -> None:
    item_id = api.create({"by": "creator"}).json()["id"]
    racing_writer.append(item_id)

    response = api.request("PUT", f"/items/{item_id}", {"by": "me"})

    assert response.status == 200
    assert [v["data"]["by"] for v in api.versions(item_id)] == ["me", "racer", "creator"]


def test_a_lost_race_under_if_match_is_412_and_writes_nothing(
    api: Api, racing_writer: list[str]
) -> None:
    created = api.create({"by": "creator"})
    item_id = created.json()["id"]
    racing_writer.append(item_id)

    response = api.request(
        "PUT", f"/items/{item_id}", {"by": "me"}, headers={"If-Match": created.headers["ETag"]}
    )

    assert response.status == 412
    assert [v["data"]["by"] for v in api.versions(item_id)] == ["racer", "creator"]


def test_a_writer_out_of_time_answers_503_and_writes_nothing(
    api: Api, racing_writer: list[str]
) -> None:
    item_id = api.create({"by": "creator"}).json()["id"]
    racing_writer.append(item_id)
    # One second left is all the answer margin: no time for a retry.
    hurried = Api(remaining_ms=1_000)

    response = hurried.request("PUT", f"/items/{item_id}", {"by": "me"})

    assert (response.status, response.error_code) == (503, "too_much_contention")
    assert response.headers["Retry-After"] == "1"
    assert [v["data"]["by"] for v in api.versions(item_id)] == ["racer", "creator"]
