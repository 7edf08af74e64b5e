"""A shop: two typed collections, orders and customers, behind one API.

Orders are validated against a JSON Schema (draft-07) and can be queried by ``status``
and by ``customer_id``, newest ``placed_at`` first with ``order=desc``; customers by
``email``, and listed most recently changed first with ``order=desc``. One REST API,
one stage and cache, one bucket; a table and a function per collection. Synthesize and
serve it locally with::

    cd examples/shop && cdk synth --quiet
    serverless-crud local --cdk-out examples/shop/cdk.out
"""

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from schemas import CUSTOMER_SCHEMA, ORDER_SCHEMA

from cdk_serverless_crud import Collection, Index, ServerlessCrudService

app = cdk.App()
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
stack = cdk.Stack(
    app, "ShopExample", description="Example of cdk-serverless-crud's typed collections"
)
ServerlessCrudService(
    stack,
    "Shop",
    tags={
        "Environment": app.node.try_get_context("environment") or "dev",
        "Project": app.node.try_get_context("project") or "cdk-serverless-crud-shop",
        "Owner": app.node.try_get_context("owner") or "platform-team",
    },
    collections=[
        Collection(
            "orders",
            schema=ORDER_SCHEMA,
            indexes=[Index("status"), Index("customer_id", sort="placed_at")],
        ),
        Collection(
            "customers",
            schema=CUSTOMER_SCHEMA,
            indexes=[Index("email")],
            listing_order="updated",
        ),
    ],
)
app.synth()
