"""An index the template adds to a saved table (a ``--state-dir`` restart): local mode
creates it in place, backfills the items already stored, says so in one line, and only
then serves the query, over HTTP, with every matching item (issue 29)."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

from cdk_serverless_crud.local.aws import in_memory_aws
from cdk_serverless_crud.local.seeding import seed_items
from cdk_serverless_crud.local.server import serve_local
from cdk_serverless_crud.local.template import ApiSpec, load_api

from .conftest import Client

ORDERS = 120
STATUSES = ("new", "paid", "shipped")


def _without_status_index(api: ApiSpec) -> ApiSpec:
    """The shop as it was before ``Index("status")``: no GSI, no ``status`` entry."""
    (orders,) = [f for f in api.functions if f.environment.get("COLLECTION") == "orders"]
    table_name = orders.environment["TABLE_NAME"]
    entries = json.loads(orders.environment["INDEXES"])
    (status,) = [e for e in entries if e["attribute"] == "status"]
    kept = [e for e in entries if e is not status]
    older = dataclasses.replace(
        orders, environment={**orders.environment, "INDEXES": json.dumps(kept)}
    )
    methods = tuple(
        dataclasses.replace(m, function=older) if m.function.logical_id == orders.logical_id else m
        for m in api.methods
    )
    tables = []
    for table in api.tables:
        if table.name == table_name:
            args = dict(table.create_args)
            args["GlobalSecondaryIndexes"] = [
                i for i in args["GlobalSecondaryIndexes"] if i["IndexName"] != status["index"]
            ]
            args["AttributeDefinitions"] = [
                a for a in args["AttributeDefinitions"] if a["AttributeName"] != status["key"]
            ]
            table = dataclasses.replace(table, create_args=args)
        tables.append(table)
    return dataclasses.replace(api, methods=methods, tables=tuple(tables))


def test_an_added_index_is_backfilled_before_it_is_served(
    shop_cdk_out: Path, tmp_path: Path
) -> None:
    api = load_api(shop_cdk_out)
    older = _without_status_index(api)
    (orders,) = [f for f in older.functions if f.environment.get("COLLECTION") == "orders"]
    ids = [f"order-{n:04d}" for n in range(ORDERS)]
    status = {item_id: STATUSES[n % 3] for n, item_id in enumerate(ids)}
    with in_memory_aws(older, dynamodb="dynamodb-local", state_dir=tmp_path) as aws:
        import boto3

        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=aws.dynamodb_endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        # As the older function wrote them: keys of customer_id, none of status.
        seed_items(
            dynamodb,
            orders.environment["TABLE_NAME"],
            ids,
            1,
            data=lambda item_id: {"status": status[item_id], "customer_id": "c1"},
            indexed=("customer_id",),
        )

    with serve_local(shop_cdk_out, port=0, log=io.StringIO(), state_dir=tmp_path) as running:
        (notice,) = [n for n in running.aws.notices if n.startswith("Index")]
        assert re.fullmatch(
            rf"Index by-status of orders: backfilled {ORDERS} of {ORDERS} items in "
            r"[0-9.]+ s before serving it\.",
            notice,
        ), notice
        client = Client(running.url)
        found: list[str] = []
        query = "status=paid&limit=25"
        while True:
            page = client.request("GET", f"/orders?{query}").json()
            found += [item["id"] for item in page["items"]]
            if page["next_cursor"] is None:
                break
            assert len(page["items"]) == 25, "every page but the last is full"
            query = f"status=paid&limit=25&cursor={page['next_cursor']}"
        assert found == sorted(i for i in ids if status[i] == "paid")

    with serve_local(shop_cdk_out, port=0, log=io.StringIO(), state_dir=tmp_path) as running:
        assert not [n for n in running.aws.notices if n.startswith("Index")], "done once"
