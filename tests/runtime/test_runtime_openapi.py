"""openapi.json is a valid OpenAPI 3.0 document that matches the runtime.

Every response in this suite is also validated against it (see conftest.py).
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from item_service.documents import MAX_DEPTH
from item_service.ids import ID_PATTERN
from item_service.parameters import DEFAULT_LIMIT, MAX_LIMIT
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from .helpers import OPENAPI, Api

METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS")


def test_the_document_is_valid_openapi_3_0() -> None:
    validate(OPENAPI)
    assert OPENAPI["openapi"].startswith("3.0.")


def test_the_published_id_pattern_and_limits_are_the_runtime_s() -> None:
    components = OPENAPI["components"]
    assert components["schemas"]["ItemId"]["pattern"] == f"^{ID_PATTERN.pattern}$"
    limit = components["parameters"]["Limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, MAX_LIMIT, DEFAULT_LIMIT)


@pytest.mark.parametrize("template", sorted(OPENAPI["paths"]))
def test_documented_methods_are_exactly_the_routed_ones(api: Api, template: str) -> None:
    path = template.replace("{id}", "some-id")
    documented = sorted(m.upper() for m in OPENAPI["paths"][template] if m.upper() in METHODS)

    undocumented = [m for m in METHODS if m not in documented]
    allow = {api.request(m, path).headers.get("Allow") for m in undocumented}
    routed = {
        api.request(m, path, {} if m in ("PUT", "POST", "PATCH") else None).status
        for m in documented
    }

    assert allow == {", ".join(documented)}
    assert 405 not in routed


@pytest.mark.parametrize(
    "value",
    ["*", " * ", '"1"', 'W/"1"', '"1", "2"', '"1",W/"2"', "0", "", "abc", '"1a"', '"1",', '*, "1"'],
)
def test_the_published_if_match_pattern_is_the_runtime_s(api: Api, value: str) -> None:
    pattern = OPENAPI["components"]["parameters"]["IfMatch"]["schema"]["pattern"]
    item_id = api.create({}).json()["id"]

    response = api.request("DELETE", f"/items/{item_id}", headers={"If-Match": value})

    assert (response.status != 400) == bool(re.search(pattern, value)), response.body


def _admits(parameter: str, value: str) -> bool:
    """Whether the document's schema of a parameter admits ``value``."""
    schema = OPENAPI["components"]["parameters"][parameter]["schema"]
    return OAS30Validator(schema).is_valid(value)


@pytest.mark.parametrize(
    "timestamp",
    ["0", "00", "1", "0001", "0000000000000001", "9999999999999999", "10000000000000000", "-1"],
)
def test_the_published_version_timestamp_is_the_runtime_s(api: Api, timestamp: str) -> None:
    item_id = api.create({}).json()["id"]

    response = api.request("GET", f"/items/{item_id}/versions/{timestamp}")

    assert response.status in (400, 404), response.body
    assert (response.status == 404) == _admits("VersionTimestamp", timestamp)


@pytest.mark.parametrize("timestamp", [0, 1, 10**16 - 1, 10**16, -1, 1.5, "1", True])
def test_the_published_restore_timestamp_is_the_runtime_s(api: Api, timestamp: object) -> None:
    item_id = api.create({}).json()["id"]
    restore_request = OAS30Validator(
        {"$ref": "#/components/schemas/RestoreRequest", "components": OPENAPI["components"]}
    )

    response = api.request("POST", f"/items/{item_id}/restore", {"timestamp": timestamp})

    assert response.status in (400, 404), response.body
    assert (response.status == 404) == restore_request.is_valid({"timestamp": timestamp})


@pytest.mark.parametrize(
    "instant",
    [
        "0",
        "1772323200000",
        "9999999999999999",
        "10000000000000000",
        "2026-03-01T00:00:00Z",
        "2026-03-01t00:00:00Z",
        "2026-03-01 00:00:00.5+01:00",
        "2026-03-01T00:00Z",
        "2026-03-01T00:00:00.1234567Z",
        "2024-02-29T23:59:59-23:59",
        "2026-04-30T00:00:00Z",
        "1970-01-01T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-01-32T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-03-01T24:00:00Z",
        "2026-03-01T00:60:00Z",
        "2026-03-01T00:00:60Z",
        "2026-03-01T00:00:00+24:00",
        "2026-03-01T00:00:00z",
        "2026-03-01T00:00:00",
        "1969-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z",
    ],
)
def test_the_published_as_of_is_the_runtime_s(api: Api, instant: str) -> None:
    item_id = api.create({}).json()["id"]

    response = api.request("GET", f"/items/{item_id}", query={"as_of": instant})

    assert response.status in (200, 400, 404), response.body
    assert (response.status != 400) == _admits("AsOf", instant)


