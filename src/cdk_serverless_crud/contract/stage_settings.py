"""Reads a stage's cache settings the way API Gateway applies them, from CloudFormation.

One pure reader for two callers: the synthesis check that cached GETs key their cache
on every parameter (``cache_keys.py``, on the stage the app is about to deploy) and
local mode (``local/template.py``, on the synthesized template). It imports nothing from
aws-cdk-lib, so local mode starts without Node.js.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_CACHE_TTL_SECONDS = 300
"""API Gateway's TTL for a method whose settings name none."""

_EVERY_RESOURCE = "/*"
_EVERY_METHOD = "*"
_CACHED_BY_DEFAULT = ("GET",)
"""What a stage-wide (``/*/*``) caching switch applies to: only GET, as in API Gateway."""


@dataclass(frozen=True)
class MethodCaching:
    """Whether the stage caches one method's answers, and for how long."""

    enabled: bool
    ttl_seconds: int


def method_setting_path(resource_path: str) -> str:
    """A resource path as a method setting writes it: ``/items/{id}`` is ``/~1items~1{id}``."""
    return "/" + resource_path.replace("/", "~1")


def method_caching(stage: Mapping[str, Any], resource_path: str, http_method: str) -> MethodCaching:
    """How the stage with these CloudFormation ``Properties`` caches ``http_method path``.

    A method caches only with the stage's cache cluster on, caching switched on and a
    TTL above 0. The stage-wide setting applies to GET only; a setting for the method's
    own resource path, for its HTTP method or ``*``, wins over it.
    """
    settings: Sequence[Mapping[str, Any]] = stage.get("MethodSettings") or []
    enabled, ttl = False, DEFAULT_CACHE_TTL_SECONDS
    for setting in settings:
        if _applies(setting, _EVERY_RESOURCE, (_EVERY_METHOD,)):
            enabled = setting.get("CachingEnabled") is True and http_method in _CACHED_BY_DEFAULT
            ttl = _ttl(setting, ttl)
    own_path = method_setting_path(resource_path)
    for setting in settings:
        if _applies(setting, own_path, (http_method, _EVERY_METHOD)):
            enabled = _switch(setting, enabled)
            ttl = _ttl(setting, ttl)
    cluster = stage.get("CacheClusterEnabled") is True
    return MethodCaching(enabled=cluster and enabled and ttl > 0, ttl_seconds=ttl)


def _applies(setting: Mapping[str, Any], path: str, methods: Sequence[str]) -> bool:
    return setting.get("ResourcePath") == path and setting.get("HttpMethod") in methods


def _switch(setting: Mapping[str, Any], current: bool) -> bool:
    value = setting.get("CachingEnabled")
    return value if isinstance(value, bool) else current


def _ttl(setting: Mapping[str, Any], current: int) -> int:
    """The setting's TTL; CloudFormation accepts a number or a string of digits."""
    value = setting.get("CacheTtlInSeconds")
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else current
