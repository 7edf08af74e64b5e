"""The collection's JSON Schema: every POST and PUT body is checked against it in full.

The construct compiles the schema at synth time into ``collection_schema.py`` beside
this module (``fastjsonschema.compile_to_code(schema, fast_fail=False)``) and vendors
fastjsonschema with it; a collection without a schema has neither. The module is found
relative to this package, because local mode imports several functions' packages side
by side under different names, each with its own schema or none.

A failure lists every failing field as an RFC 6901 pointer and fastjsonschema's message
without its ``data.price`` prefix: ``{"pointer": "/price", "message": "must be bigger
than or equal to 0"}``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Context, localcontext
from typing import TYPE_CHECKING, Any

from .codec import Document
from .errors import Detail, InvalidBody
from .schema_numbers import for_validation

if TYPE_CHECKING:
    from fastjsonschema import JsonSchemaValueException

MESSAGE = "the body does not match the collection's schema"
#: Enough to list every failing field of a sensible body, and to keep a 400 small.
MAX_DETAILS = 100
#: fastjsonschema quotes the schema (enum values) and the body's keys in some messages.
MAX_MESSAGE_CHARS = 200
#: A longer pointer is cut back to the deepest ancestor that fits.
MAX_POINTER_CHARS = 1024

# fastjsonschema's names: "data", then ".key" per object member, "[n]" per array item.
_ROOT = "data"
_SEPARATOR = re.compile(r"[.\[]")
_ARRAY_INDEX = re.compile(r"\[(0|[1-9][0-9]{0,9})\]")
# Bounds on the search for where a name's keys end, against crafted keys full of dots.
_MAX_SPLITS = 32
_MAX_MATCHES = 8
# multipleOf divides Decimals in the current context; 100 digits keep the quotient of
# a 38-digit number by a float's 17 exact wherever it is an integer.
_DIVISION = Context(prec=100)


@dataclass(frozen=True)
class Schema:
    """A compiled schema: ``validate`` is the generated module's function."""

    validate: Callable[[Any], object]

    def check(self, data: Document) -> None:
        """Return if ``data`` matches; else raise InvalidBody listing every failing field."""
        # fastjsonschema is vendored only with a schema, so it is imported only here.
        from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException

        # A copy in the types the generated code expects, which also keeps the schema's
        # defaults out of the data that is stored.
        copy = for_validation(data)
        try:
            with localcontext(_DIVISION):
                self.validate(copy)
        except JsonSchemaValuesException as failure:
            errors = failure.errors
        except JsonSchemaValueException as failure:
            errors = [failure]
        else:
            return
        details = [_detail(error, copy) for error in errors[:MAX_DETAILS]]
        message = MESSAGE
        if len(errors) > MAX_DETAILS:
            message += f" (the first {MAX_DETAILS} of {len(errors)} failures are listed)"
        raise InvalidBody(message, details)


@functools.cache
def load() -> Schema | None:
    """The collection's schema, or None if it has none; imported on the first write.

    Reads never pay for importing fastjsonschema. An existing but broken module fails
    loudly (a 500 and a log line), never silently unvalidated.
    """
    spec = importlib.util.find_spec(f"{__package__}.collection_schema")
    if spec is None:
        return None
    module = importlib.import_module(spec.name)
    return Schema(validate=module.validate)


def _detail(error: JsonSchemaValueException, root: object) -> Detail:
    """The pointer and message of one fastjsonschema error about ``root``."""
    name = str(error.name or _ROOT)
    path = _locate(root, name, error.value)
    detail = Detail.at(path, _message(str(error.message), name))
    while len(detail.pointer) > MAX_POINTER_CHARS:
        path = path[:-1]
        detail = Detail.at(path, detail.message)
    return detail


def _message(message: str, name: str) -> str:
    if message.startswith(name + " "):
        message = message[len(name) + 1 :]
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    return message


def _locate(root: object, name: str, value: object) -> list[str]:
    """The path in ``root`` that fastjsonschema's ``name`` (``data.a.b[2]``) spells.

    The name joins keys with "." and indexes with "[n]" and escapes neither, so a key
    holding "." or "[" makes it ambiguous: ``data.a.b`` is ``/a/b`` or ``/a.b``. The
    document decides, since each split must follow keys and indexes it has; if several
    do, the one reaching the failing value itself wins. A name that leads nowhere gives
    the deepest ancestor found.
    """
    if not name.startswith(_ROOT):
        return []
    matches: list[tuple[list[str], object]] = []
    deepest: list[str] = []
    for path, node, complete in _walk(root, name, len(_ROOT), []):
        if complete:
            matches.append((path, node))
            if node is value or len(matches) >= _MAX_MATCHES:
                break
        elif len(path) > len(deepest):
            deepest = path
    for path, node in matches:
        if node is value:
            return path
    return matches[0][0] if matches else deepest


def _walk(
    node: object, name: str, offset: int, path: list[str]
) -> Iterator[tuple[list[str], object, bool]]:
    """Every path that spells ``name[offset:]`` from ``node``, and the partial ones."""
    if offset == len(name):
        yield path, node, True
        return
    yield path, node, False
    if isinstance(node, dict) and name.startswith(".", offset):
        start = offset + 1
        separators = itertools.islice(_SEPARATOR.finditer(name, start + 1), _MAX_SPLITS)
        for end in [*(match.start() for match in separators), len(name)]:
            key = name[start:end]
            if key in node:
                yield from _walk(node[key], name, end, [*path, key])
    elif isinstance(node, list):
        match = _ARRAY_INDEX.match(name, offset)
        if match is not None and int(match.group(1)) < len(node):
            position = int(match.group(1))
            yield from _walk(node[position], name, match.end(), [*path, match.group(1)])
