"""Local mode gives the function the caller a deployed stage would have verified
(issue 28): an IAM caller from the SigV4 credential's access key id, a Cognito user from
the token's claims. It verifies neither, as its startup notice says."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdk_serverless_crud.local.server import RunningService

from .conftest import Client, serve


def _sigv4(access_key: str) -> dict[str, str]:
    """What ``curl --aws-sigv4 ... --user <access_key>:<secret>`` sends, less a valid
    signature: local mode reads the credential and checks nothing."""
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/20261207/eu-west-1/"
        "execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        "X-Amz-Date": "20261207T120000Z",
    }


def _token(claims: dict[str, object]) -> str:
    """An unsigned JWT with ``claims``, in the shape Cognito issues."""

    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'local'})}.{part(claims)}.c2ln"


@pytest.fixture(scope="module")
def cognito(notes_cdk_out: Path) -> Iterator[RunningService]:
    """examples/notes: Cognito, access rules on notes, tenants on projects."""
    with serve(notes_cdk_out) as running:
        yield running


def test_an_iam_caller_is_the_access_key_of_its_credential(client: Client) -> None:
    alice = client.request("POST", "/items", {"n": 1}, headers=_sigv4("alice")).json()
    path = f"/items/{alice['id']}"
    client.request("PUT", path, {"n": 2}, headers=_sigv4("bob"))
    unsigned = client.request("PATCH", path, raw=b'{"m": 3}',
                              headers={"Content-Type": "application/merge-patch+json"})  # fmt: skip

    versions = client.request("GET", f"{path}/versions").json()["versions"]
    assert alice["written_by"] == "arn:aws:iam::123456789012:user/alice"
    assert [v.get("written_by") for v in versions] == [
        None,
        "arn:aws:iam::123456789012:user/bob",
        "arn:aws:iam::123456789012:user/alice",
    ]
    assert "written_by" not in unsigned.json()


def test_a_cognito_user_is_the_sub_of_its_token(cognito: RunningService) -> None:
    client = Client(cognito.url)
    token = _token({"sub": "7d1c-alice", "cognito:groups": ["support", "admins"]})

    bearer = client.request(
        "POST", "/notes", {"title": "1"}, headers={"Authorization": f"Bearer {token}"}
    )
    bare = client.request("POST", "/notes", {"title": "2"}, headers={"Authorization": token})
    garbage = client.request("POST", "/notes", {"title": "3"}, headers={"Authorization": "x.y"})

    assert bearer.json()["written_by"] == bare.json()["written_by"] == "7d1c-alice"
    # No identity in it: a collection with access rules answers as a deployed stage.
    assert garbage.gateway_error()[:2] == (401, "unauthorized")


def _as(token_claims: dict[str, object] | None) -> dict[str, str]:
    return {} if token_claims is None else {"Authorization": f"Bearer {_token(token_claims)}"}


ALICE = {"sub": "alice"}
BOB = {"sub": "bob"}
CAROL = {"sub": "carol", "cognito:groups": ["support"]}


def test_access_rules_hold_over_http(cognito: RunningService) -> None:
    """The README's notes: alice's note, bob's 404, support reading it but not changing
    it, and a request without a token answered as a deployed stage answers it."""
    client = Client(cognito.url)
    fresh = {"Cache-Control": "max-age=0"}
    note = client.request("POST", "/notes", {"title": "alice's"}, headers=_as(ALICE)).json()
    path = f"/notes/{note['id']}"
    client.request("POST", "/notes", {"title": "bob's"}, headers=_as(BOB))

    assert note["owner"] == "alice"
    assert client.request("GET", path, headers={**_as(BOB), **fresh}).status == 404
    assert client.request("GET", path, headers={**_as(CAROL), **fresh}).status == 200
    changed = client.request("PUT", path, {"title": "x"}, headers=_as(CAROL))
    assert (changed.status, changed.json()["error"]["code"]) == (403, "forbidden")
    refused = client.request("GET", path)
    assert refused.gateway_error()[:2] == (401, "unauthorized")

    def titles(claims: dict[str, object]) -> set[str]:
        page = client.request("GET", "/notes", headers={**_as(claims), **fresh}).json()
        return {item["data"]["title"] for item in page["items"]}

    assert titles(ALICE) == {"alice's"}
    assert titles(BOB) == {"bob's"}
    assert {"alice's", "bob's"} <= titles(CAROL)  # support reads every note
    # The stage cache keeps each caller's list apart: cached, alice still sees only hers.
    client.request("GET", "/notes", headers=_as(BOB))
    cached = client.request("GET", "/notes", headers=_as(ALICE))
    assert {i["data"]["title"] for i in cached.json()["items"]} == {"alice's"}


def test_two_tenants_never_meet_over_http(cognito: RunningService) -> None:
    client = Client(cognito.url)
    fresh = {"Cache-Control": "max-age=0"}
    acme = {"sub": "alice", "custom:org": "acme"}
    acme_admin = {"sub": "ada", "custom:org": "acme", "cognito:groups": ["admins"]}
    globex_admin = {"sub": "gus", "custom:org": "globex", "cognito:groups": ["admins"]}
    made = client.request("POST", "/projects", {"name": "rocket"}, headers=_as(acme)).json()
    path = f"/projects/{made['id']}"

    assert client.request("GET", path, headers={**_as(acme_admin), **fresh}).status == 200
    assert client.request("GET", path, headers={**_as(globex_admin), **fresh}).status == 404
    listed = client.request("GET", "/projects", headers={**_as(globex_admin), **fresh})
    assert listed.json()["items"] == []
    no_org = client.request("GET", "/projects", headers={**_as({"sub": "x"}), **fresh})
    assert (no_org.status, no_org.json()["error"]["code"]) == (403, "forbidden")


def _cli_token(*options: str) -> str:
    """A token from ``serverless-crud token``, as a developer gets one."""
    cli = Path(sys.executable).parent / "serverless-crud"
    done = subprocess.run([cli, "token", *options], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_cli_s_tokens_act_as_several_users(cognito: RunningService) -> None:
    client = Client(cognito.url)
    alice = {"Authorization": f"Bearer {_cli_token('--sub', 'alice')}"}
    support = {"Authorization": _cli_token("--sub", "sam", "--group", "support")}
    acme = {"Authorization": _cli_token("--sub", "alice", "--claim", "custom:org=acme")}

    note = client.request("POST", "/notes", {"title": "t"}, headers=alice).json()
    project = client.request("POST", "/projects", {"name": "p"}, headers=acme)

    assert (note["owner"], note["written_by"]) == ("alice", "alice")
    assert client.request("GET", f"/notes/{note['id']}", headers=support).status == 200
    assert project.status == 201
    bad = subprocess.run(
        [Path(sys.executable).parent / "serverless-crud", "token", "--sub", "a", "--claim", "x"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "--claim takes NAME=VALUE" in bad.stderr