@pytest.mark.parametrize(
    ("instant", "status"),
    [
        ("2025-02-29T00:00:00Z", 400),
        ("2100-02-29T00:00:00Z", 400),
        ("1970-01-01T00:30:00+01:00", 400),
        ("1970-01-01T05:00:00+01:00", 404),
    ],
)
def test_the_as_of_pattern_knows_leap_years_and_1970_s_offsets(
    api: Api, instant: str, status: int
) -> None:
    """Such instants are refused by the pattern, which is stricter than the runtime on
    1970-01-01 only: there any offset ahead of UTC but +00:00, as its description says."""
    item_id = api.create({}).json()["id"]

    response = api.request("GET", f"/items/{item_id}", query={"as_of": instant})

    assert response.status == status
    assert not _admits("AsOf", instant)
    description = OPENAPI["components"]["parameters"]["AsOf"]["description"]
    assert "on 1970-01-01 any offset ahead of UTC but +00:00" in description


@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # each request only reads
)
@given(
    instant=st.from_regex(
        OPENAPI["components"]["parameters"]["AsOf"]["schema"]["pattern"], fullmatch=True
    )
)
def test_every_as_of_the_pattern_admits_is_read(api: Api, instant: str) -> None:
    """Generated from the pattern itself: not one admitted instant is a 400."""
    response = api.request("GET", "/items/never-created", query={"as_of": instant})

    assert (response.status, response.error_code) == (404, "not_found"), instant


@pytest.mark.parametrize(("if_match", "status"), [('"1"', 400), ("*", 201), (None, 201)])
def test_if_match_with_if_none_match_is_the_documented_400(
    api: Api, if_match: str | None, status: int
) -> None:
    headers = {"If-None-Match": "*", **({"If-Match": if_match} if if_match else {})}

    response = api.request("PUT", "/items/both-conditions", {"a": 1}, headers=headers)

    assert response.status == status, response.body
    put = OPENAPI["paths"]["/items/{id}"]["put"]
    bad = OPENAPI["components"]["responses"][put["responses"]["400"]["$ref"].rsplit("/", 1)[1]]
    assert "If-Match naming ETags together with If-None-Match: *" in bad["description"]
    # The rest of the 400 is every operation's.
    assert bad["description"].startswith(
        OPENAPI["components"]["responses"]["BadRequest"]["description"]
    )


def test_the_published_timestamp_range_is_the_runtime_s(api: Api) -> None:
    timestamp = OPENAPI["components"]["schemas"]["Timestamp"]
    version = OPENAPI["components"]["parameters"]["VersionTimestamp"]["schema"]

    assert (timestamp["minimum"], timestamp["maximum"]) == (1, 10**16 - 1)
    assert version["maxLength"] == len(str(timestamp["maximum"]))


def test_a_merge_patch_admits_members(api: Api) -> None:
    merge_patch = OPENAPI["components"]["schemas"]["MergePatch"]
    item_id = api.create({"a": 1, "b": 2}).json()["id"]

    response = api.request(
        "PATCH",
        f"/items/{item_id}",
        body=json.dumps({"a": None, "c": 3}),
        headers={"Content-Type": "application/merge-patch+json"},
    )

    assert (response.status, response.json()["data"]) == (200, {"b": 2, "c": 3})
    assert merge_patch["additionalProperties"] is True


def test_the_published_nesting_limit_is_the_runtime_s(api: Api) -> None:
    deepest: dict[str, object] = {}
    for _ in range(MAX_DEPTH - 1):
        deepest = {"a": deepest}

    assert api.request("POST", "/items", deepest).status == 201
    assert api.request("POST", "/items", {"a": deepest}).status == 400
    descriptions = (
        OPENAPI["components"]["schemas"]["ItemData"]["description"],
        OPENAPI["components"]["responses"]["BadRequest"]["description"],
    )
    assert all(f" {MAX_DEPTH} levels" in text for text in descriptions)


def test_an_empty_key_is_refused_as_documented(api: Api) -> None:
    response = api.request("POST", "/items", {"": 1})

    assert (response.status, response.error_code) == (400, "invalid_body")
    assert "has an empty key" in OPENAPI["components"]["responses"]["BadRequest"]["description"]
