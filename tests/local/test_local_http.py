"""Local mode over real HTTP: the example app's template served with moto behind it."""

from __future__ import annotations

import http.client
import io
import json
import threading
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from cdk_serverless_crud.local.server import RunningService

from .conftest import Client


def test_crud_flow(client: Client) -> None:
    created = client.request("POST", "/items", {"name": "widget", "price": 1.50})
    assert created.status == 201
    item = created.json()
    assert item["data"] == {"name": "widget", "price": 1.50}
    assert created.headers["ETag"] == f'"{item["timestamp"]}"'
    assert created.headers["Location"].endswith(f"/items/{item['id']}")

    fetched = client.request("GET", f"/items/{item['id']}")
    assert (fetched.status, fetched.json()) == (200, item)
    assert fetched.headers["Content-Type"].startswith("application/json")

    updated = client.request(
        "PUT",
        f"/items/{item['id']}",
        {"name": "widget", "price": 2},
        {"If-Match": created.headers["ETag"]},
    )
    assert updated.status == 200
    assert updated.json()["timestamp"] > item["timestamp"]

    stale = client.request(
        "PUT", f"/items/{item['id']}", {"x": 1}, {"If-Match": created.headers["ETag"]}
    )
    assert stale.status == 412

    assert client.request("DELETE", f"/items/{item['id']}").status == 204
    assert client.request("DELETE", f"/items/{item['id']}").status == 404

    versions = client.request(
        "GET", f"/items/{item['id']}/versions", headers={"Cache-Control": "max-age=0"}
    )
    assert versions.status == 200
    history = versions.json()["versions"]
    assert [v.get("deleted", False) for v in history] == [True, False, False]


def test_numbers_keep_every_digit_through_the_gateway(client: Client) -> None:
    raw = b'{"big": 123456789012345678901234567890, "exact": 0.1000000000000000000001}'
    created = client.request("POST", "/items", raw=raw)
    assert created.status == 201
    data = json.loads(created.body, parse_float=Decimal)["data"]
    assert data == {
        "big": 123456789012345678901234567890,
        "exact": Decimal("0.1000000000000000000001"),
    }


def test_get_is_cached_per_id(client: Client) -> None:
    a = client.request("POST", "/items", {"v": "a"}).json()
    b = client.request("POST", "/items", {"v": "b"}).json()

    first_a = client.request("GET", f"/items/{a['id']}")
    first_b = client.request("GET", f"/items/{b['id']}")
    again_a = client.request("GET", f"/items/{a['id']}")

    assert [r.headers["X-Cache"] for r in (first_a, first_b, again_a)] == ["Miss", "Miss", "Hit"]
    assert first_b.json()["data"] == {"v": "b"}, "one id must never get another id's cached answer"
    assert again_a.json() == first_a.json()


def test_writes_do_not_invalidate_the_cache_but_max_age_zero_fetches_fresh(client: Client) -> None:
    item = client.request("POST", "/items", {"v": 1}).json()
    assert client.request("GET", f"/items/{item['id']}").json()["data"] == {"v": 1}
    client.request("PUT", f"/items/{item['id']}", {"v": 2})

    stale = client.request("GET", f"/items/{item['id']}")
    assert (stale.headers["X-Cache"], stale.json()["data"]) == ("Hit", {"v": 1})

    fresh = client.request("GET", f"/items/{item['id']}", headers={"Cache-Control": "max-age=0"})
    assert (fresh.headers["X-Cache"], fresh.json()["data"]) == ("Miss", {"v": 2})
    refreshed = client.request("GET", f"/items/{item['id']}")
    assert (refreshed.headers["X-Cache"], refreshed.json()["data"]) == ("Hit", {"v": 2})


def test_list_is_cached_per_query_string(client: Client) -> None:
    for n in range(3):
        client.request("POST", "/items", {"n": n})
    one = client.request("GET", "/items?limit=1")
    three = client.request("GET", "/items?limit=3")
    one_again = client.request("GET", "/items?limit=1")
    assert [r.headers["X-Cache"] for r in (one, three, one_again)] == ["Miss", "Miss", "Hit"]
    assert len(one.json()["items"]) == 1
    assert len(three.json()["items"]) == 3


def test_writes_are_never_cached(client: Client) -> None:
    reply = client.request("POST", "/items", {"v": 1})
    assert "X-Cache" not in reply.headers


def test_undefined_paths_answer_403_in_the_envelope(
    client: Client, service: tuple[RunningService, io.StringIO]
) -> None:
    base = service[0].url.rsplit("/", 1)[0]
    for method, url in [
        ("GET", client.base_url + "/nothing-here"),
        ("POST", client.base_url + "/"),
        ("GET", client.base_url + "/items/a/b/c"),
        ("GET", base + "/wrong-stage/items"),
    ]:
        reply = Client(url).request(method, "")
        assert reply.gateway_error() == (
            403,
            "missing_authentication_token",
            "Missing Authentication Token",
        ), (method, url)
        assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


