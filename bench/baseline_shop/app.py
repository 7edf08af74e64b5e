"""Baseline for the synth benchmark: the shop example's resources, from aws-cdk-lib alone.

``examples/shop/app.py`` with plain aws-cdk-lib L2s: the same template, byte for byte,
from the baseline apps' shared ``plain_service.py`` and the same cdk-nag checks and
acknowledgments. Its two typed collections need what the library derives from their
JSON Schemas, spelled out here instead:

- the request models, which any JSON object passes, as literal JSON (``OrdersData.json``,
  ``CustomersData.json``);
- each function's code, the asset folder the library builds (the item service, the
  validator fastjsonschema generates from the schema, fastjsonschema itself). The
  benchmark builds the folders before it times anything and names them in
  ``BASELINE_SHOP_ASSETS``; so generating the validators is the library's cost only.
  To synthesize this app by hand, in its folder:
  ``BASELINE_SHOP_ASSETS=$(cd ../.. && python -m bench.shop) cdk synth``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Stack
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

HERE = Path(__file__).resolve().parent
# The baseline apps' shared code lives beside the example app's baseline.
sys.path.insert(0, str(HERE.parent / "baseline_app"))
from plain_service import PlainCollection, build_service  # noqa: E402

ASSETS_VARIABLE = "BASELINE_SHOP_ASSETS"


def _model(name: str) -> dict[str, object]:
    model: dict[str, object] = json.loads((HERE / f"{name}.json").read_text())
    return model


def _asset_folders() -> dict[str, Path]:
    """The built asset folder of each typed collection, by collection name."""
    try:
        folders = json.loads(os.environ[ASSETS_VARIABLE])
    except KeyError:
        raise SystemExit(
            f"{ASSETS_VARIABLE} is not set; it names the asset folders the library builds "
            f"for the shop's collections: {ASSETS_VARIABLE}=$(cd ../.. && python -m bench.shop) "
            "cdk synth"
        ) from None
    return {name: Path(folder) for name, folder in folders.items()}


def build_stack(app: cdk.App) -> Stack:
    """The baseline stack, with the shop's stack id, description and tags."""
    stack = Stack(
        app, "ShopExample", description="Example of cdk-serverless-crud's typed collections"
    )
    assets = _asset_folders()
    build_service(
        stack,
        "Shop",
        tags={
            "Environment": app.node.try_get_context("environment") or "dev",
            "Project": app.node.try_get_context("project") or "cdk-serverless-crud-shop",
            "Owner": app.node.try_get_context("owner") or "platform-team",
        },
        collections=[
            PlainCollection(
                "orders",
                prefix="Orders",
                code=assets["orders"],
                excludes=(),
                model=_model("OrdersData"),
                indexes=[("status", "S"), ("customer_id", "S")],
                sorts={"customer_id": "placed_at"},
                attributes=["lines", "placed_at", "shipping_address"],
            ),
            PlainCollection(
                "customers",
                prefix="Customers",
                code=assets["customers"],
                excludes=(),
                model=_model("CustomersData"),
                indexes=[("email", "S")],
                listing_order="updated",
                attributes=["address", "joined", "name"],
            ),
        ],
    )
    return stack


if __name__ == "__main__":
    app = cdk.App()
    # The shop's checks, so that both synths do the same work besides the library.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    build_stack(app)
    app.synth()
