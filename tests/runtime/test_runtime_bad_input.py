"""Bad input always gets a clear 4xx, never a 5xx, and never writes anything."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import pytest
from item_service.documents import parse_body
from item_service.errors import InvalidBody
from item_service.http import MAX_BODY_BYTES

from .helpers import Api, make_event


def _stored_records(aws: SimpleNamespace) -> int:
    return int(aws.dynamodb.scan(TableName=aws.table, Select="COUNT")["Count"])


def _nested(depth: int, opening: str = "[", inner: str = "1", closing: str = "]") -> str:
    """A JSON object whose containers nest ``depth`` levels (the object is level 1).

    ``opening`` and ``closing`` wrap ``inner`` once per level below the object.
    """
    return '{"a":' + opening * (depth - 1) + inner + closing * (depth - 1) + "}"


#: Objects and arrays 32 levels deep: the pointer to the first one too deep.
TOO_DEEP_AT = {"[": "/a" + "/0" * 30, '{"b":': "/a" + "/b" * 30}


BAD_BODIES = {
    "empty": ("", "invalid_body"),
    "whitespace": ("  \n", "invalid_json"),
    "not json": ("hello", "invalid_json"),
    "truncated": ('{"a": 1', "invalid_json"),
    "trailing garbage": ('{"a": 1} x', "invalid_json"),
    "array": ("[1, 2]", "invalid_body"),
    "string": ('"text"', "invalid_body"),
    "number": ("42", "invalid_body"),
    "null": ("null", "invalid_body"),
    "NaN": ('{"a": NaN}', "invalid_json"),
    "Infinity": ('{"a": Infinity}', "invalid_json"),
    "-Infinity": ('{"a": [-Infinity]}', "invalid_json"),
    "duplicate key": ('{"a": 1, "a": 2}', "invalid_json"),
    "byte order mark": ('\ufeff{"a": 1}', "invalid_json"),
    "32 levels": (_nested(32), "invalid_body"),
    "100000 levels": ("[" * 100_000, "invalid_body"),
    "empty key": ('{"a": {"": 1}}', "invalid_body"),
    "lone surrogate": ('{"a": "\\ud800"}', "invalid_body"),
    "lone surrogate key": ('{"\\udfff": 1}', "invalid_body"),
    "39 digits": ('{"a": 123456789012345678901234567890123456789}', "invalid_body"),
    "39 decimals": ('{"a": 0.123456789012345678901234567890123456789}', "invalid_body"),
    "too big": ('{"a": 1e126}', "invalid_body"),
    "too small": ('{"a": -1e-131}', "invalid_body"),
    "huge exponent": ('{"a": 1e999999999999}', "invalid_body"),
    "5000 digits": ('{"a": ' + "7" * 5000 + "}", "invalid_body"),
}


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize(("body", "code"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_bodies_are_400(
    api: Api, aws: SimpleNamespace, method: str, body: str, code: str
) -> None:
    item_id = api.create({"v": 1}).json()["id"]
    path = "/items" if method == "POST" else f"/items/{item_id}"

    response = api.request(method, path, body=body)

    assert (response.status, response.error_code) == (400, code)
    assert _stored_records(aws) == 2  # the first version and its head, nothing more


def test_a_missing_body_is_400(api: Api) -> None:
    response = api.invoke(make_event("POST", "/items"))

    assert (response.status, response.error_code) == (400, "invalid_body")


def test_invalid_utf8_is_400(api: Api) -> None:
    response = api.request("POST", "/items", body=b'{"a": "\xff\xfe"}')

    assert (response.status, response.error_code) == (400, "invalid_json")


def test_invalid_base64_is_400(api: Api) -> None:
    event = make_event("POST", "/items", body="{}")
    event.update(body="not base64!", isBase64Encoded=True)

    response = api.invoke(event)

    assert (response.status, response.error_code) == (400, "invalid_body")


def test_base64_bodies_are_decoded(api: Api) -> None:
    response = api.request("POST", "/items", body='{"a": 1}', base64_body=True)

    assert response.status == 201
    assert response.json()["data"] == {"a": 1}


@pytest.mark.parametrize("inner", ["[1]", "[]", "{}"])
@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"b":', "}")])
def test_31_levels_of_nesting_are_accepted(
    api: Api, opening: str, closing: str, inner: str
) -> None:
    # 31 levels, the innermost an array or object: DynamoDB counts empty ones too.
    body = json.loads(_nested(30, opening, inner, closing))
    item_id = api.create(body).json()["id"]

    assert api.request("GET", f"/items/{item_id}").json()["data"] == body


@pytest.mark.parametrize("depth", [32, 33, 900, 1_000, 100_000])
@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"b":', "}")])
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_the_first_container_too_deep_is_pointed_at(
    api: Api, aws: SimpleNamespace, method: str, opening: str, closing: str, depth: int
) -> None:
    # Past about 1,000 levels Python's parser gives up, and the text is read for the path.
    item_id = api.create({"v": 1}).json()["id"]
    path = "/items" if method == "POST" else f"/items/{item_id}"

    response = api.request(method, path, body=_nested(depth, opening, "1", closing))

    assert (response.status, response.error_code) == (400, "invalid_body")
    assert response.json()["error"]["details"] == [
        {
            "pointer": TOO_DEEP_AT[opening],
            "message": "level 32 of nesting; an item nests at most 31",
        }
    ]
    assert _stored_records(aws) == 2


def test_the_pointer_names_keys_and_indexes_on_the_way() -> None:
    # Strings holding brackets and commas, escaped keys, and "/" and "~" in keys.
    prefix = '{"s": "[{,]}", "k\\"": [0, {"x": []}], "a/b~": [[], "]", ' + '{"c":' * 28
    parsed = prefix + "[1, [2]]" + "}" * 28 + "]}"
    too_deep_to_parse = prefix + "[1, [" * 100_000
    for body in (parsed, too_deep_to_parse):
        with pytest.raises(InvalidBody) as refused:
            parse_body(body.encode())
        (detail,) = refused.value.details
        assert detail.pointer == "/a~1b~0/2" + "/c" * 28 + "/1"


def test_a_body_offloaded_to_s3_nests_as_deep_as_any(api: Api, aws: SimpleNamespace) -> None:
    # S3 has no nesting limit, but a body is never accepted or refused by its size.
    blob = '"' + "x" * 500_000 + '"'

    assert api.request("POST", "/items", body=_nested(31, "[", blob, "]")).status == 201
    response = api.request("POST", "/items", body=_nested(32, "[", blob, "]"))

    assert (response.status, response.error_code) == (400, "invalid_body")
    assert response.json()["error"]["details"][0]["pointer"] == TOO_DEEP_AT["["]
    assert _stored_records(aws) == 2


# Python 3.12 and later parse 5,000 levels, deeper than the merge may recurse.
@pytest.mark.parametrize("depth", [2, 900, 5_000, 100_000])
def test_a_patch_whose_merge_nests_too_deep_is_400(
    api: Api, aws: SimpleNamespace, depth: int
) -> None:
    item_id = api.create(json.loads(_nested(30, '{"b":', "1", "}"))).json()["id"]
    # The patch nests 30 + depth levels, and so does its merge into the item's 30.
    patch = _nested(30, '{"b":', "[" * depth + "]" * depth, "}")

    response = api.request(
        "PATCH",
        f"/items/{item_id}",
        body=patch,
        headers={"Content-Type": "application/merge-patch+json"},
    )

    assert (response.status, response.error_code) == (400, "invalid_body")
    assert response.json()["error"]["details"][0]["pointer"] == "/a" + "/b" * 29 + "/0"
    assert _stored_records(aws) == 2


@pytest.mark.parametrize("base64_body", [False, True])
def test_bodies_over_6_mb_are_413(api: Api, aws: SimpleNamespace, base64_body: bool) -> None:
    body = '{"a": "' + "x" * (MAX_BODY_BYTES - 8) + '"}'
    assert len(body) == MAX_BODY_BYTES + 1

    response = api.request("POST", "/items", body=body, base64_body=base64_body)

    assert (response.status, response.error_code) == (413, "payload_too_large")
    assert _stored_records(aws) == 0


def test_bodies_that_could_not_be_returned_are_413(api: Api, aws: SimpleNamespace) -> None:
    # 2.5 MB of quotes: a 5 MB body, but every quote is escaped twice on the way out.
    body = json.dumps({"a": '"' * 2_500_000})
    assert len(body) < MAX_BODY_BYTES

    response = api.request("POST", "/items", body=body)

    assert (response.status, response.error_code) == (413, "payload_too_large")
    assert _stored_records(aws) == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonp",
        # A merge patch (or any other JSON dialect) must not replace a whole item.
        "application/merge-patch+json",
        "application/json-patch+json",
        "application/vnd.api+json",
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_non_json_content_types_are_415(
    api: Api, aws: SimpleNamespace, method: str, content_type: str
) -> None:
    item_id = api.create({"a": 1, "b": 1}).json()["id"]
    path = "/items" if method == "POST" else f"/items/{item_id}"

    response = api.request(method, path, {"b": 3}, headers={"Content-Type": content_type})

    assert (response.status, response.error_code) == (415, "unsupported_media_type")
    assert "application/json" in response.json()["error"]["message"]
    assert _stored_records(aws) == 2  # the first version and its head, nothing more
    assert api.request("GET", f"/items/{item_id}").json()["data"] == {"a": 1, "b": 1}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Content-Type": ""},
        {"Content-Type": "application/json"},
        {"content-type": "Application/JSON; Charset=UTF-8"},
        {"Content-Type": 'application/json; charset="utf-8"'},
    ],
)
def test_json_content_types_are_accepted(api: Api, headers: dict[str, str]) -> None:
    assert api.request("POST", "/items", {"a": 1}, headers=headers).status == 201


BAD_IDS = {
    "encoded slash": "/items/a%2Fb",
    "space": "/items/a%20b",
    "non-ASCII": "/items/caf%C3%A9",
    "129 characters": "/items/" + "x" * 129,
    "dot": "/items/a.b",
    "percent": "/items/100%25",
    "empty": "/items/%20",
}


@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/versions")]
)
@pytest.mark.parametrize("path", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_odd_ids_are_400(api: Api, method: str, path: str, suffix: str) -> None:
    response = api.request(method, path + suffix, {"a": 1} if method == "PUT" else None)

    assert (response.status, response.error_code) == (400, "invalid_parameter")


def test_a_missing_path_parameter_is_400(api: Api) -> None:
    response = api.invoke(make_event("GET", "/items/x", path_params={}))

    assert response.status == 400


@pytest.mark.parametrize("limit", ["0", "101", "-1", "1.5", "abc", "", " 5", "1e2", "0x10", "1000"])
@pytest.mark.parametrize("path", ["/items", "/items/{id}/versions"])
def test_bad_limits_are_400(api: Api, path: str, limit: str) -> None:
    item_id = api.create({}).json()["id"]

    response = api.request("GET", path.format(id=item_id), query={"limit": limit})

    assert (response.status, response.error_code) == (400, "invalid_parameter")


def test_unknown_list_parameters_are_ignored(api: Api) -> None:
    # They are not in the route's cache key, so API Gateway would serve a 400 for them
    # from the plain listing's cache entry; the listing ignores them as the cache does.
    plain = api.request("GET", "/items", query={"limit": "2"})
    response = api.request("GET", "/items", query={"limit": "2", "sort": "id"})

    assert (response.status, response.json()) == (200, plain.json())


@pytest.mark.parametrize("limit", ["1", "100", "025"])
def test_limits_from_1_to_100_are_accepted(api: Api, limit: str) -> None:
    assert api.request("GET", "/items", query={"limit": limit}).status == 200


def _b64(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_CURSORS = {
    "garbage": "not a cursor!",
    "empty": "",
    "not base64 of JSON": "AAAA",
    "JSON but not a position": _b64({"id": "x"}),
    "wrong kind": _b64(["pages", "x"]),
    "bad id": _b64(["items", "a/b"]),
    "extra field": _b64(["items", "x", 1]),
    "spacing variant": base64.urlsafe_b64encode(b'["items", "x"]').decode().rstrip("="),
    "padded": base64.urlsafe_b64encode(b'["items","abcd"]').decode() + "==",
    "too long": "A" * 513,
}


@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_bad_item_cursors_are_400(api: Api, cursor: str) -> None:
    response = api.request("GET", "/items", query={"cursor": cursor})

    assert (response.status, response.error_code) == (400, "invalid_parameter")


def _first_cursor(api: Api, path: str) -> str:
    cursor = api.request("GET", path, query={"limit": "1"}).json()["next_cursor"]
    assert cursor
    return str(cursor)


def test_cursors_only_work_for_the_listing_that_issued_them(api: Api) -> None:
    first, second = (api.create({"n": n}).json()["id"] for n in (1, 2))
    for item_id in (first, second):
        api.request("PUT", f"/items/{item_id}", {"n": 3})
    items_cursor = _first_cursor(api, "/items")
    first_versions_cursor = _first_cursor(api, f"/items/{first}/versions")

    for path, cursor in [
        (f"/items/{first}/versions", items_cursor),
        (f"/items/{second}/versions", first_versions_cursor),
        ("/items", first_versions_cursor),
    ]:
        response = api.request("GET", path, query={"cursor": cursor})
        assert (response.status, response.error_code) == (400, "invalid_parameter"), path


@pytest.mark.parametrize(
    "position",
    [
        ["versions", "ID", 0],
        ["versions", "ID", -5],
        ["versions", "ID", "5"],
        ["versions", "ID", True],
        ["versions", "ID", 1.5],
        ["versions", "ID", 10**38],
    ],
)
def test_tampered_version_cursors_are_400(api: Api, position: list[Any]) -> None:
    item_id = api.create({}).json()["id"]
    position[1] = item_id

    response = api.request("GET", f"/items/{item_id}/versions", query={"cursor": _b64(position)})

    assert (response.status, response.error_code) == (400, "invalid_parameter")


@pytest.mark.parametrize("if_match", ["abc", '"12a"', "12", '"1", nope', ""])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_malformed_if_match_is_400(api: Api, method: str, if_match: str) -> None:
    item_id = api.create({}).json()["id"]

    response = api.request(
        method, f"/items/{item_id}", {} if method == "PUT" else None, headers={"If-Match": if_match}
    )

    assert (response.status, response.error_code) == (400, "invalid_parameter")


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"httpMethod": "GET"},
        {
            "httpMethod": "GET",
            "path": "/items",
            "resource": "/items",
            "headers": None,
            "queryStringParameters": None,
            "pathParameters": None,
            "requestContext": None,
        },
        {"httpMethod": "POST", "path": "/items", "body": 12, "headers": {"X": 1}},
        {"httpMethod": "GET", "path": "/items", "queryStringParameters": {"limit": None}},
    ],
)
def test_odd_events_never_raise(api: Api, event: dict[str, Any]) -> None:
    assert api.invoke(event).status < 500
