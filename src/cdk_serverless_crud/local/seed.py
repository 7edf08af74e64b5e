"""``--seed FILE``: items loaded from JSON lines at start, through the stage itself.

Each line is ``{"collection": "orders", "id": "o-1", "data": {...}}``. ``collection`` may
be left out when the app has one collection, ``id`` when any id will do. Every item goes
through the API as a client's would (``PUT`` with ``If-None-Match: *``, or ``POST``
without an id), so it is checked against the collection's schema and stored in the
runtime's layout, indexes included. A line whose id already has a live item is skipped,
so a restart with ``--state-dir`` does not load the file twice; a line without an id
creates a new item at every start.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import TemplateError
from .gateway import Gateway
from .http_types import HttpRequest
from .template import StackSpec

#: Requests in flight at once: DynamoDB Local serves them concurrently.
WORKERS = 8


class SeedError(TemplateError):
    """A line of the seed file cannot be loaded; the message names the line."""


@dataclass(frozen=True)
class SeedResult:
    """How many lines created an item, and how many named an id that was already live."""

    created: int
    skipped: int


@dataclass(frozen=True)
class _Line:
    number: int
    collection: str
    item_id: str | None
    body: bytes


@dataclass(frozen=True)
class SeedFile:
    """A seed file whose every line was checked against the app: nothing is written yet."""

    path: Path
    lines: tuple[_Line, ...]


def read_seed(api: StackSpec, path: Path) -> SeedFile:
    """Read and check every line of ``path``; raise ``SeedError`` naming the first bad one.

    It needs only the template, so local mode calls it before any emulator starts: a
    malformed file fails at once and writes nothing.
    """
    return SeedFile(path, tuple(_read(path, _collections(api))))


def seed(gateway: Gateway, checked: SeedFile) -> SeedResult:
    """Load every line of a checked seed file through ``gateway``.

    A line the service refuses (a schema violation, say) stops the seeding with its line
    number, raising ``SeedError``; the lines before it may have been written.
    """
    created = skipped = 0
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for line, status, answer in pool.map(lambda line: _send(gateway, line), checked.lines):
            if status == 201:
                created += 1
            elif status == 412 and line.item_id is not None:
                skipped += 1
            else:
                raise SeedError(
                    f"{checked.path}:{line.number}: the service answered {status}: {answer}"
                )
    return SeedResult(created, skipped)


def _collections(api: StackSpec) -> list[str]:
    """The collections the API serves: the first segment of each Lambda route."""
    names = {m.resource_path.strip("/").split("/")[0] for m in api.methods}
    return sorted(name for name in names if name and not name.startswith("{"))


def _read(path: Path, collections: list[str]) -> Iterator[_Line]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SeedError(f"cannot read the seed file {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise SeedError(f"{path}: not UTF-8 text") from error
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            entry: Any = json.loads(raw)
        except ValueError as error:
            raise SeedError(f"{where}: not JSON ({error})") from error
        if not isinstance(entry, dict) or not isinstance(entry.get("data"), dict):
            raise SeedError(f'{where}: expected {{"data": {{...}}, "id"?, "collection"?}}')
        unknown = set(entry) - {"data", "id", "collection"}
        if unknown:
            raise SeedError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        collection = entry.get("collection")
        if collection is None and len(collections) == 1:
            collection = collections[0]
        if collection not in collections:
            served = ", ".join(collections)
            raise SeedError(
                f"{where}: collection {collection!r} is not one of the app's ({served})"
                if collection is not None
                else f"{where}: name the collection, the app has several ({served})"
            )
        item_id = entry.get("id")
        if item_id is not None and (not isinstance(item_id, str) or not item_id):
            raise SeedError(f"{where}: id must be a non-empty string")
        yield _Line(number, collection, item_id, json.dumps(entry["data"]).encode())


def _send(gateway: Gateway, line: _Line) -> tuple[_Line, int, str]:
    headers = [("Content-Type", "application/json"), ("x-api-key", "serverless-crud-seed")]
    path = f"/{gateway.api.stage_name}/{line.collection}"
    if line.item_id is None:
        method = "POST"
    else:
        method = "PUT"
        path += "/" + quote(line.item_id, safe="")
        headers.append(("If-None-Match", "*"))
    request = HttpRequest(method, path, "", tuple(headers), line.body)
    response, _ = gateway.handle(request)
    return line, response.status, response.body.decode(errors="replace")[:300]
