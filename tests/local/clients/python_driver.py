"""Every route of a collection, driven through a client openapi-python-client generated.

The generated package is imported by name, so one scenario drives any document's
collections: each call goes through the package's own ``sync_detailed`` with its own
body models (``from_dict``), and each answer must parse as the document's success model.
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: Sent with every request: past the stage cache, so each GET sees the writes before it.
FRESH = {"Cache-Control": "max-age=0"}


@dataclass(frozen=True)
class Scenario:
    """What one collection's drive writes and asks: a body, a merge patch of it and, for
    a collection with indexes, a query parameter that finds the item."""

    collection: str
    data: Mapping[str, Any]
    patch: Mapping[str, Any]
    query: Mapping[str, str]


class Driver:
    """The generated operations of one collection, called as a user of the package would."""

    def __init__(self, package: str, collection: str, base_url: str) -> None:
        self.package = package
        self.collection = collection
        client = importlib.import_module(f"{package}.client")
        self.client = client.Client(
            base_url=base_url, headers=FRESH, raise_on_unexpected_status=True
        )

    def call(self, operation: str, expected: int, **arguments: Any) -> Any:
        """Call ``<collection>_<operation>``; bodies given as dicts become its body model."""
        module = importlib.import_module(
            f"{self.package}.api.{self.collection}.{self.collection}_{operation}"
        )
        if "body" in arguments:
            model = typing.get_type_hints(module.sync_detailed)["body"]
            arguments["body"] = model.from_dict(dict(arguments["body"]))
        response = module.sync_detailed(client=self.client, **arguments)
        assert response.status_code == expected, (operation, response.status_code, response.content)
        error = importlib.import_module(f"{self.package}.models.error").Error
        assert not isinstance(response.parsed, error), (operation, response.parsed)
        return response.parsed


def drive(package: str, base_url: str, scenario: Scenario) -> None:
    """Drive each of the nine routes of ``scenario.collection`` at least once."""
    driver = Driver(package, scenario.collection, base_url)
    created = driver.call("create_item", 201, body=scenario.data, idempotency_key="drive-1")
    item_id = created.id
    assert created.data.to_dict() == scenario.data
    again = driver.call("create_item", 201, body=scenario.data, idempotency_key="drive-1")
    assert (again.id, again.timestamp) == (item_id, created.timestamp)  # replayed
    assert driver.call("get_item", 200, id=item_id).timestamp == created.timestamp
    replaced = driver.call(
        "replace_item", 200, id=item_id, body=scenario.data, if_match=f'"{created.timestamp}"'
    )
    patched = driver.call("patch_item", 200, id=item_id, body=scenario.patch)
    assert patched.data.to_dict() == {**scenario.data, **scenario.patch}
    listed = driver.call("list_items", 200, limit=100, **scenario.query)
    assert item_id in [item.id for item in listed.items]
    versions = driver.call("list_versions", 200, id=item_id)
    timestamps = [version.timestamp for version in versions.versions]
    assert timestamps == [patched.timestamp, replaced.timestamp, created.timestamp]
    first = driver.call("get_version", 200, id=item_id, timestamp=str(created.timestamp))
    assert first.data.to_dict() == scenario.data
    instant = datetime.fromtimestamp(replaced.timestamp / 1000, UTC).isoformat(
        timespec="milliseconds"
    )
    as_of = driver.call("get_item", 200, id=item_id, as_of=instant.replace("+00:00", "Z"))
    assert as_of.timestamp == replaced.timestamp
    driver.call("delete_item", 204, id=item_id, if_match=f'"{patched.timestamp}"')
    restored = driver.call("restore_item", 200, id=item_id, body={"timestamp": created.timestamp})
    assert restored.data.to_dict() == scenario.data
    if_none_match = typing.get_type_hints(
        importlib.import_module(
            f"{package}.api.{scenario.collection}.{scenario.collection}_replace_item"
        ).sync_detailed
    )["if_none_match"]
    star = next(member for member in typing.get_args(if_none_match) if member.__name__ != "Unset")
    created_at = driver.call(
        "replace_item", 201, id=f"{item_id}-put", body=scenario.data, if_none_match=star("*")
    )
    assert created_at.id == f"{item_id}-put"
