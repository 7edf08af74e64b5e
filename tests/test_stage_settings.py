"""The one reader of a stage's cache settings, shared by the synth check and local mode."""

from typing import Any

import pytest

from cdk_serverless_crud.contract.stage_settings import MethodCaching, method_caching

_EVERY_GET_FOR_60_SECONDS = {
    "ResourcePath": "/*",
    "HttpMethod": "*",
    "CachingEnabled": True,
    "CacheTtlInSeconds": 60,
}


@pytest.mark.parametrize(
    ("settings", "path", "method", "expected"),
    [
        ([], "/items", "GET", (False, 300)),
        (
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "CachingEnabled": True,
                    "CacheTtlInSeconds": 60,
                }
            ],
            "/items",
            "GET",
            (True, 60),
        ),
        (
            [{"ResourcePath": "/*", "HttpMethod": "*", "CachingEnabled": True}],
            "/items",
            "POST",
            (False, 300),
        ),
        (
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "CachingEnabled": True,
                    "CacheTtlInSeconds": 60,
                },
                {"ResourcePath": "/~1items~1{id}", "HttpMethod": "GET", "CachingEnabled": False},
            ],
            "/items/{id}",
            "GET",
            (False, 60),
        ),
        (
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "CachingEnabled": True,
                    "CacheTtlInSeconds": 60,
                },
                {"ResourcePath": "/~1items", "HttpMethod": "GET", "CacheTtlInSeconds": 5},
            ],
            "/items",
            "GET",
            (True, 5),
        ),
    ],
)
def test_method_settings_resolve_as_api_gateway_does(
    settings: list[dict[str, Any]], path: str, method: str, expected: tuple[bool, int]
) -> None:
    stage = {"CacheClusterEnabled": True, "MethodSettings": settings}
    assert method_caching(stage, path, method) == MethodCaching(*expected)


@pytest.mark.parametrize(
    ("stage", "why"),
    [
        ({"MethodSettings": [_EVERY_GET_FOR_60_SECONDS]}, "no cache cluster"),
        (
            {
                "CacheClusterEnabled": True,
                "MethodSettings": [{**_EVERY_GET_FOR_60_SECONDS, "CacheTtlInSeconds": 0}],
            },
            "a TTL of 0",
        ),
    ],
)
def test_nothing_is_cached_without_a_cluster_or_with_a_ttl_of_0(
    stage: dict[str, Any], why: str
) -> None:
    assert not method_caching(stage, "/items", "GET").enabled, why


def test_a_ttl_written_as_a_string_counts() -> None:
    stage = {
        "CacheClusterEnabled": True,
        "MethodSettings": [{**_EVERY_GET_FOR_60_SECONDS, "CacheTtlInSeconds": "5"}],
    }
    assert method_caching(stage, "/items", "GET") == MethodCaching(True, 5)
