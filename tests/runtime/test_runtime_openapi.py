"""openapi.json is a valid OpenAPI 3.0 document that matches the runtime.

Every response in this suite is also validated against it (see conftest.py).
"""

from __future__ import annotations

import re

import pytest
from item_service.ids import ID_PATTERN
from item_service.service import DEFAULT_LIMIT, MAX_LIMIT
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
