"""Settings read from the environment that the construct sets (see docs/design.md)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Where the item service keeps its data."""

    table_name: str
    list_index_name: str
    bucket_name: str
    object_prefix: str


@functools.cache
def settings() -> Settings:
    """Read the settings once per container, on the first request."""
    return Settings(
        table_name=os.environ["TABLE_NAME"],
        list_index_name=os.environ["LIST_INDEX_NAME"],
        bucket_name=os.environ["BUCKET_NAME"],
        object_prefix=os.environ["OBJECT_PREFIX"],
    )
