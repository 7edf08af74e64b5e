"""``cache_ttl=0`` turns the stage cache off, in local mode as in the template."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest

from .conftest import Client, serve_app_source

UNCACHED_APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    from cdk_serverless_crud import ServerlessCrudService

    app = cdk.App()
    stack = cdk.Stack(app, "Uncached")
    ServerlessCrudService(
        stack,
        "Items",
        tags={"Environment": "test", "Project": "local", "Owner": "qa"},
        cache_ttl=cdk.Duration.seconds(0),
    )
    app.synth()
    """
)


@pytest.fixture(scope="module")
def uncached(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    with serve_app_source(tmp_path_factory.mktemp("uncached-app"), UNCACHED_APP) as client:
        yield client


def test_a_ttl_of_0_answers_every_get_fresh(uncached: Client) -> None:
    created = uncached.request("POST", "/items", {"name": "widget"})
    assert created.status == 201
    item_id = created.json()["id"]
    for path in ("/items", f"/items/{item_id}", f"/items/{item_id}/versions"):
        answers = [uncached.request("GET", path) for _ in range(2)]
        assert [a.status for a in answers] == [200, 200]
        assert [a.headers.get("X-Cache") for a in answers] == [None, None], path


def test_a_ttl_of_0_shows_a_write_at_once(uncached: Client) -> None:
    item_id = uncached.request("POST", "/items", {"name": "before"}).json()["id"]
    assert uncached.request("GET", f"/items/{item_id}").json()["data"] == {"name": "before"}
    current = uncached.request("GET", f"/items/{item_id}")
    updated = uncached.request(
        "PUT", f"/items/{item_id}", {"name": "after"}, headers={"If-Match": current.headers["ETag"]}
    )
    assert updated.status == 200, updated.body
    assert uncached.request("GET", f"/items/{item_id}").json()["data"] == {"name": "after"}
