"""The environment the runtime reads: one function per Lambda function of a service.

Pure Python, so the construct (``service.py``, ``events.py``), the runtime's tests
(``tests/runtime/conftest.py``) and the benchmarks' baseline app all build the
variables here, and none of them can drift from what the runtime's ``config.py``
reads. Values the construct only knows as CDK tokens (the table's and bucket's names)
come in as the strings that stand for them. See docs/design.md's environment table.
"""

from __future__ import annotations

import json

from cdk_serverless_crud.contract.collection import OWNED_LIST_INDEX, Collection


def item_environment(
    collection: Collection,
    *,
    table_name: str,
    bucket_name: str,
    list_index_name: str,
    event_data_limit: int | None = None,
) -> dict[str, str]:
    """The variables of the function serving ``collection``, in the order it sets them.

    ``INDEXES`` only for a collection with indexes, ``ACCESS`` only for one with access
    rules (``OWNED_LIST_INDEX`` when an owner rule reads), ``ATTRIBUTES`` only for one
    whose schema declares other top-level properties, and ``EVENT_DATA_LIMIT`` only with
    ``event_data_limit``: change events that carry data, whose larger bodies go to S3
    so that every event fits EventBridge's 256 KB.
    """
    environment = {
        "COLLECTION": collection.name,
        "TABLE_NAME": table_name,
        "LIST_INDEX_NAME": list_index_name,
        "BUCKET_NAME": bucket_name,
        "OBJECT_PREFIX": collection.object_prefix,
    }
    if collection.indexes:
        environment["INDEXES"] = _compact(
            [
                {
                    "attribute": index.attribute,
                    "index": index.index_name,
                    "key": index.key_attribute,
                    "type": collection.key_type(index),
                    # Written on every head with an owner, so that the owners' index,
                    # once an Allow.owner() rule adds it, finds the items already there.
                    "owned_key": index.owned_key_attribute,
                    **({"owned_index": index.owned_index_name} if collection.owner_scoped else {}),
                    **(
                        {
                            "sort": index.sort,
                            "sort_type": collection.sort_type(index),
                            "sort_key": index.sort_key_attribute,
                        }
                        if index.sort is not None
                        else {}
                    ),
                }
                for index in collection.indexes
            ]
        )
    if collection.listing_index_name is not None:
        environment["LISTING_ORDER"] = collection.listing_order
    if collection.access is not None:
        environment["ACCESS"] = _compact(
            [
                {"kind": rule.kind, "group": rule.group_name, "operations": list(rule.operations)}
                for rule in collection.access
            ]
        )
    if collection.owner_scoped:
        environment["OWNED_LIST_INDEX"] = OWNED_LIST_INDEX
    if collection.tenancy is not None:
        environment["TENANCY"] = collection.tenancy.claim_name
    if event_data_limit is not None:
        environment["EVENT_DATA_LIMIT"] = str(event_data_limit)
    if collection.unindexed_attributes:
        environment["ATTRIBUTES"] = _compact(list(collection.unindexed_attributes))
    return environment


def enrichment_environment(collection: str, *, with_data: bool) -> dict[str, str]:
    """The variables of a collection's change events enrichment: ``with_data`` sends each
    version's ``data`` (or ``data_ref``), as ``ChangeEvents(detail=True)``."""
    return {"COLLECTION": collection, "EVENT_DETAIL": "data" if with_data else "none"}


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
