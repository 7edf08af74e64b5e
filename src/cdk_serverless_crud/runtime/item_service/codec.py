"""JSON that keeps every digit: numbers are parsed as Decimal and written back verbatim."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from json.encoder import encode_basestring_ascii as _quote
from typing import NoReturn, TypeAlias

from .errors import InvalidJson, TooDeepToParse

Json: TypeAlias = "bool | int | str | Decimal | list[Json] | dict[str, Json] | None"
Document: TypeAlias = "dict[str, Json]"

# An escaped backslash (kept, so that a "u" after it is not read as an escape), or a run
# of \u escapes.
_ESCAPES = re.compile(r"\\\\|(?:\\u[0-9a-fA-F]{4})+")
# What stays escaped: ASCII (controls and DEL) and lone surrogates, which UTF-8 cannot carry.
_KEEP_ESCAPED = re.compile("[\x00-\x7f\ud800-\udfff]")
# What container_path reads: a string (a key, or a value it skips), a bracket or a comma.
# The closing quote is optional so that an unclosed string ends the scan in one pass.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"?|[][{},]')


def _reject_constant(name: str) -> NoReturn:
    raise InvalidJson(f"{name} is not a JSON number")


def _unique_object(pairs: list[tuple[str, Json]]) -> dict[str, Json]:
    # A duplicate key could not be returned "exactly as sent", so refuse it.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise InvalidJson("an object has the same key twice")
    return obj


def loads(raw: bytes) -> Json:
    """Parse UTF-8 JSON; numbers become Decimal, NaN/Infinity and duplicate keys fail."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJson("the body is not valid UTF-8") from None
    try:
        value: Json = json.loads(
            text,
            parse_float=Decimal,
            # Decimal, not int: int() refuses more than 4300 digits with a ValueError.
            parse_int=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_object,
        )
    except json.JSONDecodeError as error:
        # error.msg names the problem and never quotes the body.
        raise InvalidJson(
            f"the body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise TooDeepToParse() from None
    return value


def container_path(raw: bytes, depth: int) -> list[str] | None:
    """The path (keys, and indexes as digits) to the first object or array of JSON text
    that nests ``depth`` levels deep, the outermost being level 1; None if none does.

    It reads the text without recursing, so it reaches any depth: it is how a body too
    deep for :func:`loads` is told where it became too deep. The text before that point
    must be valid JSON, as it is when :func:`loads` recursed too deep there.
    """
    steps: list[str] = []  # per open container: the key or index being read in it
    in_object: list[bool] = []
    expect_key = False
    for match in _STRUCTURE.finditer(raw.decode("utf-8")):
        token = match[0]
        if token in ("{", "["):
            if len(steps) + 1 == depth:
                return steps
            steps.append("" if token == "{" else "0")
            in_object.append(token == "{")
            expect_key = token == "{"
        elif not steps:
            return None  # not JSON: a close or a string outside any container
        elif token in ("}", "]"):
            steps.pop()
            in_object.pop()
            expect_key = False
        elif token == ",":
            expect_key = in_object[-1]
            if not expect_key:
                steps[-1] = str(int(steps[-1]) + 1)
        elif expect_key:
            try:
                steps[-1] = json.loads(token)
            except ValueError:
                return None  # an unclosed key: the text ended
            expect_key = False
    return None


def dumps(value: Json) -> str:
    """Serialize to compact ASCII JSON, writing Decimals digit for digit (no float)."""
    parts: list[str] = []
    _encode(value, parts.append)
    return "".join(parts)


def readable(text: str) -> str:
    """``text`` from :func:`dumps` with every non-ASCII character written as itself.

    The same JSON value, sent as UTF-8: an ``é`` takes 2 bytes on the wire instead of the
    6 of ``\\u00e9``. ASCII control characters and lone surrogates, which UTF-8 cannot
    carry, stay escaped.
    """
    if "\\u" not in text:
        return text
    return _ESCAPES.sub(_unescape, text)


def _unescape(match: re.Match[str]) -> str:
    run = match[0]
    if len(run) == 6:  # one escape: the common case in a Latin script
        point = int(run[2:], 16)
        return run if point < 0x80 or 0xD800 <= point < 0xE000 else chr(point)
    if run == "\\\\":
        return run
    # One decode per run, in C: a long text in a non-Latin script is a few long runs.
    chars = (
        run.encode("ascii")
        .decode("unicode_escape")
        .encode("utf-16-le", "surrogatepass")  # joins surrogate pairs
        .decode("utf-16-le", "surrogatepass")
    )
    return _KEEP_ESCAPED.sub(lambda kept: f"\\u{ord(kept[0]):04x}", chars)


def _encode(value: Json, out: Callable[[str], None]) -> None:
    if isinstance(value, str):
        out(_quote(value))
    elif isinstance(value, dict):
        out("{")
        separator = ""
        for key, item in value.items():
            out(separator)
            out(_quote(key))
            out(":")
            _encode(item, out)
            separator = ","
        out("}")
    elif isinstance(value, list):
        out("[")
        separator = ""
        for item in value:
            out(separator)
            _encode(item, out)
            separator = ","
        out("]")
    elif value is None:
        out("null")
    elif isinstance(value, bool):
        out("true" if value else "false")
    else:
        # str() of a finite Decimal (or an int) is always a valid JSON number.
        out(str(value))
