"""Local mode's index backfill: what the deploy's ``IndexBackfill`` custom resource does.

When a kept table (a ``--state-dir`` restart, a ``--watch`` reload) gets an index the
template added, and holds items, the items are backfilled into it
(``runtime.item_service.backfill``) here and to completion, before the index is served,
and one line says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from cdk_serverless_crud.runtime.item_service.backfill import Backfill
from cdk_serverless_crud.runtime.item_service.config import settings_from

from .template import StackSpec


def backfill_indexes(
    api: StackSpec, dynamodb: Any, s3: Any, added: Mapping[str, set[str]]
) -> list[str]:
    """Backfill the attribute indexes in ``added`` (index names by table name: those just
    created on a table that was kept) of ``api``'s functions; the notices."""
    notices = []
    for function in api.functions:
        if not function.environment.get("INDEXES"):
            continue
        settings = settings_from(function.environment)
        new = added.get(settings.table_name, set())
        names = [index.name for index in settings.indexes if index.name in new]
        backfill = Backfill(settings, dynamodb, lambda: s3)
        if not names or not backfill.holds_items():
            continue
        backfill.start(names)
        started = time.perf_counter()
        progress = backfill.run(deadline=math.inf)
        notices.append(
            f"Index {', '.join(names)} of {settings.collection}: backfilled "
            f"{progress.written:,} of {progress.scanned:,} items in "
            f"{time.perf_counter() - started:.1f} s before serving it."
        )
    return notices
