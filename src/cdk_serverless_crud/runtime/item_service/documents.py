"""What makes a request body a storable item: DynamoDB's limits, checked up front.

moto does not enforce all of these, and real DynamoDB would answer a 500-worthy
ValidationException, so every limit is checked here and answered with a 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import codec
from .codec import Document, Json
from .errors import InvalidBody

MAX_DEPTH = 32  # DynamoDB nests documents up to 32 levels; the item itself is level 1.
MAX_DIGITS = 38  # significant digits of a DynamoDB number
MIN_EXPONENT, MAX_EXPONENT = -130, 125  # magnitudes 1E-130 .. 9.99...E+125
MAX_KEY_BYTES = 65535  # attribute (map key) names are 1 byte .. 64 KB


@dataclass(frozen=True)
class ItemBody:
    """A validated item body, its canonical JSON text and its size in DynamoDB."""

    data: Document
    text: str
    dynamodb_size: int


def parse_body(raw: bytes) -> ItemBody:
    """Parse a request body and check that DynamoDB can store it as an item's data."""
    data = codec.loads(raw)
    if not isinstance(data, dict):
        raise InvalidBody("the body must be a JSON object")
    size = _size(data, 1)
    return ItemBody(data=data, text=codec.dumps(data), dynamodb_size=size)


def _size(value: Json, depth: int) -> int:
    """Estimate DynamoDB's size of ``value`` (its item-size rules), checking limits."""
    if isinstance(value, dict):
        _check_depth(depth)
        # A map costs 3 bytes, plus per entry its name and 1 byte.
        size = 3
        for key, item in value.items():
            size += _key_size(key) + _size(item, depth + 1) + 1
        return size
    if isinstance(value, list):
        _check_depth(depth)
        size = 3
        for item in value:
            size += _size(item, depth + 1) + 1
        return size
    if isinstance(value, str):
        return _utf8_size(value)
    if isinstance(value, Decimal):
        return _number_size(value)
    return 1  # true, false, null; ints never come out of codec.loads


def _check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidBody(f"the body is nested more than {MAX_DEPTH} levels deep")


def _key_size(key: str) -> int:
    size = _utf8_size(key)
    if not 1 <= size <= MAX_KEY_BYTES:
        raise InvalidBody(f"object keys must be 1 to {MAX_KEY_BYTES} bytes long")
    return size


def _utf8_size(text: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        # JSON allows "\ud800" (a lone surrogate); DynamoDB only stores valid UTF-8.
        raise InvalidBody("strings must be valid Unicode (no lone surrogates)") from None


def number_problem(number: Decimal) -> str | None:
    """Why DynamoDB cannot store ``number`` (a finite Decimal), or None if it can.

    Shared with query parameters, which DynamoDB refuses by the same rules.
    """
    digits = number.as_tuple().digits
    significant = len(digits)
    # Trailing zeros are not significant: DynamoDB trims them.
    while significant and digits[significant - 1] == 0:
        significant -= 1
    if significant > MAX_DIGITS:
        return f"numbers may have at most {MAX_DIGITS} significant digits"
    if not MIN_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        return "numbers must lie between 1E-130 and 9.9E+125 in magnitude"
    return None


def _number_size(number: Decimal) -> int:
    problem = number_problem(number)
    if problem is not None:
        raise InvalidBody(problem)
    # DynamoDB counts about one byte per two significant digits, plus one; the
    # length of the text (what is sent, and what moto counts) bounds that from above.
    return len(str(number)) + 1
