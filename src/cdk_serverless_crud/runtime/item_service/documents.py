"""What makes a request body a storable item: DynamoDB's limits, checked up front.

moto does not enforce all of these, and real DynamoDB would answer a 500-worthy
ValidationException, so every limit is checked here and answered with a 400.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from . import codec
from .codec import Document, Json
from .errors import Detail, InvalidBody, TooDeepToParse

#: How deep the body may nest objects and arrays, itself level 1. DynamoDB's 32 levels
#: count the item itself, and the body is the ``data`` attribute of its version and head
#: records: DynamoDB Local stores 31 nested maps and lists there and refuses 32 with a
#: ValidationException. It applies to bodies offloaded to S3 as well, so that a body is
#: never accepted or refused by its size.
MAX_DEPTH = 31
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
    data = load(raw)
    if not isinstance(data, dict):
        raise InvalidBody("the body must be a JSON object")
    try:
        size = _size(data, 1)
    except _TooDeep as error:
        raise _too_deep(reversed(error.path)) from None
    return ItemBody(data=data, text=codec.dumps(data), dynamodb_size=size)


def load(raw: bytes) -> Json:
    """``codec.loads``, where a body too deep to parse is refused as any body nested
    deeper than :data:`MAX_DEPTH` is: with the pointer to its first container too deep."""
    try:
        return codec.loads(raw)
    except TooDeepToParse as error:
        path = codec.container_path(raw, MAX_DEPTH + 1)
        if path is None:
            raise error from None
        raise _too_deep(path) from None


def check_depth(value: Json) -> None:
    """Refuse ``value`` if it nests objects and arrays deeper than :data:`MAX_DEPTH`.

    For a merge patch, whose merge nests as deep as it does: checked before merging, so
    that the merge never recurses deeper than an item may nest (Python 3.12 and later
    parse JSON far deeper than a Python function may recurse).
    """
    try:
        _check_depth(value, 1)
    except _TooDeep as error:
        raise _too_deep(reversed(error.path)) from None


def _check_depth(value: Json, depth: int) -> None:
    if not isinstance(value, dict | list):
        return
    if depth > MAX_DEPTH:
        raise _TooDeep
    for step, item in _steps(value):
        try:
            _check_depth(item, depth + 1)
        except _TooDeep as error:
            error.path.append(step)
            raise


def _steps(container: dict[str, Json] | list[Json]) -> Iterator[tuple[str, Json]]:
    if isinstance(container, dict):
        yield from container.items()
    else:
        for index, item in enumerate(container):
            yield str(index), item


class _TooDeep(Exception):
    """A container nested deeper than MAX_DEPTH; ``path`` leads to it, innermost first."""

    def __init__(self) -> None:
        super().__init__()
        self.path: list[str] = []


def _too_deep(path: Iterable[str]) -> InvalidBody:
    return InvalidBody(
        f"the body nests objects and arrays more than {MAX_DEPTH} levels deep",
        [Detail.at(path, f"level {MAX_DEPTH + 1} of nesting; an item nests at most {MAX_DEPTH}")],
    )


def _size(value: Json, depth: int) -> int:
    """Estimate DynamoDB's size of ``value`` (its item-size rules), checking limits."""
    if isinstance(value, dict):
        if depth > MAX_DEPTH:
            raise _TooDeep
        # A map costs 3 bytes, plus per entry its name and 1 byte.
        size = 3
        for key, item in value.items():
            try:
                size += _key_size(key) + _size(item, depth + 1) + 1
            except _TooDeep as error:
                # The path is built while unwinding: valid bodies spend nothing on it.
                error.path.append(key)
                raise
        return size
    if isinstance(value, list):
        if depth > MAX_DEPTH:
            raise _TooDeep
        size = 3
        for index, item in enumerate(value):
            try:
                size += _size(item, depth + 1) + 1
            except _TooDeep as error:
                error.path.append(str(index))
                raise
        return size
    if isinstance(value, str):
        return _utf8_size(value)
    if isinstance(value, Decimal):
        return _number_size(value)
    return 1  # true, false, null; ints never come out of codec.loads


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
