"""Local mode serves the template's authorization as far as it can, and says what it skips.

It cannot verify SigV4 signatures or Cognito tokens, so it serves those requests and says
so in one line at startup; for API keys it requires the x-api-key header.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from typing import Any

from cdk_serverless_crud.local.gateway import Gateway, HttpRequest, authorization_notice
from cdk_serverless_crud.local.template import load_api

from .conftest import EXAMPLE_STACK, Synthesized


def _ok(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": "{}"}


def _get(gateway: Gateway, path: str, **headers: str) -> int:
    request = HttpRequest("GET", path, "", tuple(headers.items()), b"")
    return gateway.handle(request)[0].status


def test_iam_is_named_as_not_enforced(example: Synthesized) -> None:
    notice = authorization_notice(load_api(example.outdir, EXAMPLE_STACK))
    assert notice == (
        "Local mode does not enforce AWS_IAM authorization (SigV4 signatures): every request "
        "is served as if authorized."
    )


def test_cognito_is_named_as_not_enforced(example: Synthesized) -> None:
    api = load_api(example.outdir, EXAMPLE_STACK)
    cognito = replace(
        api,
        methods=tuple(replace(m, authorization_type="COGNITO_USER_POOLS") for m in api.methods),
    )
    notice = authorization_notice(cognito)
    assert notice is not None
    assert notice.startswith("Local mode does not enforce COGNITO_USER_POOLS authorization")


def test_api_keys_must_be_present(configurations: Synthesized) -> None:
    api = load_api(configurations.outdir, "ApiKeys")
    assert {m.api_key_required for m in api.methods} == {True}
    gateway = Gateway(api, {f.logical_id: _ok for f in api.functions}, clock=lambda: 0.0)
    assert _get(gateway, "/prod/items") == 403
    assert _get(gateway, "/prod/items", **{"x-api-key": "any"}) == 200
    assert authorization_notice(api) == (
        "Local mode only checks that an x-api-key header is present, not that it is a key of "
        "the usage plan, and applies no quota."
    )


def test_a_public_api_has_no_notice(configurations: Synthesized) -> None:
    assert authorization_notice(load_api(configurations.outdir, "Public")) is None


def test_the_cli_prints_the_notice_once_on_stderr(example: Synthesized) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cdk_serverless_crud.local.cli",
            "local",
            "--cdk-out",
            str(example.outdir),
            "--port",
            "0",
            "--dynamodb",
            "moto",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        assert "Serving ServerlessCrudExample" in process.stdout.readline()
        assert process.stderr.readline().startswith("Local mode does not enforce AWS_IAM")
    finally:
        process.terminate()
        process.wait(timeout=30)
