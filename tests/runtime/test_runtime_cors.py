"""With CORS on, every answer of the service carries what a browser needs to read it."""

from __future__ import annotations

import pytest

from .helpers import Api

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
EVIL = "https://evil.example"


def _allow(monkeypatch: pytest.MonkeyPatch, origins: str, credentials: bool = False) -> None:
    """Set what the construct sets; the runtime reads it on its first request."""
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", origins)
    monkeypatch.setenv("CORS_ALLOW_CREDENTIALS", "true" if credentials else "false")


def test_without_cors_answers_carry_no_cors_headers(api: Api) -> None:
    response = api.create({"v": 1})
    assert not [h for h in response.headers if h.startswith("Access-Control-")]
    assert "Vary" not in response.headers


def test_a_single_origin_is_named_on_every_answer_and_etag_is_readable(
    monkeypatch: pytest.MonkeyPatch, api: Api
) -> None:
    _allow(monkeypatch, APP, credentials=True)
    created = api.request("POST", "/items", {"v": 1}, headers={"Origin": APP})
    # An answer cached for a request without Origin must serve the browser too.
    read = api.request("GET", f"/items/{created.json()['id']}")
    for response in (created, read):
        assert response.headers["Access-Control-Allow-Origin"] == APP
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert response.headers["Vary"] == "Origin"
        exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"ETag", "Location"} <= exposed


def test_with_several_origins_the_allowed_request_origin_is_echoed(
    monkeypatch: pytest.MonkeyPatch, api: Api
) -> None:
    _allow(monkeypatch, f"{APP},{ADMIN}")
    for origin in (APP, ADMIN):
        response = api.request("POST", "/items", {"v": 1}, headers={"Origin": origin})
        assert response.status == 201
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert response.headers["Vary"] == "Origin"
        assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_foreign_origin_gets_no_grant_but_its_write_still_happens(
    monkeypatch: pytest.MonkeyPatch, api: Api
) -> None:
    _allow(monkeypatch, f"{APP},{ADMIN}", credentials=True)
    response = api.request("POST", "/items", {"v": 1}, headers={"Origin": EVIL})
    # CORS only decides what a browser may read; authorization decides what may be done.
    assert response.status == 201
    assert response.headers["Vary"] == "Origin"
    assert not [h for h in response.headers if h.startswith("Access-Control-")]


def test_a_wildcard_allows_any_origin_without_vary(
    monkeypatch: pytest.MonkeyPatch, api: Api
) -> None:
    _allow(monkeypatch, "*")
    response = api.request("GET", "/items", headers={"Origin": EVIL})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vary" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_error_answers_carry_the_cors_headers_too(
    monkeypatch: pytest.MonkeyPatch, api: Api
) -> None:
    _allow(monkeypatch, APP)
    bad_json = api.request("POST", "/items", body="{", headers={"Origin": APP})
    missing = api.request("GET", "/items/nope", headers={"Origin": APP})
    assert (bad_json.status, missing.status) == (400, 404)
    for response in (bad_json, missing):
        assert response.headers["Access-Control-Allow-Origin"] == APP
        assert response.json()["error"]["code"]


def test_an_internal_error_still_carries_the_cors_headers(
    monkeypatch: pytest.MonkeyPatch, api: Api
) -> None:
    _allow(monkeypatch, APP)
    monkeypatch.delenv("TABLE_NAME")  # a misconfigured function: the browser should see the 500
    response = api.request("GET", "/items", headers={"Origin": APP})
    assert response.status == 500
    assert response.headers["Access-Control-Allow-Origin"] == APP
