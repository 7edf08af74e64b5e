"""Where one tenant's records are: every key a request reads or writes, from its tenant.

A collection with ``TENANCY`` keeps each tenant's items under keys derived from the
tenant its caller's claim names, so no request can address another tenant's record,
whatever a check does: the item's partition key is ``tenant/<tenant>/<id>`` (an id never
holds a ``/``, and the tenant is percent-encoded, so neither can reach past it), the
listing's partition ``item/<tenant>``, an index key ``<tenant>/<value>``, an offloaded
body's S3 key ``<collection>/tenant/<tenant>/<id>/...``, and the owners' digests, the
Idempotency-Key records and the cursors all include the tenant. Without tenancy every
key is as it always was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import quote, unquote

from .errors import Forbidden
from .records import LISTING

#: What a tenant's partition keys start with, before the percent-encoded tenant.
TENANT_PREFIX = "tenant/"
#: A tenant claim longer than this (UTF-8 bytes) is refused: it is part of every key.
MAX_TENANT_BYTES = 256


@dataclass(frozen=True)
class KeySpace:
    """The keys of one tenant, or of a collection without tenancy (``tenant=None``)."""

    tenant: str | None = None

    @property
    def _encoded(self) -> str:
        assert self.tenant is not None
        return quote(self.tenant, safe="")

    @property
    def prefix(self) -> str:
        """What the item's partition key starts with: ``tenant/<tenant>/``, or nothing."""
        return "" if self.tenant is None else f"{TENANT_PREFIX}{self._encoded}/"

    def key(self, item_id: str) -> str:
        """The partition key of ``item_id`` in this space."""
        return self.prefix + item_id

    def item_id(self, key: str) -> str:
        """The id the API shows for the partition key ``key`` of this space."""
        assert key.startswith(self.prefix), key
        return key[len(self.prefix) :]

    @property
    def listing(self) -> str:
        """The listing index's partition of this space's live items."""
        return LISTING if self.tenant is None else f"{LISTING}/{self._encoded}"

    @property
    def index_prefix(self) -> str:
        """What an attribute index's key starts with: ``<tenant>/``, or nothing."""
        return "" if self.tenant is None else f"{self._encoded}/"

    def owner_scope(self, owner: str) -> str:
        """The owner as the owners' digests take it: within the tenant."""
        return owner if self.tenant is None else json.dumps([self.tenant, owner])

    @property
    def binding(self) -> str:
        """What a cursor of this space carries, so that no other tenant's resumes it."""
        if self.tenant is None:
            return ""
        return hashlib.sha256(self.tenant.encode("utf-8")).hexdigest()[:16]


def space_of(tenancy: str | None, claims: dict[str, str]) -> KeySpace:
    """The space of a request whose verified ``claims`` name its tenant in the claim
    ``tenancy`` (None: the collection has no tenancy). A caller without that claim, or
    with one too long to be part of a key, reaches no tenant: 403."""
    if tenancy is None:
        return KeySpace()
    tenant = claims.get(tenancy, "")
    if not tenant or len(tenant.encode("utf-8", "surrogatepass")) > MAX_TENANT_BYTES:
        raise Forbidden(
            f"this collection's items belong to tenants, named by the {tenancy} claim: "
            f"the caller has no {tenancy} of 1 to {MAX_TENANT_BYTES} bytes"
        )
    return KeySpace(tenant)


def space_of_key(key: str) -> KeySpace:
    """The space a stored partition key ``key`` belongs to: its tenant's, for a key that
    starts with ``tenant/<tenant>/``; else the space without tenants."""
    if not key.startswith(TENANT_PREFIX):
        return KeySpace()
    encoded, _, _ = key[len(TENANT_PREFIX) :].partition("/")
    return KeySpace(unquote(encoded))
