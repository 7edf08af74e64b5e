"""Writing item versions: every write appends a version and moves the head.

Writes go through transactions.py's one transaction; reads are reads.py's. Offloaded
bodies are bodies.py's: each write's own S3 object, deleted again if no version ends up
pointing at it (S3 PutObject and DeleteObject). Nothing stored is ever updated or
deleted: a delete is a tombstone version, a restore a new version.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeAlias

from botocore.exceptions import ClientError

from . import codec
from .codec import Document
from .documents import ItemBody
from .errors import (
    KeyClaimed,
    NotFound,
    PreconditionFailed,
    RequestInProgress,
    TooMuchContention,
)
from .indexes import LISTING_SORT_KEY, item_keys, listing_key
from .reads import ItemReads, Page
from .records import Answer, Claim, Content, Record, Version, key_record, version_item
from .transactions import LOST_RACE, cancellation_codes, put_version

__all__ = ["ItemRepository", "Page", "now_ms"]

#: What ``_append``'s ``prepare`` gives: the new version's content (None: a tombstone)
#: and the data its head's index keys come from (None: a tombstone's, none).
Prepared: TypeAlias = "tuple[Content, Document | None]"

# Writers that lose a race re-read the head and retry after a jittered pause.
BACKOFF_BASE_SECONDS = 0.005
BACKOFF_CAP_SECONDS = 0.1


def now_ms() -> int:
    """Wall-clock epoch milliseconds; a version's timestamp is at least this."""
    return time.time_ns() // 1_000_000


