"""What a request's body and parameters mean: an item's data checked against the
collection's schema, a merge patch's result, a restore's body, ``as_of`` instants,
version timestamps and page sizes. Each refusal is a 400 naming what is wrong.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from . import codec, patches, schema
from .codec import Document, Json
from .documents import ItemBody, parse_body
from .errors import Detail, InvalidBody, InvalidParameter, PayloadTooLarge
from .http import MAX_RESPONSE_BODY_BYTES, Request, body_bytes, response_size

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
_LIMIT = re.compile(r"[0-9]{1,3}")
# A version's timestamp, or an instant, in epoch milliseconds (year 2286 has 14 digits).
_EPOCH_MS = re.compile(r"[0-9]{1,16}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A PATCH whose merged item the collection's schema refuses.
MERGED_MESSAGE = "the item this patch makes does not match the collection's schema"
_RESTORE_BODY = 'the body must be {"timestamp": <a version\'s timestamp>}'
# Room for the id, timestamp and list envelope around an item's data.
ENVELOPE_BYTES = 2048


def merged_body(current: Document, patch: Json) -> ItemBody:
    """The item ``patch`` makes of ``current``, checked; a schema refusal says it is the
    merged item that does not match (it depends on what is stored, as a 412 does)."""
    try:
        return checked_body(codec.dumps(patches.merge(current, patch)).encode("ascii"))
    except InvalidBody as error:
        if error.message != schema.MESSAGE:
            raise
        raise InvalidBody(MERGED_MESSAGE, error.details) from None


def item_body(request: Request) -> ItemBody:
    return checked_body(body_bytes(request))


def checked_body(raw: bytes) -> ItemBody:
    """``raw`` as an item's data: storable, returnable and valid for the schema."""
    body = parse_body(raw)
    # Refuse what could be stored but never read back through Lambda's 6 MB limit.
    if response_size(codec.readable(body.text)) + ENVELOPE_BYTES > MAX_RESPONSE_BODY_BYTES:
        raise PayloadTooLarge("the item would be too large to return; send less data")
    collection_schema = schema.load()
    if collection_schema is not None:
        collection_schema.check(body.data)
    return body


def instant(value: str) -> int:
    """``as_of`` in epoch milliseconds: given so, or as an RFC 3339 date-time."""
    if _EPOCH_MS.fullmatch(value):
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidParameter(
            "as_of must be epoch milliseconds or an RFC 3339 date-time with an offset, "
            "such as 2026-03-01T00:00:00Z"
        )
    instant = (moment - _EPOCH) // timedelta(milliseconds=1)
    if instant < 0:
        raise InvalidParameter("as_of must not be before 1970-01-01T00:00:00Z")
    return instant


def version_timestamp(value: str | None) -> int:
    if value is None or not _EPOCH_MS.fullmatch(value) or int(value) < 1:
        raise InvalidParameter("a version's timestamp is a positive integer (epoch ms)")
    return int(value)


def restore_timestamp(request: Request) -> int:
    """The ``timestamp`` of a restore's body ``{"timestamp": <version>}``; a body that is
    not that names each field at fault."""
    body = codec.loads(body_bytes(request))
    if not isinstance(body, dict):
        raise InvalidBody(_RESTORE_BODY, [Detail.at((), "must be an object")])
    details = [Detail.at((key,), "is not allowed") for key in body if key != "timestamp"]
    timestamp = body.get("timestamp")
    if "timestamp" not in body:
        details.append(Detail.at(("timestamp",), "is required"))
    elif (
        not isinstance(timestamp, int | Decimal)
        or isinstance(timestamp, bool)
        or timestamp != int(timestamp)
        or not 1 <= timestamp < 10**16
    ):
        details.append(
            Detail.at(
                ("timestamp",), "must be a version's timestamp: a whole number from 1 to 10^16 - 1"
            )
        )
    if details:
        raise InvalidBody(_RESTORE_BODY, details)
    assert isinstance(timestamp, int | Decimal)
    return int(timestamp)


def page_limit(request: Request) -> int:
    value = request.query.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    if not _LIMIT.fullmatch(value) or not 1 <= int(value) <= MAX_LIMIT:
        raise InvalidParameter(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(value)
