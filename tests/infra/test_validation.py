"""Bad props fail at construction with a ValueError naming the prop, the value and the rule;
unresolved tokens are left for CloudFormation."""

from collections.abc import Callable, Mapping
from typing import Any, cast

import pytest
from aws_cdk import CfnParameter, Duration
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from cdk_serverless_crud import (
    CachedRestApi,
    CachedRestApiProps,
    ServerlessCrudService,
    TaggedFunctionProps,
    VersionedStoreProps,
)

from .helpers import REQUIRED_TAGS, assert_value_error, new_stack, props, store_bucket


def service(tags: Mapping[str, str] = REQUIRED_TAGS, **kwargs: Any) -> None:
    """Build a service in a fresh stack, with the required tags unless told otherwise."""
    ServerlessCrudService(new_stack(), "Items", tags=tags, **kwargs)


def tagged(**tags: str) -> dict[str, str]:
    return {**REQUIRED_TAGS, **tags}


INVALID: list[tuple[str, Callable[[], object], list[str]]] = [
    (
        "noncurrent version days below 1",
        lambda: VersionedStoreProps(noncurrent_version_expiration_days=0),
        ["VersionedStoreProps.noncurrent_version_expiration_days", "at least 1", "got 0"],
    ),
    (
        "memory below Lambda's minimum",
        lambda: TaggedFunctionProps(memory_size=64),
        ["TaggedFunctionProps.memory_size", "from 128 to 10240 MB", "got 64"],
    ),
    (
        "memory above Lambda's maximum",
        lambda: TaggedFunctionProps(memory_size=10241),
        ["TaggedFunctionProps.memory_size", "from 128 to 10240 MB", "got 10241"],
    ),
    (
        "timeout above 15 minutes",
        lambda: TaggedFunctionProps(timeout=Duration.minutes(16)),
        ["TaggedFunctionProps.timeout", "from 1 to 900", "got 960 seconds"],
    ),
    (
        "timeout of zero",
        lambda: TaggedFunctionProps(timeout=Duration.seconds(0)),
        ["TaggedFunctionProps.timeout", "from 1 to 900", "got 0 seconds"],
    ),
    (
        "function logs kept forever",
        lambda: TaggedFunctionProps(log_retention=logs.RetentionDays.INFINITE),
        ["TaggedFunctionProps.log_retention", "finite", "RetentionDays.INFINITE"],
    ),
    (
        "cache cluster size AWS does not offer",
        lambda: CachedRestApiProps(cache_cluster_size="1"),
        ["CachedRestApiProps.cache_cluster_size", "0.5, 1.6, 6.1, 13.5", "got '1'"],
    ),
    (
        "negative throttling rate",
        lambda: CachedRestApiProps(throttling_rate_limit=-1),
        ["CachedRestApiProps.throttling_rate_limit", "at least 0", "got -1"],
    ),
    (
        "negative throttling burst",
        lambda: CachedRestApiProps(throttling_burst_limit=-5),
        ["CachedRestApiProps.throttling_burst_limit", "at least 0", "got -5"],
    ),
    (
        "access logs kept forever",
        lambda: CachedRestApiProps(access_log_retention=logs.RetentionDays.INFINITE),
        ["CachedRestApiProps.access_log_retention", "finite", "RetentionDays.INFINITE"],
    ),
    (
        "cache TTL above an hour",
        lambda: service(cache_ttl=Duration.seconds(3601)),
        ["cache_ttl", "from 0 to 3600", "got 3601 seconds"],
    ),
    (
        "cache TTL in fractions of a second",
        lambda: service(cache_ttl=Duration.millis(1500)),
        ["cache_ttl", "whole number of seconds", "got 1.5 seconds"],
    ),
    (
        "stage name with a hyphen",
        lambda: service(stage_name="prod-1"),
        ["stage_name", "[A-Za-z0-9_]+", "got 'prod-1'"],
    ),
    (
        "empty stage name",
        lambda: service(stage_name=""),
        ["stage_name", "[A-Za-z0-9_]+", "got ''"],
    ),
    (
        "stage name too long",
        lambda: service(stage_name="s" * 129),
        ["stage_name", "at most 128 characters", "got 'sss"],
    ),
    (
        "stage name on the API alone",
        lambda: CachedRestApi(new_stack(), "Api", stage_name="v 1"),
        ["stage_name", "[A-Za-z0-9_]+", "got 'v 1'"],
    ),
    (
        "missing tag key",
        lambda: service(tags={"Environment": "dev", "Project": "crud"}),
        ["tags is missing Owner", "Environment, Project, Owner", "['Environment', 'Project']"],
    ),
    (
        "reserved tag key prefix",
        lambda: service(tags=tagged(**{"AWS:team": "x"})),
        ["tags key 'AWS:team'", "'aws:' prefix is reserved"],
    ),
    (
        "empty tag key",
        lambda: service(tags=tagged(**{"": "x"})),
        ["tags key", "1 to 128 characters", "got 0 characters in ''"],
    ),
    (
        "tag key too long",
        lambda: service(tags=tagged(**{"k" * 129: "x"})),
        ["tags key", "1 to 128 characters", "got 129 characters"],
    ),
    (
        "tag value too long",
        lambda: service(tags=tagged(Owner="o" * 257)),
        ["tags['Owner']", "0 to 256 characters", "got 257 characters"],
    ),
    (
        "tag value with a character AWS rejects",
        lambda: service(tags=tagged(Owner="team#1")),
        ["tags['Owner'] 'team#1'", "'#'", "letters, numbers, spaces and _ . : / = + - @"],
    ),
    (
        "tag key with a character AWS rejects",
        lambda: service(tags=tagged(**{"cost*center": "1"})),
        ["tags key 'cost*center'", "'*'", "letters, numbers, spaces"],
    ),
    (
        "more tags than a resource holds",
        lambda: service(tags=tagged(**{f"Extra{n}": "x" for n in range(48)})),
        ["tags has 51 tags", "at most 50"],
    ),
]


