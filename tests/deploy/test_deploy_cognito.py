"""The deploy rehearsal with Cognito users: the real CDK CLI deploys a collection with
``access=[Allow.owner(), Allow.group("support").to("read")]`` behind
``Authorization.cognito(user_pool=...)`` into MiniStack, whose authorizer verifies the
ID tokens its own user pool issues.

MiniStack 1.5.33's Cognito authorizer fetches the pool's keys over plain HTTP from its
own port, so it verifies tokens only on an emulator without HTTPS, and so without IAM
(``deploy_local.emulator(secure=False)``): this run checks the authorizer and the access
rules, the main rehearsal the IAM grants.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.release.helpers import load_script

pytestmark = pytest.mark.deploy

deploy_local = load_script("deploy_local")
STACK = "ServerlessCrudCognitoRehearsal"  # example_app/rehearsal.py's
CONTEXT = {"rehearsal:cognito": "true"}
PASSWORD = "Rehearsal-Pass-1"


@dataclass
class Users:
    """The deployed stage and the ID tokens of its users."""

    stage: str
    tokens: dict[str, str]

    def call(self, user: str | None, method: str, path: str, body: object = None) -> Any:
        """(status, JSON body) of a request with ``user``'s ID token, or none."""
        headers = {"Content-Type": "application/json"}
        if user is not None:
            headers["Authorization"] = self.tokens[user]
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.stage}{path}", data=data, method=method, headers=headers
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=60) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Users]:
    workdir = tmp_path_factory.mktemp("cognito-rehearsal")
    with deploy_local.emulator(workdir, secure=False) as running:
        deploy_local.bootstrap(running)
        outputs = deploy_local.deploy(
            running,
            workdir / "cdk-outputs.json",
            assembly=workdir / "cdk.out",
            context=CONTEXT,
            stack=STACK,
        )
        pool = deploy_local.output(outputs, "UserPoolId")
        client = deploy_local.output(outputs, "UserPoolClientId")
        idp = boto3.client(
            "cognito-idp",
            endpoint_url=running.endpoint,
            region_name=deploy_local.REGION,
            aws_access_key_id=deploy_local.ACCESS_KEY,
            aws_secret_access_key="test",
        )
        groups = {"alice": None, "bob": None, "sam": "support"}
        tokens = {user: _id_token(idp, pool, client, user, group) for user, group in groups.items()}
        stage = deploy_local.execute_api_url(running, deploy_local.output(outputs, "NotesApiUrl"))
        # No destroy: the emulator, and everything in it, goes with this block.
        yield Users(stage, tokens)


def _id_token(idp: Any, pool: str, client: str, user: str, group: str | None) -> str:
    """Create ``user`` in the deployed pool (in ``group``), sign in: its ID token."""
    idp.admin_create_user(
        UserPoolId=pool, Username=user, TemporaryPassword=PASSWORD, MessageAction="SUPPRESS"
    )
    idp.admin_set_user_password(UserPoolId=pool, Username=user, Password=PASSWORD, Permanent=True)
    if group is not None:
        idp.admin_add_user_to_group(UserPoolId=pool, Username=user, GroupName=group)
    signed_in = idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
    )
    return str(signed_in["AuthenticationResult"]["IdToken"])


def _sub(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def test_one_cognito_user_cannot_see_or_change_anothers_notes(users: Users) -> None:
    status, created = users.call("alice", "POST", "/notes", {"text": "alice's"})
    assert status == 201, created
    assert created["owner"] == created["written_by"] == _sub(users.tokens["alice"])
    note = f"/notes/{created['id']}"

    assert users.call("alice", "GET", note) == (200, created)
    for method, body in (("GET", None), ("PUT", {"text": "bob's"}), ("DELETE", None)):
        status, refused = users.call("bob", method, note, body)
        assert (status, refused["error"]["code"]) == (404, "not_found"), method
    assert users.call("bob", "GET", "/notes") == (200, {"items": [], "next_cursor": None})

    assert users.call("sam", "GET", note) == (200, created), "support reads every note"
    status, refused = users.call("sam", "PUT", note, {"text": "sam's"})
    assert (status, refused["error"]["code"]) == (403, "forbidden")

    status, refused = users.call(None, "GET", note)
    assert (status, refused["error"]["code"]) == (401, "unauthorized")
    assert users.call("alice", "GET", note) == (200, created), "nothing was written"
