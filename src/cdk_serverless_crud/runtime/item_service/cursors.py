"""Opaque paging cursors: URL-safe base64 of the position after which a page resumes.

A cursor names its kind (items, an index query, or versions) and what it lists (the
query's attribute and value, the item of the versions), so a cursor from one listing is
refused by another. Decoding re-encodes and compares, so any
tampering that is not a well-formed position is a 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

from .errors import InvalidParameter
from .ids import ID_PATTERN

# A sorted query's cursor holds a sort key (up to 1,024 bytes, JSON-escaped).
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,8192}")
_MAX_TIMESTAMP = 10**38  # DynamoDB numbers have 38 digits


def items_cursor(last_id: str, descending: bool = False) -> str:
    """The cursor resuming the plain listing, ``GET /{collection}``, after ``last_id``
    (with ``order=desc``, before it)."""
    return _encode(["items-desc" if descending else "items", last_id])


def sorted_query_cursor(binding: str, last_id: str, position: str) -> str:
    """The cursor resuming a query of a sorted index (``IndexQuery.binding``) after the
    item ``last_id`` whose sort key is ``position``."""
    return _encode(["query", binding, last_id, position])


def query_cursor(binding: str, last_id: str) -> str:
    """The cursor resuming an index query (``IndexQuery.binding``) after ``last_id``."""
    return _encode(["query", binding, last_id])


def owned_binding(owner: str) -> str:
    """What a cursor of ``owner``'s own listing carries, so that it resumes no other
    listing and no other owner's: a digest of the owner, never the owner itself."""
    return "owned:" + hashlib.sha256(owner.encode("utf-8")).hexdigest()[:16]


def versions_cursor(item_id: str, last_timestamp: int) -> str:
    """The cursor resuming ``GET /{collection}/{id}/versions`` after ``last_timestamp``."""
    return _encode(["versions", item_id, last_timestamp])


def read_items_cursor(cursor: str, descending: bool = False) -> str:
    """The id after which the plain listing resumes; 400 unless it is an items cursor
    of the same order."""
    position = _decode(cursor)
    match position:
        case [str(kind), str(last_id)] if kind == (
            "items-desc" if descending else "items"
        ) and ID_PATTERN.fullmatch(last_id):
            return last_id
    raise _invalid()


def read_sorted_query_cursor(cursor: str, binding: str) -> tuple[str, str]:
    """The id and sort key after which the sorted query ``binding`` resumes; 400 for any
    other cursor. The caller checks that the sort key is the id's and within bounds."""
    position = _decode(cursor)
    match position:
        case ["query", str(cursor_binding), str(last_id), str(sort_key)] if (
            cursor_binding == binding and ID_PATTERN.fullmatch(last_id)
        ):
            return last_id, sort_key
    raise _invalid()


def read_query_cursor(cursor: str, binding: str) -> str:
    """The id after which the index query ``binding`` resumes; 400 for any other cursor."""
    position = _decode(cursor)
    match position:
        case ["query", str(cursor_binding), str(last_id)] if (
            cursor_binding == binding and ID_PATTERN.fullmatch(last_id)
        ):
            return last_id
    raise _invalid()


def read_versions_cursor(cursor: str, item_id: str) -> int:
    """The timestamp after which the versions of ``item_id`` resume; 400 otherwise."""
    position = _decode(cursor)
    match position:
        case ["versions", str(cursor_id), int(timestamp)] if (
            cursor_id == item_id
            and not isinstance(timestamp, bool)
            and 0 < timestamp < _MAX_TIMESTAMP
        ):
            return timestamp
    raise _invalid()


def _encode(position: list[str | int]) -> str:
    text = json.dumps(position, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> object:
    if not _CURSOR.fullmatch(cursor):
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position: object = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _invalid() from None
    # Only the exact encoding we hand out is accepted (no padding or spacing variants).
    if not isinstance(position, list) or _encode(position) != cursor:
        raise _invalid()
    return position


def _invalid() -> InvalidParameter:
    return InvalidParameter("the cursor is not valid for this listing")