#: Every route's methods, as the contract has them; the rest are 405.
ROUTES = {
    "/items": "GET, POST",
    "/items/abc": "DELETE, GET, PATCH, PUT",
    "/items/abc/versions": "GET",
    "/items/abc/versions/1": "GET",
    "/items/abc/restore": "POST",
}


@pytest.mark.parametrize("path", list(ROUTES))
def test_a_method_a_route_does_not_have_is_405_with_allow(client: Client, path: str) -> None:
    allowed = ROUTES[path].split(", ")
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        if method in allowed:
            continue
        reply = client.request(method, path, raw=b"not even json")
        assert reply.gateway_error() == (
            405,
            "method_not_allowed",
            f"method {method} is not allowed here",
        ), (method, path)
        assert reply.headers["Allow"] == ROUTES[path]
    head = client.request("HEAD", path)
    assert (head.status, head.headers["Allow"], head.body) == (405, ROUTES[path], b"")


def test_bad_input_gets_the_runtime_4xx(client: Client) -> None:
    cases = [
        client.request("POST", "/items", raw=b"{not json"),
        client.request("POST", "/items", raw=b"\xff\xfe"),
        client.request("POST", "/items", raw=b"[1, 2]"),
        client.request("POST", "/items", raw=b'{"x": NaN}'),
        client.request("GET", "/items?limit=0"),
        client.request("GET", "/items?cursor=garbage"),
        client.request("GET", "/items/a%2Fb"),
        client.request("GET", "/items/%C3%A9t%C3%A9"),
        client.request("GET", "/items/" + "x" * 3000),
    ]
    for reply in cases:
        assert 400 <= reply.status < 500, reply
        assert set(reply.json()["error"]) >= {"code", "message"}


def test_concurrent_writers_lose_nothing(client: Client) -> None:
    item = client.request("POST", "/items", {"writer": -1, "n": -1}).json()
    statuses: list[int] = []
    lock = threading.Lock()

    def write(writer: int) -> None:
        for n in range(5):
            reply = client.request("PUT", f"/items/{item['id']}", {"writer": writer, "n": n})
            with lock:
                statuses.append(reply.status)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 40

    seen: list[dict[str, int]] = []
    cursor = ""
    while True:
        page = client.request(
            "GET",
            f"/items/{item['id']}/versions?limit=100{cursor}",
            headers={"Cache-Control": "max-age=0"},
        ).json()
        seen.extend(v["data"] for v in page["versions"])
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert sorted((d["writer"], d["n"]) for d in seen) == sorted(
        [(-1, -1)] + [(w, n) for w in range(8) for n in range(5)]
    )


def test_access_log_lines_use_the_stage_format(
    client: Client, service: tuple[RunningService, io.StringIO]
) -> None:
    running, log = service
    reply = client.request("GET", "/items?limit=2")
    request_id = reply.headers["x-amzn-RequestId"]
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    (entry,) = [line for line in lines if request_id in line.values()]
    assert set(entry) == set(json.loads(running.api.access_log_format or "{}"))
    assert {"GET", "200", "/items"} <= set(entry.values())


def test_64_simultaneous_clients_all_get_answers(client: Client) -> None:
    item = client.request("POST", "/items", {"v": 1}).json()
    url = urlsplit(client.base_url)
    clients = 64
    start = threading.Barrier(clients)
    outcomes: list[object] = []
    lock = threading.Lock()

    def one() -> None:
        start.wait()  # every client connects at once
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
        try:
            connection.request("GET", f"{url.path}/items/{item['id']}")
            response = connection.getresponse()
            response.read()
            outcome: object = response.status
        except OSError as error:  # a reset or refused connection
            outcome = error
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [200] * clients


def test_answers_name_no_server_software(client: Client) -> None:
    answer = client.request("GET", "/items")
    assert answer.status == 200
    assert "Server" not in answer.headers
    assert answer.headers["Date"].endswith(" GMT")


def test_two_mb_of_accented_text_round_trips_as_utf8(client: Client) -> None:
    text = "é" * (1024 * 1024)  # 2 MiB as UTF-8, 6 MiB if written as \u00e9
    body = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")

    created = client.request("POST", "/items", raw=body)
    read = client.request("GET", f"/items/{created.json()['id']}")

    assert created.status == 201, created.body[:200]
    assert read.status == 200
    assert read.json()["data"] == {"text": text}
    assert len(read.body) < 2.1 * 1024 * 1024
    assert read.headers["Content-Type"] == "application/json"
