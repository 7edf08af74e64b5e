"""TimeSeriesTable: keys, the listing index, secure defaults and props."""

import re
from pathlib import Path

import pytest
from aws_cdk import RemovalPolicy
from aws_cdk.assertions import Template

from cdk_serverless_crud import TimeSeriesTable, TimeSeriesTableProps

from .helpers import new_stack, only, props

TABLE = "AWS::DynamoDB::Table"
RUNTIME = Path(__file__).parents[2] / "src" / "cdk_serverless_crud" / "runtime"


def test_keys_are_id_string_and_timestamp_number(template: Template) -> None:
    table = props(template, TABLE)
    assert table["KeySchema"] == [
        {"AttributeName": "id", "KeyType": "HASH"},
        {"AttributeName": "timestamp", "KeyType": "RANGE"},
    ]
    assert table["AttributeDefinitions"] == [
        {"AttributeName": "id", "AttributeType": "S"},
        {"AttributeName": "timestamp", "AttributeType": "N"},
        {"AttributeName": "listing", "AttributeType": "S"},
    ]


def test_billing_is_on_demand(template: Template) -> None:
    assert props(template, TABLE)["BillingMode"] == "PAY_PER_REQUEST"


def test_point_in_time_recovery_uses_the_current_property(template: Template) -> None:
    assert props(template, TABLE)["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }


def test_encryption_is_aws_managed(template: Template) -> None:
    assert props(template, TABLE)["SSESpecification"] == {"SSEEnabled": True}


def test_deletion_protection_is_on(template: Template) -> None:
    assert props(template, TABLE)["DeletionProtectionEnabled"] is True


def test_table_is_retained(template: Template) -> None:
    table = only(template, TABLE)
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_time_to_live_is_on_for_the_runtime_s_idempotency_records(template: Template) -> None:
    # The runtime writes the expiry of Idempotency-Key records under this name.
    records = RUNTIME / "item_service" / "records.py"
    (expires_at,) = re.findall(r'^EXPIRES_AT = "([a-z_]+)"$', records.read_text(), re.MULTILINE)
    assert props(template, TABLE)["TimeToLiveSpecification"] == {
        "AttributeName": expires_at,
        "Enabled": True,
    }
    assert expires_at == TimeSeriesTable.TIME_TO_LIVE_ATTRIBUTE


def test_table_name_is_generated(template: Template) -> None:
    assert "TableName" not in props(template, TABLE)


def test_sparse_listing_index_matches_the_design(template: Template) -> None:
    assert props(template, TABLE)["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "latest-items",
            "KeySchema": [
                {"AttributeName": "listing", "KeyType": "HASH"},
                {"AttributeName": "id", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]


@pytest.fixture(scope="module")
def table_with_props() -> Template:
    stack = new_stack()
    TimeSeriesTable(
        stack,
        "Table",
        props=TimeSeriesTableProps(
            point_in_time_recovery=False,
            deletion_protection=False,
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )
    return Template.from_stack(stack)


def test_props_turn_off_recovery_and_protection(table_with_props: Template) -> None:
    table = only(table_with_props, TABLE)
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": False
    }
    assert table["Properties"]["DeletionProtectionEnabled"] is False
    assert table["DeletionPolicy"] == "Delete"
    assert len(table["Properties"]["GlobalSecondaryIndexes"]) == 1
