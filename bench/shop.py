"""The shop example (``examples/shop/``) as the benchmarks use it: its schemas and assets.

``python -m bench.shop`` builds the asset folders of the shop's typed collections, as
the library does at synth, and prints them as the JSON that ``BASELINE_SHOP_ASSETS``
takes (see ``baseline_shop/app.py``).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from typing import Any

from cdk_serverless_crud.assets import collection_asset

from .common import REPO

SHOP_APP = REPO / "examples" / "shop"
BASELINE_SHOP = REPO / "bench" / "baseline_shop"
ASSETS_VARIABLE = "BASELINE_SHOP_ASSETS"
#: The shop's collections and the names of their schemas in examples/shop/schemas.py.
SCHEMAS = {"orders": "ORDER_SCHEMA", "customers": "CUSTOMER_SCHEMA"}


def shop_schemas() -> dict[str, Mapping[str, Any]]:
    """Each typed collection's JSON Schema, read from the shop's own module."""
    spec = importlib.util.spec_from_file_location("shop_schemas", SHOP_APP / "schemas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: getattr(module, attribute) for name, attribute in SCHEMAS.items()}


def baseline_environment() -> dict[str, str]:
    """``BASELINE_SHOP_ASSETS``, after building the folders it names (the library's cost)."""
    folders = {name: str(collection_asset(schema)) for name, schema in shop_schemas().items()}
    return {ASSETS_VARIABLE: json.dumps(folders)}


if __name__ == "__main__":
    print(baseline_environment()[ASSETS_VARIABLE])
