"""The audit trail (issue 28): every version records who wrote it, from the identity
API Gateway vouches for and from nothing a client sends, and shows it in every answer
that carries the version and in its change event."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from .helpers import Api, make_event
from .test_runtime_change_events import _detail_validator, _events

PATCH = {"Content-Type": "application/merge-patch+json"}
ROLE = "arn:aws:iam::123456789012:role/backend"

#: How API Gateway's request context names a caller, by authorization mode, and the
#: ``written_by`` each gives.
IDENTITIES: dict[str, tuple[Callable[[dict[str, Any], str], None], Callable[[str], str]]] = {
    "iam-user": (
        lambda context, who: context["identity"].update(userArn=f"arn:aws:iam::1:user/{who}"),
        lambda who: f"arn:aws:iam::1:user/{who}",
    ),
    "iam-assumed-role": (
        lambda context, who: context["identity"].update(
            userArn=f"arn:aws:sts::123456789012:assumed-role/{who}/botocore-session-7"
        ),
        lambda who: f"arn:aws:sts::123456789012:assumed-role/{who}",
    ),
    "cognito": (
        lambda context, who: context.update(authorizer={"claims": {"sub": who}}),
        lambda who: who,
    ),
    "custom": (
        lambda context, who: context.update(authorizer={"principalId": who, "org": "acme"}),
        lambda who: who,
    ),
    "api-key": (
        lambda context, who: context["identity"].update(apiKeyId=who),
        lambda who: f"api-key:{who}",
    ),
}


def _as(who: str | None, mode: str, event: dict[str, Any]) -> dict[str, Any]:
    if who is not None:
        IDENTITIES[mode][0](event["requestContext"], who)
    return event


def _call(api: Api, who: str | None, mode: str, method: str, path: str, **kwargs: Any) -> Any:
    return api.invoke(_as(who, mode, make_event(method, path, **kwargs)))


@pytest.mark.parametrize("mode", sorted(IDENTITIES))
def test_each_version_records_who_wrote_it(api: Api, aws: SimpleNamespace, mode: str) -> None:
    shown = IDENTITIES[mode][1]
    created = _call(api, "alice", mode, "POST", "/items", body='{"n": 1}').json()
    path = f"/items/{created['id']}"
    _call(api, "bob", mode, "PUT", path, body='{"n": 2}')
    _call(api, "carol", mode, "PATCH", path, body='{"m": 3}', headers=PATCH)
    _call(api, "dave", mode, "DELETE", path)
    body = json.dumps({"timestamp": int(created["timestamp"])})
    restored = _call(api, "erin", mode, "POST", f"{path}/restore", body=body).json()

    versions = api.request("GET", f"{path}/versions").json()["versions"]
    writers = [version.get("written_by") for version in reversed(versions)]
    assert writers == [shown(who) for who in ("alice", "bob", "carol", "dave", "erin")]
    assert created["written_by"] == shown("alice")
    assert restored["written_by"] == shown("erin")
    assert api.request("GET", path).json()["written_by"] == shown("erin")
    one = api.request("GET", f"{path}/versions/{created['timestamp']}").json()
    assert one["written_by"] == shown("alice")
    sent = _events(aws)
    assert [event["detail"]["written_by"] for event in sent] == writers
    for event in sent:
        _detail_validator().validate(event["detail"])


def test_without_an_identity_nothing_is_recorded(api: Api, aws: SimpleNamespace) -> None:
    created = api.create({"n": 1}).json()

    assert "written_by" not in created
    assert "written_by" not in api.versions(created["id"])[0]
    assert "written_by" not in _events(aws)[0]["detail"]


def test_a_client_cannot_say_who_wrote_a_version(api: Api) -> None:
    """Only the request context counts: not the body, the query or a header."""
    event = make_event(
        "POST",
        "/items",
        body=json.dumps({"written_by": "mallory", "owner": "mallory"}),
        headers={"X-Written-By": "mallory", "X-Amzn-Oidc-Identity": "mallory"},
        query={"written_by": "mallory"},
    )
    event["requestContext"]["identity"]["userArn"] = ROLE
    created = api.invoke(event).json()

    assert created["written_by"] == ROLE
    assert created["data"] == {"written_by": "mallory", "owner": "mallory"}


def test_a_replayed_write_answers_who_wrote_it(api: Api) -> None:
    answers = []
    for session in ("s1", "s2"):
        event = make_event("POST", "/items", body='{"n": 1}', headers={"Idempotency-Key": "k"})
        arn = f"arn:aws:sts::123456789012:assumed-role/backend/{session}"
        event["requestContext"]["identity"]["userArn"] = arn
        answers.append(api.invoke(event))

    assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert answers[1].json() == answers[0].json()
    assert answers[1].json()["written_by"] == "arn:aws:sts::123456789012:assumed-role/backend"