class ItemRepository(ItemReads):
    """Reads (ItemReads) and appends item versions; never updates or deletes a record."""

    def create(
        self,
        item_id: str,
        body: ItemBody,
        location: str,
        deadline: float,
        claim: Claim | None = None,
        *,
        made_up: bool = True,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> Version:
        """Write the first version of ``item_id``, answered with 201 and ``location``.

        A ``made_up`` id (POST's) was never used, so no head is read. A client's id
        (``made_up=False``, ``If-None-Match: *``) may have been: a deleted item comes
        back as a new version, and a live one is a 412.
        """
        timestamp, owner = self._append(
            item_id,
            self._once(item_id, body),
            deadline,
            fresh=made_up,
            absent=not made_up,
            claim=claim,
            reply=(201, location),
            writer=writer,
            guard=guard,
        )
        return Version(item_id, timestamp, body.text, writer, owner)

    def update(
        self,
        item_id: str,
        body: ItemBody,
        if_match: frozenset[int] | None,
        deadline: float,
        claim: Claim | None = None,
        *,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> Version:
        """Append a new version to a live item; 404 if none, 412 if If-Match fails."""
        timestamp, owner = self._append(
            item_id,
            self._once(item_id, body),
            deadline,
            if_match=if_match,
            claim=claim,
            writer=writer,
            guard=guard,
        )
        return Version(item_id, timestamp, body.text, writer, owner)

    def patch(
        self,
        item_id: str,
        merged: Callable[[Document], ItemBody],
        if_match: frozenset[int] | None,
        deadline: float,
        claim: Claim | None = None,
        *,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> Version:
        """Append ``merged(latest data)`` to a live item; 404 if none, 412 if If-Match fails.

        A writer that got in first changes what is merged into, so a lost race merges
        again, into the new latest version.
        """
        bodies: list[ItemBody] = []

        def prepare(head: Record | None) -> Prepared:
            assert head is not None
            text = self.load(head).data_json
            assert text is not None  # a live head has data
            current = codec.loads(text.encode("ascii"))
            assert isinstance(current, dict)
            bodies.append(merged(current))
            return self._bodies.content(self._space.key(item_id), bodies[-1]), bodies[-1].data

        timestamp, owner = self._append(
            item_id, prepare, deadline, if_match=if_match, claim=claim, writer=writer, guard=guard
        )
        return Version(item_id, timestamp, bodies[-1].text, writer, owner)

    def delete(
        self,
        item_id: str,
        if_match: frozenset[int] | None,
        deadline: float,
        claim: Claim | None = None,
        *,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> None:
        """Append a tombstone to a live item; 404 if none, 412 if If-Match fails."""
        self._append(
            item_id,
            lambda head: (None, None),
            deadline,
            if_match=if_match,
            claim=claim,
            reply=(204, None),
            writer=writer,
            guard=guard,
        )

    def restore(
        self,
        record: Record,
        restored: Version,
        data: Document,
        if_match: frozenset[int] | None,
        deadline: float,
        claim: Claim | None = None,
        *,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> Version:
        """Append a version with ``record``'s data (``restored`` is ``load(record)``, and
        ``data`` its data); a deleted item comes back.

        An offloaded body is not copied: the new version points at the same S3 object
        version, which is never overwritten. History is only ever appended to.
        """
        timestamp, owner = self._append(
            record.id,
            lambda head: (record.content, data),
            deadline,
            if_match=if_match,
            revive=True,
            claim=claim,
            owned=False,  # the restored version's object: never deleted
            writer=writer,
            guard=guard,
        )
        return Version(record.id, timestamp, restored.data_json, writer, owner)

    def _once(self, item_id: str, body: ItemBody) -> Callable[[Record | None], Prepared]:
        """The content of ``body`` and its data, made on the first call only.

        Only once the first checks pass, so a 404 or 412 leaves no object behind in S3.
        """
        made: list[Prepared] = []

        def prepare(head: Record | None) -> Prepared:
            if not made:
                made.append((self._bodies.content(self._space.key(item_id), body), body.data))
            return made[0]

        return prepare

    def _append(
        self,
        item_id: str,
        prepare: Callable[[Record | None], Prepared],
        deadline: float,
        *,
        if_match: frozenset[int] | None = None,
        revive: bool = False,
        absent: bool = False,
        fresh: bool = False,
        claim: Claim | None = None,
        reply: tuple[int, str | None] = (200, None),
        owned: bool = True,
        writer: str | None = None,
        guard: Callable[[Record], None] | None = None,
    ) -> tuple[int, str | None]:
        """Write a version after the latest one; retry lost races. Return its timestamp
        and the item's owner.

        ``prepare(head)`` gives the new version's content (None: a tombstone) and the data
        its head's index keys come from, after the checks against the latest version
        ``head`` pass. ``guard(head)``, for an item that exists, raises if the caller may
        not make the change (access.py): before If-Match is looked at, so that a caller
        who may not read the item learns nothing of it.
        By default the item must be live (else 404). With ``revive`` a deleted item may
        be written to (a restore); with ``absent`` the item must not be live (else 412);
        ``fresh`` skips reading the head of an id that was just made up. Retries
        continue until ``deadline`` (time.monotonic()), so a busy item gets as many
        attempts as the invocation can afford, then a 503.

        With ``claim``, the key record (answering ``reply``: status and Location) is
        written in the same transaction; if the key is already taken, KeyClaimed.

        With ``owned``, S3 objects in the prepared content were uploaded by this request:
        those that no version ends up pointing at are deleted (see the module's docstring).
        ``writer`` is recorded as the version's ``written_by``, and as the item's ``owner``
        when this version creates it; later versions keep the owner.
        """
        with self._bodies.uploads(owned) as uploads:
            ceiling = BACKOFF_BASE_SECONDS
            while True:
                head = None if fresh else self.latest(item_id)
                if absent or fresh:
                    if head is not None and not head.deleted:
                        raise PreconditionFailed(
                            f"item {item_id} exists; If-None-Match: * only creates an item"
                        )
                elif head is None or (head.deleted and not revive):
                    raise NotFound(f"item {item_id} does not exist")
                if guard is not None and head is not None:
                    guard(head)
                if if_match is not None and (head is None or head.timestamp not in if_match):
                    raise PreconditionFailed(
                        f"item {item_id} is at version {head and head.timestamp}, "
                        "not the one in If-Match"
                    )
                content, data = prepare(head)
                owner = writer if head is None else head.owner
                keys = item_keys(self._settings.indexes, self._space, data, owner, item_id)
                # Strictly after the latest version even if the clock lags or two
                # writes share a millisecond: versions never collide or go back.
                timestamp = now_ms() if head is None else max(now_ms(), head.timestamp + 1)
                # Recorded on every head; looked up (one Query) for a head written before
                # heads recorded it only when the listing is in creation order.
                created_at = timestamp if head is None else head.created_at
                order = self._settings.listing_order
                if order == "created" and head is not None and created_at is None:
                    created_at = self.created_at(head)
                if order != "id" and data is not None:
                    stored_key = self._space.key(item_id)
                    lx = listing_key(order, created_at or timestamp, timestamp, stored_key)
                    keys = {**keys, LISTING_SORT_KEY: {"S": lx}}
                key = None
                if claim is not None:
                    status, location = reply
                    answer = Answer(claim.fingerprint, status, item_id, timestamp, location)
                    key = key_record(claim, answer)
                seen = None if head is None else head.timestamp
                version = version_item(
                    self._space.key(item_id),
                    timestamp,
                    content,
                    change=_change(head, content, revive),
                    previous=seen,
                    written_by=writer,
                    owner=owner,
                )
                uploads.sending(content)
                try:
                    put_version(
                        self._dynamodb,
                        self._settings.table_name,
                        self._space.listing,
                        version,
                        content,
                        keys,
                        seen,
                        key,
                        created_at,
                    )
                except ClientError as error:
                    reasons = cancellation_codes(error)
                    if not LOST_RACE.intersection(reasons):
                        raise
                    uploads.refused(content)
                    key_reason = reasons[2] if claim is not None and len(reasons) > 2 else None
                    if key_reason == "ConditionalCheckFailed":
                        raise KeyClaimed() from None
                else:
                    uploads.kept(content)
                    return timestamp, owner
                # Another writer got in first: pause, then re-read the head (and If-Match).
                pause = random.uniform(0, ceiling)
                if time.monotonic() + pause > deadline:
                    if key_reason == "TransactionConflict":
                        raise RequestInProgress()
                    raise TooMuchContention(f"item {item_id} is being written too often; retry")
                time.sleep(pause)
                ceiling = min(BACKOFF_CAP_SECONDS, ceiling * 2)


def _change(head: Record | None, content: Content, revive: bool) -> str:
    """What a new version with ``content`` after ``head`` does (records.CHANGES)."""
    if revive:
        return "restored"
    if content is None:
        return "deleted"
    if head is None or head.deleted:
        return "created"  # a first version, or If-None-Match: * on a deleted item
    return "updated"
