"""Settings read from the environment that the construct sets (see docs/design.md)."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .access import Access, parse_access
from .indexes import Index, parse_attributes, parse_indexes

#: The collection of a function whose ``COLLECTION`` is unset: earlier versions served it.
DEFAULT_COLLECTION = "items"


@dataclass(frozen=True)
class Settings:
    """The collection the function serves, and where it keeps its data."""

    table_name: str
    list_index_name: str
    bucket_name: str
    object_prefix: str
    collection: str
    """The path segment: the routes are ``/<collection>``, ``/<collection>/{id}``..."""
    indexes: tuple[Index, ...]
    """The attributes the list route can query by."""
    attributes: frozenset[str] = frozenset()
    """The schema's other top-level properties: asking to query by one is a 400."""
    event_data_limit: int | None = None
    """With change events that carry data: bodies larger than this (UTF-8 JSON bytes) go
    to S3 even if they would fit in DynamoDB, so every event fits EventBridge's 256 KB."""
    access: Access = field(default_factory=Access)
    """Who may do what (``ACCESS``); no rules: everyone the API lets in."""
    owned_list_index: str | None = None
    """The owners' listing index (``OWNED_LIST_INDEX``), with an owner rule that reads."""
    tenancy: str | None = None
    """The claim that names each caller's tenant (``TENANCY``); None: no tenants."""
    listing_order: str = "id"
    """The plain listing's order (``LISTING_ORDER``): id, created or updated."""

    @property
    def sorted_listing_index(self) -> str | None:
        """The index of the live items in ``listing_order``; None for id order."""
        if self.listing_order == "id":
            return None
        return f"{self.list_index_name}.{self.listing_order}"


@dataclass(frozen=True)
class CorsPolicy:
    """Which browser origins may read the service's answers; none when CORS is off."""

    allow_origins: tuple[str, ...] = ()
    allow_credentials: bool = False


@functools.cache
def settings() -> Settings:
    """Read the settings once per container, on the first request."""
    return settings_from(os.environ)


def settings_from(environ: Mapping[str, str]) -> Settings:
    """The settings a function with the environment ``environ`` reads."""
    return Settings(
        table_name=environ["TABLE_NAME"],
        list_index_name=environ["LIST_INDEX_NAME"],
        bucket_name=environ["BUCKET_NAME"],
        object_prefix=environ["OBJECT_PREFIX"],
        collection=environ.get("COLLECTION") or DEFAULT_COLLECTION,
        indexes=parse_indexes(environ.get("INDEXES", "")),
        attributes=parse_attributes(environ.get("ATTRIBUTES", "")),
        event_data_limit=int(environ["EVENT_DATA_LIMIT"])
        if environ.get("EVENT_DATA_LIMIT")
        else None,
        access=parse_access(environ.get("ACCESS", "")),
        owned_list_index=environ.get("OWNED_LIST_INDEX") or None,
        tenancy=environ.get("TENANCY") or None,
        listing_order=_listing_order(environ.get("LISTING_ORDER") or "id"),
    )


def _listing_order(order: str) -> str:
    if order not in ("id", "created", "updated"):
        raise ValueError(f"LISTING_ORDER must be id, created or updated; got {order!r}")
    return order


@functools.cache
def cors_policy() -> CorsPolicy:
    """Read the CORS policy once per container; absent variables mean CORS is off.

    Unlike :func:`settings` this never raises, so even an answer to a misconfigured
    function carries the CORS headers a browser needs to read it.
    """
    return CorsPolicy(
        allow_origins=_origins(os.environ.get("CORS_ALLOW_ORIGINS", "")),
        allow_credentials=os.environ.get("CORS_ALLOW_CREDENTIALS", "") == "true",
    )


def _origins(value: str) -> tuple[str, ...]:
    """Origins from a comma-separated list, blanks dropped."""
    return tuple(origin.strip() for origin in value.split(",") if origin.strip())


@dataclass(frozen=True)
class EventSettings:
    """What the change events' enrichment function is told (change_events.py)."""

    collection: str
    with_data: bool
    """Whether events carry ``data`` or ``data_ref`` (``ChangeEvents.detail``)."""


@functools.cache
def event_settings() -> EventSettings:
    """Read the enrichment's settings once per container."""
    return EventSettings(
        collection=os.environ.get("COLLECTION") or DEFAULT_COLLECTION,
        with_data=os.environ.get("EVENT_DETAIL", "data") == "data",
    )


@dataclass(frozen=True)
class RefreshSettings:
    """What the cache refresher is told (cache_refresh.py)."""

    api_url: str
    """The stage's URL, such as ``https://abc.execute-api.eu-west-1.amazonaws.com/prod/``."""
    region: str
    origins: tuple[str, ...] = ()
    """The browser origins the stage caches answers apart for (several CORS origins):
    each is refreshed with its own ``Origin``, besides the request without one."""


@functools.cache
def refresh_settings() -> RefreshSettings:
    """Read the cache refresher's settings once per container."""
    return RefreshSettings(
        api_url=os.environ["API_URL"],
        region=os.environ.get("AWS_REGION", "us-east-1"),
        origins=_origins(os.environ.get("REFRESH_ORIGINS", "")),
    )
