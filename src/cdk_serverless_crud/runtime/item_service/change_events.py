"""The change events' enrichment: DynamoDB stream records of versions in, events out.

EventBridge Pipes calls :func:`handler` with the records its filter lets through (new
version records only, see docs/design.md) and sends each answer to the bus: its
``detail_type`` becomes the event's ``detail-type`` and its ``detail`` the ``detail``.
The record alone is enough: it says what changed (``change``) and which version it
follows (``previous``), so this function reads nothing and holds no data grant.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from . import config
from .records import from_attribute
from .spaces import TENANT_PREFIX

#: ``detail-type`` by the version record's ``change``.
DETAIL_TYPES = {
    "created": "Item Created",
    "updated": "Item Updated",
    "deleted": "Item Deleted",
    "restored": "Item Restored",
}
#: EventBridge's limit for one event (detail, detail-type, source and resources).
MAX_EVENT_BYTES = 256 * 1024
#: Room kept for the detail-type, the source and the rest of the detail around ``data``;
#: the item service offloads to S3 any body larger than the rest (``EVENT_DATA_LIMIT``).
EVENT_OVERHEAD_BYTES = 8 * 1024
EVENT_DATA_LIMIT = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES
# The detail-type, the source (at most 256 characters) and the resources, beside the detail.
_ENVELOPE_BYTES = 512


def handler(event: Any, context: Any) -> list[dict[str, Any]]:
    """Pipes' enrichment entry point: a batch of stream records, one answer each."""
    settings = config.event_settings()
    records = event if isinstance(event, list) else [event]
    return [
        change_event(record, settings.collection, with_data=settings.with_data)
        for record in records
    ]


def change_event(
    record: Mapping[str, Any], collection: str, *, with_data: bool = True
) -> dict[str, Any]:
    """The ``{"detail_type", "detail"}`` of one version's stream record."""
    image = record["dynamodb"]["NewImage"]
    # Records written before versions said what they did are updates of something.
    change = image.get("change", {}).get("S", "updated")
    deleted = bool(image.get("deleted", {}).get("BOOL", False))
    item_id, tenant = _item_id(image["id"]["S"])
    detail: dict[str, Any] = {
        "collection": collection,
        "id": item_id,
        "version": int(image["timestamp"]["N"]),
        "previous_version": int(image["previous"]["N"]) if "previous" in image else None,
        "deleted": deleted,
    }
    if tenant is not None:
        detail["tenant"] = tenant
    for name in ("owner", "written_by"):
        if name in image:
            detail[name] = image[name]["S"]
    if with_data and not deleted:
        if "s3_key" in image:
            detail["data_ref"] = {
                "key": image["s3_key"]["S"],
                "version_id": image["s3_version"]["S"],
            }
        else:
            data = plain(from_attribute(image["data"]))
            if _size(detail, data) <= MAX_EVENT_BYTES - _ENVELOPE_BYTES:
                detail["data"] = data
            # Else (stored inline before events were on, and too large for an event):
            # neither data nor data_ref; read the version through the API.
    return {"detail_type": DETAIL_TYPES[change], "detail": detail}


def _item_id(key: str) -> tuple[str, str | None]:
    """The API's id and the tenant of a record's partition key (spaces.py's layout:
    ``tenant/<percent-encoded tenant>/<id>`` with tenancy, the id without)."""
    if not key.startswith(TENANT_PREFIX):
        return key, None
    encoded, _, item_id = key[len(TENANT_PREFIX) :].partition("/")
    return item_id, unquote(encoded)


def plain(value: Any) -> Any:
    """JSON values as the Lambda runtime can send them, which turns a Decimal into a float:
    whole numbers of up to 38 digits stay exact as int, the others become floats."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.adjusted() < 38:
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _size(detail: Mapping[str, Any], data: Any) -> int:
    """Bytes of the detail once ``data`` is added, as EventBridge counts them (UTF-8)."""
    text = json.dumps({**detail, "data": data}, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8"))
