"""Idempotency-Key: a retried write gets the first answer again and writes nothing.

A write's key record goes into the same transaction as its version (repository.py), so
a key is taken exactly when its write is done; there is no "in progress" record to
clean up. Only successful writes are kept: a refused request wrote nothing, and a retry
is judged afresh. Keys are scoped per collection and per caller (``Request.caller``: the
role rather than its session, so a retry after the credentials were refreshed is the same
caller).

A retry can overtake its own first attempt: it finds no key record, the first attempt
commits, and the retry's checks then see the item the first attempt changed (a 412 for
its If-Match, a 404 after its DELETE). Before answering so, the key is looked up again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time

from .errors import (
    IdempotencyKeyReused,
    InvalidParameter,
    KeyClaimed,
    NotFound,
    PreconditionFailed,
    RequestInProgress,
)
from .http import Request, Response, etag, text_response
from .records import KEY_RECORD_PREFIX, Answer, Claim
from .repository import ItemRepository
from .router import Match
from .spaces import space_of

HEADER = "idempotency-key"
#: Answers repeated from a key record carry this header.
REPLAYED = "Idempotent-Replayed"
#: How long a key's answer is kept.
TTL_SECONDS = 24 * 60 * 60
#: The methods a key applies to; it is ignored on reads.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_PARAMETER = re.compile(r"\{([^}]+)\}")


class Idempotency:
    """Runs a collection's writes so that a repeated Idempotency-Key replays."""

    def __init__(
        self, repository: ItemRepository, collection: str, tenancy: str | None = None
    ) -> None:
        """Keep the keys of ``collection`` in ``repository``'s table; with ``tenancy``
        (the claim naming the tenant), each tenant's apart."""
        self._repository = repository
        self._collection = collection
        self._tenancy = tenancy

    def run(self, request: Request, match: Match) -> Response:
        """Answer ``request`` with ``match``'s handler, or with the answer kept for its key."""
        key = request.headers.get(HEADER)
        if key is None or request.method not in WRITE_METHODS:
            return match.handler(request, match.params)
        claim = self.claim(request, match, key)
        repository = self._repository.in_space(space_of(self._tenancy, request.claims))
        kept = repository.claimed(claim)
        if kept is None:
            try:
                return match.handler(dataclasses.replace(request, claim=claim), match.params)
            except KeyClaimed:
                # A concurrent duplicate committed first: answer as it did.
                kept = repository.claimed(claim)
                if kept is None:
                    raise RequestInProgress() from None
            except (NotFound, PreconditionFailed):
                # The item changed since the key was looked up: perhaps by this very
                # request's first attempt, still in flight then. If so, its answer is
                # the one to give, not a 404 or 412 caused by its own write.
                kept = repository.claimed(claim)
                if kept is None:
                    raise
        return self._replay(repository, claim, kept)

    def claim(self, request: Request, match: Match, key: str) -> Claim:
        """The key's record id (collection, caller, key) and the request's fingerprint."""
        if not _KEY.fullmatch(key):
            raise InvalidParameter("Idempotency-Key must be 1 to 255 printable ASCII characters")
        parts = [self._collection, request.caller, key]
        if self._tenancy is not None:  # each tenant's keys apart
            parts.append(request.claims.get(self._tenancy, ""))
        scope = "\n".join(parts)
        path = _PARAMETER.sub(lambda m: match.params.get(m.group(1), ""), match.template)
        request_text = "\n".join(
            (request.method, path, "base64" if request.is_base64 else "text", request.body or "")
        )
        return Claim(
            record_id=KEY_RECORD_PREFIX + _digest(scope),
            fingerprint=_digest(request_text),
            expires_at=int(time.time()) + TTL_SECONDS,
        )

    def _replay(self, repository: ItemRepository, claim: Claim, answer: Answer) -> Response:
        if answer.fingerprint != claim.fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request (method, path or "
                "body); use a new key for a new request"
            )
        headers = {REPLAYED: "true"}
        if answer.status == 204:
            return Response(status=204, headers=headers)
        record = repository.version(answer.item_id, answer.timestamp)
        assert record is not None  # written in the key record's own transaction
        version = repository.load(record)
        headers["ETag"] = etag(version.timestamp)
        if answer.location is not None:
            headers["Location"] = answer.location
        return text_response(answer.status, version.to_json(), headers)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