@pytest.mark.parametrize(
    ("build", "message_parts"),
    [pytest.param(build, parts, id=case) for case, build, parts in INVALID],
)
def test_invalid_props_fail_with_a_clear_message(
    build: Callable[[], object], message_parts: list[str]
) -> None:
    assert_value_error(build, message_parts)


def test_tags_accept_unicode_letters_spaces_and_the_allowed_symbols() -> None:
    service(tags=tagged(Owner="Équipe données", Project="crud_v2 .:/=+-@", Extra=""))


def test_unresolved_tokens_are_left_for_cloudformation() -> None:
    stack = new_stack()
    ttl = CfnParameter(stack, "Ttl", type="Number").value_as_number
    memory = CfnParameter(stack, "Memory", type="Number").value_as_number
    size = CfnParameter(stack, "CacheSize").value_as_string
    owner = CfnParameter(stack, "Owner").value_as_string
    ServerlessCrudService(
        stack,
        "Items",
        tags=tagged(Owner=owner),
        cache_ttl=Duration.seconds(ttl),
        function_props=TaggedFunctionProps(memory_size=cast(int, memory)),
        api_props=CachedRestApiProps(cache_cluster_size=size),
    )
    template = Template.from_stack(stack)
    stage_props = props(template, "AWS::ApiGateway::Stage")
    assert stage_props["CacheClusterSize"] == {"Ref": "CacheSize"}
    assert stage_props["MethodSettings"][0]["CacheTtlInSeconds"] == {"Ref": "Ttl"}
    assert props(template, "AWS::Lambda::Function")["MemorySize"] == {"Ref": "Memory"}
    bucket = store_bucket(template)["Properties"]
    assert {"Key": "Owner", "Value": {"Ref": "Owner"}} in bucket["Tags"]
