"""Numbers keep every digit: parsed as Decimal, stored as DynamoDB numbers, never floats."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from .helpers import Api

EXACT = {
    "big_int": "123456789012345678901234567890",
    "tiny_fraction": "0.1000000000000000000001",
    "max_precision": "1.2345678901234567890123456789012345678",
    "largest": "9.9999999999999999999999999999999999999E+125",
    "smallest": "1E-130",
    "negative": "-98765432109876543210.0123456789",
    "trailing_zeros": "1000000000000000000000000000000000000000000",
    "exponent": "1.5e+20",
    "zero": "0",
    "negative_zero": "-0",
    "float_trap": "0.30000000000000004",
}
BODY = "{" + ", ".join(f'"{k}": {v}' for k, v in EXACT.items()) + ', "list": [1.10, 2.200]}'


def _assert_exact(data: dict[str, Decimal]) -> None:
    for key, text in EXACT.items():
        assert data[key] == Decimal(text), key
    # 1.10 stays 1.10 in value; the parsed values are compared digit for digit.
    assert data["list"] == [Decimal("1.10"), Decimal("2.200")]


def test_numbers_round_trip_through_every_read(api: Api) -> None:
    created = api.request("POST", "/items", body=BODY)
    item_id = created.json()["id"]

    _assert_exact(created.json()["data"])
    _assert_exact(api.request("GET", f"/items/{item_id}").json()["data"])
    _assert_exact(api.request("GET", "/items").json()["items"][0]["data"])
    _assert_exact(api.versions(item_id)[0]["data"])
    replaced = api.request("PUT", f"/items/{item_id}", body=BODY)
    _assert_exact(replaced.json()["data"])


def test_digits_are_written_out_verbatim(api: Api) -> None:
    item_id = api.request("POST", "/items", body=BODY).json()["id"]

    body = api.request("GET", f"/items/{item_id}").body

    # Text, not just values: a float round trip would have printed 1.2345678901234568.
    for digits in (
        "123456789012345678901234567890",
        "0.1000000000000000000001",
        "1.2345678901234567890123456789012345678",
        "0.30000000000000004",
    ):
        assert digits in body


def test_numbers_are_stored_as_dynamodb_numbers(api: Api, aws: SimpleNamespace) -> None:
    created = api.request("POST", "/items", body=BODY).json()

    item = aws.dynamodb.get_item(
        TableName=aws.table,
        Key={"id": {"S": created["id"]}, "timestamp": {"N": str(created["timestamp"])}},
    )["Item"]

    stored = item["data"]["M"]
    assert Decimal(stored["big_int"]["N"]) == Decimal(EXACT["big_int"])
    assert Decimal(stored["tiny_fraction"]["N"]) == Decimal(EXACT["tiny_fraction"])
