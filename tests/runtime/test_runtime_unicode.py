"""Non-ASCII items are sent as UTF-8, and size limits count the bytes really sent."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest
from item_service import codec, http

from .helpers import Api, ApiResponse, make_event

#: 2 MiB of "é" as UTF-8, 6 MiB once written as \u00e9 escapes.
TWO_MB_OF_E = {"text": "é" * (1024 * 1024)}


def _answer_bytes(api: Api, method: str, path: str, data: Any = None) -> int:
    """The size of the handler's answer as Python 3.12+ Lambda runtimes send it."""
    body = json.dumps(data, ensure_ascii=False) if data is not None else None
    result = api.handler(make_event(method, path, body=body), _Context())
    return len(json.dumps(result, ensure_ascii=False).encode("utf-8"))


class _Context:
    aws_request_id = "lambda-request"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def _post(api: Api, data: Any) -> ApiResponse:
    """POST as a client sends JSON: UTF-8, non-ASCII unescaped."""
    return api.request("POST", "/items", body=json.dumps(data, ensure_ascii=False))


def test_two_mb_of_accented_text_round_trips(api: Api) -> None:
    created = _post(api, TWO_MB_OF_E)
    assert created.status == 201, created.body
    item_id = created.json()["id"]

    read = api.request("GET", f"/items/{item_id}")

    assert read.status == 200
    assert read.json()["data"] == TWO_MB_OF_E
    assert "\\u00e9" not in read.body  # sent as itself, 2 bytes each
    assert api.request("GET", "/items").json()["items"][0]["data"] == TWO_MB_OF_E
    assert api.versions(item_id)[0]["data"] == TWO_MB_OF_E
    # What Lambda carries back is about the UTF-8 size, well under its 6 MB.
    assert _answer_bytes(api, "GET", f"/items/{item_id}") < 2.1 * 1024 * 1024


def test_the_answer_limit_counts_utf8_bytes(api: Api) -> None:
    # 6.0 MB as UTF-8 (18 MB as escapes): within a Lambda answer, so it is stored.
    fits = _post(api, {"text": "é" * 3_000_000})
    # 6.28 MB: a body API Gateway and Lambda accept, but no answer could carry it back.
    too_big = _post(api, {"text": "é" * 3_140_000})

    assert fits.status == 201, fits.body
    assert too_big.status == 413
    assert too_big.error_code == "payload_too_large"
    assert "too large to return" in too_big.json()["error"]["message"]
    assert [item["id"] for item in api.request("GET", "/items").json()["items"]] == [
        fits.json()["id"]
    ]


@pytest.mark.parametrize(
    "text",
    [
        "café",
        "日本語のテキスト",
        "emoji 😀 beyond the BMP",
        "controls \x01 and DEL \x7f stay escaped",
        'quotes " and backslashes \\u00e9 are not escapes',
    ],
)
def test_answers_are_the_same_json_value_and_valid_utf8(api: Api, text: str) -> None:
    item_id = _post(api, {"text": text}).json()["id"]

    read = api.request("GET", f"/items/{item_id}")

    read.body.encode("utf-8")  # a lone surrogate would not encode
    assert read.json()["data"] == json.loads(codec.dumps({"text": text}))


def test_response_size_is_what_lambda_sends() -> None:
    for value in ({"a": "é" * 1000}, {"b": 'x"\\y' * 100}, {"c": "😀\x01"}):
        sent = codec.readable(codec.dumps(value))
        answer = json.dumps({"body": sent}, ensure_ascii=False).encode("utf-8")
        assert http.response_size(sent) == len(answer) - len(b'{"body": ""}')


def test_readable_is_the_same_json_with_only_ascii_escapes_left() -> None:
    rng = random.Random(15)
    alphabet = ["a", "u", "é", "日", "😀", "\u2028", '"', "\\", "\\u00e9", "\x01", "\x7f"]
    for _ in range(5000):
        value = {"k": "".join(rng.choices(alphabet, k=rng.randint(0, 12)))}
        text = codec.dumps(value)

        sent = codec.readable(text)

        assert json.loads(sent) == value
        assert codec.readable(sent) == sent
        # What is left escaped is ASCII: controls and DEL, never a letter of a script.
        escapes = re.findall(r"(?<!\\)(?:\\\\)*\\u([0-9a-f]{4})", sent)
        assert all(int(code, 16) < 0x80 for code in escapes), sent
