"""CORS preflights in local mode: answered from the template, as the deployed stage would.

Two stacks of the shared local apps (``apps.py``): one allowed origin with credentials,
and several origins behind API keys. Local mode serves one app per process at a time, so
each stack is served for one test class only.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cdk_serverless_crud.local.gateway import Gateway, HttpRequest
from cdk_serverless_crud.local.template import TemplateError, load_api

from .apps import ADMIN, APP, DEV, ONE_ORIGIN, SEVERAL_ORIGINS
from .conftest import Client, Reply, serve

FOREIGN = "https://evil.example.net"
RESOURCES = ("/", "/items", "/items/abc", "/items/abc/versions")


@pytest.fixture(scope="module")
def cors_cdk_out(local_apps_cdk_out: Path) -> Path:
    return local_apps_cdk_out


def _serve(cdk_out: Path, stack: str) -> Iterator[Client]:
    with serve(cdk_out, stack=stack) as running:
        yield Client(running.url)


@pytest.fixture(scope="class")
def one_origin(cors_cdk_out: Path) -> Iterator[Client]:
    yield from _serve(cors_cdk_out, ONE_ORIGIN)


@pytest.fixture(scope="class")
def several_origins(cors_cdk_out: Path) -> Iterator[Client]:
    yield from _serve(cors_cdk_out, SEVERAL_ORIGINS)


def preflight(client: Client, path: str, origin: str | None = APP) -> Reply:
    """What a browser sends before a cross-origin PUT with a JSON body."""
    headers = {
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,if-match",
    }
    if origin is not None:
        headers["Origin"] = origin
    return client.request("OPTIONS", path, headers=headers)


def assert_missing_token(reply: Reply) -> None:
    assert reply.gateway_error() == (
        403,
        "missing_authentication_token",
        "Missing Authentication Token",
    )


def assert_not_allowed(reply: Reply, allow: str) -> None:
    status, code, _ = reply.gateway_error()
    assert (status, code, reply.headers["Allow"]) == (405, "method_not_allowed", allow)


class TestOneOriginWithCredentials:
    def test_preflight_gets_the_allowed_origin_and_policy(self, one_origin: Client) -> None:
        reply = preflight(one_origin, "/items/abc")
        assert (reply.status, reply.body) == (204, b"")
        assert reply.headers["Access-Control-Allow-Origin"] == APP
        assert reply.headers["Access-Control-Allow-Credentials"] == "true"
        assert reply.headers["Access-Control-Allow-Methods"] == "OPTIONS,GET,POST,PUT,PATCH,DELETE"
        assert reply.headers["Access-Control-Allow-Headers"] == "Content-Type,If-Match"
        assert reply.headers["Access-Control-Max-Age"] == "300"
        assert reply.headers["Vary"] == "Origin"

    def test_every_resource_answers_preflights(self, one_origin: Client) -> None:
        for path in RESOURCES:
            assert preflight(one_origin, path).status == 204, path

    def test_a_foreign_origin_gets_the_allowed_one_which_browsers_refuse(
        self, one_origin: Client
    ) -> None:
        reply = preflight(one_origin, "/items", origin=FOREIGN)
        assert (reply.status, reply.headers["Access-Control-Allow-Origin"]) == (204, APP)

    def test_paths_without_a_resource_are_still_403(self, one_origin: Client) -> None:
        assert_missing_token(preflight(one_origin, "/nothing"))
        assert_missing_token(preflight(one_origin, "/items/abc/versions/1/more"))

    def test_answers_name_the_origin_and_expose_the_version(self, one_origin: Client) -> None:
        created = one_origin.request("POST", "/items", {"v": 1}, headers={"Origin": APP})
        read = one_origin.request("GET", f"/items/{created.json()['id']}")
        for reply in (created, read):
            assert reply.headers["Access-Control-Allow-Origin"] == APP
            assert reply.headers["Access-Control-Allow-Credentials"] == "true"
            assert "ETag" in reply.headers["Access-Control-Expose-Headers"]

    def test_other_methods_of_a_resource_stay_undefined(self, one_origin: Client) -> None:
        # The root has only its preflight: a GET there is as undefined as before.
        assert_missing_token(one_origin.request("GET", "/"))


class TestSeveralOriginsBehindApiKeys:
    def test_each_allowed_origin_is_echoed(self, several_origins: Client) -> None:
        echoed = [
            preflight(several_origins, "/items", origin).headers["Access-Control-Allow-Origin"]
            for origin in (APP, ADMIN, DEV, ADMIN)
        ]
        assert echoed == [APP, ADMIN, DEV, ADMIN]

    def test_a_foreign_origin_is_not_echoed(self, several_origins: Client) -> None:
        for origin in (FOREIGN, None):
            reply = preflight(several_origins, "/items/abc", origin)
            assert reply.status == 204
            assert reply.headers["Access-Control-Allow-Origin"] == APP
            assert reply.headers["Vary"] == "Origin"

    def test_preflights_need_no_api_key(self, several_origins: Client) -> None:
        assert preflight(several_origins, "/items").status == 204
        forbidden = several_origins.request("GET", "/items", headers={"Origin": ADMIN})
        assert forbidden.gateway_error() == (403, "invalid_api_key", "Forbidden")

    def test_preflights_are_not_cached(self, several_origins: Client) -> None:
        replies = [preflight(several_origins, "/items/abc", o) for o in (ADMIN, DEV)]
        assert [r.headers["Access-Control-Allow-Origin"] for r in replies] == [ADMIN, DEV]
        assert not [r for r in replies if "X-Cache" in r.headers]

    def test_paths_without_a_resource_are_still_403(self, several_origins: Client) -> None:
        assert_missing_token(preflight(several_origins, "/nothing", ADMIN))

    def test_cached_answers_are_kept_apart_per_origin(self, several_origins: Client) -> None:
        key = {"x-api-key": "local"}
        created = several_origins.request("POST", "/items", {"v": 1}, headers=key)
        path = f"/items/{created.json()['id']}"
        replies = [
            several_origins.request("GET", path, headers={**key, "Origin": origin})
            for origin in (ADMIN, DEV, ADMIN)
        ]
        assert [r.headers["X-Cache"] for r in replies] == ["Miss", "Miss", "Hit"]
        assert [r.headers["Access-Control-Allow-Origin"] for r in replies] == [ADMIN, DEV, ADMIN]


def test_an_app_without_cors_answers_preflights_with_405(client: Client) -> None:
    assert_not_allowed(preflight(client, "/items"), "GET, POST")
    assert_not_allowed(preflight(client, "/items/abc"), "DELETE, GET, PATCH, PUT")


def test_the_origin_is_read_under_the_names_the_template_uses(cors_cdk_out: Path) -> None:
    # HTTP/2 clients send "origin"; urllib always sends "Origin", so this is in process.
    gateway = Gateway(load_api(cors_cdk_out, SEVERAL_ORIGINS), {})

    def allowed_origin(name: str) -> str:
        request = HttpRequest("OPTIONS", "/prod/items", "", ((name, DEV),), b"")
        return dict(gateway.handle(request)[0].headers)["Access-Control-Allow-Origin"]

    assert [allowed_origin(name) for name in ("Origin", "origin", "ORIGIN")] == [DEV, DEV, APP]


def test_preflights_are_read_from_the_template(cors_cdk_out: Path) -> None:
    api = load_api(cors_cdk_out, SEVERAL_ORIGINS)
    assert [p.resource_path for p in api.preflights] == [
        "/",
        "/items",
        "/items/{id}",
        "/items/{id}/restore",
        "/items/{id}/versions",
        "/items/{id}/versions/{timestamp}",
    ]
    assert {p.echo_origins for p in api.preflights} == {(ADMIN, DEV)}
    assert {m.http_method for m in api.methods} == {"GET", "POST", "PUT", "PATCH", "DELETE"}


Edit = Callable[[dict[str, Any]], None]


def _set_response_template(response: dict[str, Any]) -> None:
    response["ResponseTemplates"] = {"application/json": '{"allowed": "$input.params()"}'}


def _map_a_request_header(response: dict[str, Any]) -> None:
    parameters = response["ResponseParameters"]
    parameters["method.response.header.Access-Control-Allow-Origin"] = (
        "method.request.header.Origin"
    )


def _add_a_selection_pattern(response: dict[str, Any]) -> None:
    response["SelectionPattern"] = "5\\d{2}"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set_response_template, "response template is not the origin check aws-cdk-lib"),
        (_map_a_request_header, "static header values"),
        (_add_a_selection_pattern, "exactly one integration response and no selection pattern"),
    ],
)
def test_preflights_local_mode_cannot_serve_are_refused(
    cors_cdk_out: Path, tmp_path: Path, edit: Edit, message: str
) -> None:
    cdk_out = shutil.copytree(cors_cdk_out, tmp_path / "cdk.out")
    template_file = cdk_out / f"{ONE_ORIGIN}.template.json"
    template = json.loads(template_file.read_text())
    (method,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::Method"
        and r["Properties"]["HttpMethod"] == "OPTIONS"
        and "Fn::GetAtt" in r["Properties"]["ResourceId"]
    ]
    edit(method["Properties"]["Integration"]["IntegrationResponses"][0])
    template_file.write_text(json.dumps(template))
    with pytest.raises(TemplateError, match=f"OPTIONS /: .*{message}"):
        load_api(cdk_out, ONE_ORIGIN)
