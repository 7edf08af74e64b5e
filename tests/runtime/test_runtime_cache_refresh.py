"""The cache refresher: two signed GETs with max-age=0 per event, and two more per origin
the stage caches apart, over real HTTP."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from item_service import cache_refresh, config


class _Stage(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []
    status = 200
    failing_origin: ClassVar[str | None] = None
    """Requests with this Origin are answered 503."""

    def do_GET(self) -> None:
        _Stage.seen.append((self.path, dict(self.headers.items())))
        failing = (
            _Stage.failing_origin is not None and self.headers["Origin"] == _Stage.failing_origin
        )
        self.send_response(503 if failing else _Stage.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Stage]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("API_URL", f"http://127.0.0.1:{server.server_port}/prod/")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    config.refresh_settings.cache_clear()
    _Stage.seen, _Stage.status, _Stage.failing_origin = [], 200, None
    yield _Stage
    server.shutdown()
    config.refresh_settings.cache_clear()


EVENT = {"detail": {"collection": "orders", "id": "order-1", "version": 2, "deleted": False}}


def test_each_event_refreshes_the_item_and_its_first_versions_page_signed(
    stage: type[_Stage],
) -> None:
    answer = cache_refresh.handler(EVENT, None)

    assert answer == {"refreshed": {"/orders/order-1": 200, "/orders/order-1/versions": 200}}
    assert [path for path, _ in stage.seen] == [
        "/prod/orders/order-1",
        "/prod/orders/order-1/versions",
    ]
    for _, headers in stage.seen:
        lowered = {name.lower(): value for name, value in headers.items()}
        assert lowered["cache-control"] == "max-age=0"
        assert lowered["authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
        assert "/eu-west-1/execute-api/aws4_request" in lowered["authorization"]


def test_a_404_is_refreshed_too_but_a_5xx_or_403_is_retried(stage: type[_Stage]) -> None:
    stage.status = 404  # a deleted item's GET: that answer is what gets cached
    assert cache_refresh.handler(EVENT, None)["refreshed"]["/orders/order-1"] == 404
    for status in (500, 403):
        stage.status = status
        with pytest.raises(cache_refresh.RefreshFailed, match=str(status)):
            cache_refresh.handler(EVENT, None)


APP, DEV = "https://app.example.com", "http://localhost:5173"


def test_with_several_origins_each_origins_cached_answer_is_refreshed_too(
    stage: type[_Stage], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Origin is a cache key with several origins: a GET without it refreshes only the
    # entry that browsers never read.
    monkeypatch.setenv("REFRESH_ORIGINS", f"{APP},{DEV}")
    config.refresh_settings.cache_clear()

    answer = cache_refresh.handler(EVENT, None)

    paths = ["/orders/order-1", "/orders/order-1/versions"]
    assert answer["refreshed"] == dict.fromkeys(paths, 200)
    assert answer["refreshed_for_origins"] == {
        origin: dict.fromkeys(paths, 200) for origin in (APP, DEV)
    }
    sent = []
    for path, headers in stage.seen:
        lowered = {name.lower(): value for name, value in headers.items()}
        assert lowered["cache-control"] == "max-age=0"
        signed = lowered["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
        assert ("origin" in signed) is ("origin" in lowered), signed
        sent.append((path, lowered.get("origin")))
    assert sorted(sent, key=repr) == sorted(
        [(f"/prod{path}", origin) for path in paths for origin in (None, APP, DEV)], key=repr
    )


def test_a_failed_refresh_for_an_origin_is_retried_and_names_it(
    stage: type[_Stage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFRESH_ORIGINS", f"{APP},{DEV}")
    config.refresh_settings.cache_clear()
    stage.failing_origin = DEV

    with pytest.raises(cache_refresh.RefreshFailed, match=f"Origin: {DEV}.*answered 503"):
        cache_refresh.handler(EVENT, None)
