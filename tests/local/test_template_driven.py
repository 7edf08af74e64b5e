"""Local mode follows the user's props and subclasses, because it reads the template."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator

import pytest

from .conftest import Client, serve_app_source

CUSTOM_APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    from cdk_serverless_crud import ServerlessCrudService


    class ShortCache(ServerlessCrudService):
        def add_routes(self) -> None:
            super().add_routes()
            # A cached route added by a subclass: its path parameter is a cache key.
            echo = self.api.rest_api.root.add_resource("mirror").add_resource("{id}")
            self.api.add_cached_get(echo, self.function.function)


    app = cdk.App()
    stack = cdk.Stack(app, "Custom")
    ShortCache(
        stack,
        "Items",
        tags={"Environment": "test", "Project": "local", "Owner": "qa"},
        stage_name="v1",
        cache_ttl=cdk.Duration.seconds(2),
    )
    app.synth()
    """
)


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    with serve_app_source(tmp_path_factory.mktemp("custom-app"), CUSTOM_APP) as client:
        yield client


def test_stage_name_comes_from_the_template(custom: Client) -> None:
    assert custom.base_url.endswith("/v1")
    assert custom.request("GET", "/items").status == 200
    prod = Client(custom.base_url.removesuffix("/v1") + "/prod")
    assert prod.request("GET", "/items").status == 403


def test_cache_ttl_comes_from_the_template(custom: Client) -> None:
    item = custom.request("POST", "/items", {"v": 1}).json()
    assert custom.request("GET", f"/items/{item['id']}").headers["X-Cache"] == "Miss"
    assert custom.request("GET", f"/items/{item['id']}").headers["X-Cache"] == "Hit"


def test_expired_entries_are_fetched_again(custom: Client) -> None:
    item = custom.request("POST", "/items", {"v": 1}).json()
    custom.request("GET", f"/items/{item['id']}")
    time.sleep(2.1)
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
