"""Sort keys of sorted indexes (``Index(attribute, sort=...)``): one string per head that
DynamoDB's byte order sorts as the sort attribute's values, then by id.

DynamoDB compares string keys by their UTF-8 bytes, and an index has one sort key, so
the head's ``sx_<attribute>`` is ``<encoded value> + SEPARATOR + <id>``:

- a string (no format) is itself, with each NUL written as NUL 0x01 so that no value
  holds the separator (NUL NUL): the escape keeps the byte order;
- a ``date`` (``2026-03-01``) is itself;
- a ``date-time`` is the instant in UTC, ``YYYY-MM-DDTHH:MM:SS.fffffffffZ`` with nine
  fraction digits, so ``2026-03-01T00:00:00+01:00`` and ``2026-02-28T23:00:00Z`` are one
  key; fractions past the nanosecond are cut;
- a number (``number``, ``integer``) is a sign digit (``0`` negative, ``1`` zero, ``2``
  positive), its decimal exponent plus 500 in three digits, and its significant digits
  (for a negative number the complement of each, and ``:``, which sorts after every
  digit): 12.5, 12.50 and 1.25E1 are one key.

Range conditions become one inclusive interval of keys (:func:`bounds`): ``gte v``
starts at ``enc(v) NUL NUL``, ``gt v`` at ``enc(v) NUL 0x01`` (past every key of ``v``),
``lt v`` ends at ``enc(v) NUL NUL`` and ``lte v`` at ``enc(v) NUL 0x01``; no key equals
a bound (an id is never empty), so DynamoDB's ``BETWEEN`` is exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeAlias

SortType: TypeAlias = Literal["string", "date", "date-time", "number"]
SORT_TYPES: tuple[SortType, ...] = ("string", "date", "date-time", "number")

SEPARATOR = "\x00\x00"
#: Sorts after every key of one value, before every key of a greater one.
_PAST = "\x00\x01"
#: DynamoDB's limit for a sort key, in UTF-8 bytes.
MAX_SORT_KEY_BYTES = 1024

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)
_EXPONENT_OFFSET = 500


class NotSortable(ValueError):
    """A value the sort attribute's type cannot order (the message says why)."""


def encode(sort_type: SortType, value: object) -> str:
    """The sortable form of ``value``; NotSortable if it is not of ``sort_type``."""
    if sort_type == "number":
        return _number(value)
    if not isinstance(value, str):
        raise NotSortable(f"must be a {'string' if sort_type == 'string' else sort_type}")
    if sort_type == "string":
        return escape(value)
    if sort_type == "date":
        return _date(value)
    return _date_time(value)


def escape(text: str) -> str:
    """``text`` with no separator in it, in the same byte order."""
    return text.replace("\x00", _PAST)


def key(sort_type: SortType, value: object, item_id: str) -> str:
    """The head's sort key: the encoded value, then the id."""
    return encode(sort_type, value) + SEPARATOR + item_id


@dataclass(frozen=True)
class Interval:
    """Keys from ``low`` to ``high``, both inclusive (None: unbounded), or starting with
    ``prefix``."""

    low: str | None = None
    high: str | None = None
    prefix: str | None = None

    @property
    def empty(self) -> bool:
        """Whether no key can be in it (a lower bound above the upper one): DynamoDB
        refuses such a BETWEEN, and the answer is known."""
        return (
            self.low is not None
            and self.high is not None
            and self.low.encode() > self.high.encode()
        )

    def holds(self, sort_key: str) -> bool:
        """Whether ``sort_key`` is in the interval (a cursor's position must be)."""
        if self.prefix is not None and not sort_key.startswith(self.prefix):
            return False
        if self.low is not None and sort_key.encode() < self.low.encode():
            return False
        return self.high is None or sort_key.encode() <= self.high.encode()


def bounds(sort_type: SortType, conditions: dict[str, object]) -> Interval:
    """The keys that ``conditions`` (``gt``, ``gte``, ``lt``, ``lte``, ``prefix``, each
    with its value) select. The caller has checked which may be combined."""
    low = high = prefix = None
    for operator, value in conditions.items():
        if operator == "prefix":
            assert isinstance(value, str)
            prefix = escape(value) or None  # an empty prefix: every key
            continue
        encoded = encode(sort_type, value)
        if operator in ("gt", "gte"):
            low = encoded + (_PAST if operator == "gt" else SEPARATOR)
        else:
            high = encoded + (_PAST if operator == "lte" else SEPARATOR)
    return Interval(low, high, prefix)


def _date(value: str) -> str:
    match = _DATE.fullmatch(value)
    if match is None:
        raise NotSortable("must be a date, such as 2026-03-01")
    try:
        datetime(int(match[1]), int(match[2]), int(match[3]))  # a date
    except ValueError:
        raise NotSortable("must be a date that exists, such as 2026-03-01") from None
    return value


def _date_time(value: str) -> str:
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise NotSortable("must be an RFC 3339 date-time, such as 2026-03-01T09:30:00Z")
    year, month, day, hour, minute, second = (int(match[n]) for n in range(1, 7))
    fraction = (match[7] or "")[:9].ljust(9, "0")
    zone = match[8]
    offset = (
        timedelta(0)
        if zone in ("Z", "z")
        else (1 if zone[0] == "+" else -1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    )
    try:
        # A leap second sorts with the last second of its minute.
        local = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
        instant = local - offset
    except (ValueError, OverflowError):
        raise NotSortable("must be an RFC 3339 date-time between the years 1 and 9999") from None
    if not 1 <= instant.year <= 9999:
        raise NotSortable("must be an RFC 3339 date-time between the years 1 and 9999")
    return instant.strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction}Z"


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
        raise NotSortable("must be a number")
    try:
        number = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
    except InvalidOperation:
        raise NotSortable("must be a number") from None
    if not number.is_finite():
        raise NotSortable("must be a finite number")
    if number.is_zero():
        return "1"
    normal = number.normalize()
    digits = "".join(str(d) for d in normal.as_tuple().digits)
    exponent = normal.adjusted() + _EXPONENT_OFFSET
    if not 0 <= exponent <= 999:
        raise NotSortable("must be a number DynamoDB can store")
    if number > 0:
        return f"2{exponent:03d}{digits}"
    complement = "".join(str(9 - int(d)) for d in digits)
    return f"0{999 - exponent:03d}{complement}:"
