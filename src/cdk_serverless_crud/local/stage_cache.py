"""The stage's cache cluster: answers per method and cache key, for the method's TTL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .http_types import HttpRequest, HttpResponse
from .rest_api import MethodSpec

#: The largest answer API Gateway caches.
MAX_CACHED_RESPONSE_BYTES = 1024 * 1024

CacheKey = tuple[Any, ...]


@dataclass
class _CacheEntry:
    expires_at: float
    response: HttpResponse


@dataclass
class StageCache:
    """The stage's cache cluster: answers per method and cache key, for the method's TTL."""

    clock: Callable[[], float] = time.monotonic
    _entries: dict[CacheKey, _CacheEntry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: CacheKey) -> HttpResponse | None:
        """A live cached answer, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires_at <= self.clock():
                return None
            return entry.response

    def put(self, key: CacheKey, response: HttpResponse, ttl_seconds: int) -> None:
        """Store an answer unless it is larger than API Gateway caches."""
        if len(response.body) > MAX_CACHED_RESPONSE_BYTES:
            return
        with self._lock:
            self._entries[key] = _CacheEntry(self.clock() + ttl_seconds, response)


def cache_key(
    method: MethodSpec,
    path_params: Mapping[str, str],
    query: list[tuple[str, str]],
    request: HttpRequest,
) -> CacheKey:
    """The key of a request's answer: the method and its declared cache key parameters."""
    values: list[tuple[str, Any]] = []
    for parameter in method.cache_key_parameters:
        _, _, kind, name = parameter.split(".", 3)
        if kind == "path":
            values.append((parameter, path_params.get(name)))
        elif kind == "querystring":
            values.append((parameter, next((v for k, v in reversed(query) if k == name), None)))
        elif kind == "multivaluequerystring":
            values.append((parameter, tuple(v for k, v in query if k == name)))
        elif kind in ("header", "multivalueheader"):
            values.append((parameter, request.header(name)))
    return (method.resource_path, method.http_method, tuple(values))


def wants_fresh(request: HttpRequest) -> bool:
    """Whether the client asks past the cache (``Cache-Control: max-age=0``)."""
    return (request.header("Cache-Control") or "").replace(" ", "") == "max-age=0"
