"""What the change events' parts agree on, without aws-cdk-lib: the pipe's filter, the
event's names and size budget, and the published schema.

The construct (events.py) builds the pipe from these, local mode reads the pipe back
from the template, and the runtime (runtime/item_service/change_events.py) keeps its own
copy of the names and sizes, which a test compares with these.
"""

import json
from functools import cache
from importlib import resources
from typing import Any

SOURCE_PREFIX = "cdk-serverless-crud."
"""Every event's ``source`` is this, then the service's construct path."""

DETAIL_TYPES = ("Item Created", "Item Updated", "Item Deleted", "Item Restored")
"""The events' ``detail-type``, one per kind of version."""

VERSION_FILTER: dict[str, Any] = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {"timestamp": {"N": [{"anything-but": ["0"]}]}}},
}
"""The pipe's filter: only new version records. A head or a key record has timestamp 0,
a version is written once (INSERT) and never modified, and TTL's deletions are REMOVE."""

MAX_EVENT_BYTES = 256 * 1024
"""EventBridge's limit for one event."""

EVENT_DATA_LIMIT = MAX_EVENT_BYTES - 8 * 1024
"""With ``detail=True``, the item function stores a body larger than this (UTF-8 JSON
bytes) in the bucket, so that its event carries ``data_ref`` and fits."""


@cache
def event_schema() -> dict[str, Any]:
    """The published JSON Schema of a change event (``events.schema.json``)."""
    text = (
        resources.files("cdk_serverless_crud.contract").joinpath("events.schema.json").read_text()
    )
    schema: dict[str, Any] = json.loads(text)
    return schema
