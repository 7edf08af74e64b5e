"""Local mode follows the user's props and subclasses, because it reads the template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .apps import CUSTOM
from .conftest import Client, serve


class Clock:
    """The stage cache's clock, moved on by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def custom(local_apps_cdk_out: Path, clock: Clock) -> Iterator[Client]:
    """A subclass with a route of its own, stage ``v1`` and a 2 s cache (``apps.CUSTOM``)."""
    with serve(local_apps_cdk_out, stack=CUSTOM, clock=clock) as running:
        yield Client(running.url)


def test_stage_name_comes_from_the_template(custom: Client) -> None:
    assert custom.base_url.endswith("/v1")
    assert custom.request("GET", "/items").status == 200
    prod = Client(custom.base_url.removesuffix("/v1") + "/prod")
    assert prod.request("GET", "/items").status == 403


def test_cache_ttl_comes_from_the_template(custom: Client) -> None:
    item = custom.request("POST", "/items", {"v": 1}).json()
    assert custom.request("GET", f"/items/{item['id']}").headers["X-Cache"] == "Miss"
    assert custom.request("GET", f"/items/{item['id']}").headers["X-Cache"] == "Hit"


def test_expired_entries_are_fetched_again(custom: Client, clock: Clock) -> None:
    item = custom.request("POST", "/items", {"v": 1}).json()
    custom.request("GET", f"/items/{item['id']}")
    clock.now += 1.9
    assert custom.request("GET", f"/items/{item['id']}").headers["X-Cache"] == "Hit"
    clock.now += 0.2
    assert custom.request("GET", f"/items/{item['id']}").headers["X-Cache"] == "Miss"


def test_subclass_routes_are_served_and_cached_per_parameter(custom: Client) -> None:
    first = custom.request("GET", "/mirror/a")
    other = custom.request("GET", "/mirror/b")
    again = custom.request("GET", "/mirror/a")
    # The item runtime has no /mirror route, so it answers its own 404; what matters
    # is that API Gateway routes it, and caches it per id.
    assert [r.status for r in (first, other, again)] == [404, 404, 404]
    assert [r.headers["X-Cache"] for r in (first, other, again)] == ["Miss", "Miss", "Hit"]


def test_undeclared_paths_of_the_custom_app_are_403(custom: Client) -> None:
    assert custom.request("GET", "/mirror").status == 403
