"""Change events from the records the item service writes, checked against the
published schema: each kind of write, an offloaded body, ``detail=False``, and the
pipe's filter, which lets no head or Idempotency-Key record through."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from item_service import change_events, config
from jsonschema import Draft202012Validator
from moto.events.models import EventPattern

from cdk_serverless_crud.contract import events_contract
from cdk_serverless_crud.contract.events_contract import VERSION_FILTER

from .helpers import PACKAGE, Api

SCHEMA = json.loads((PACKAGE / "contract" / "events.schema.json").read_text())
PATCH = {"Content-Type": "application/merge-patch+json"}


def _detail_validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(SCHEMA)
    return Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/detail"})


def _stream_records(aws: SimpleNamespace) -> list[dict[str, Any]]:
    """Every record in the table as the stream shows its last write (NEW_IMAGE): the
    versions as INSERTs, in order; heads and key records both as INSERT and MODIFY."""
    items = aws.dynamodb.scan(TableName=aws.table)["Items"]
    records = []
    for item in sorted(items, key=lambda i: (i["id"]["S"], int(i["timestamp"]["N"]))):
        keys = {"id": item["id"], "timestamp": item["timestamp"]}
        names = ["INSERT"] if item["timestamp"]["N"] != "0" else ["INSERT", "MODIFY"]
        records += [
            {"eventName": name, "dynamodb": {"Keys": keys, "NewImage": item}} for name in names
        ]
    return records


def _events(aws: SimpleNamespace, *, with_data: bool = True) -> list[dict[str, Any]]:
    """What the pipe sends: the records its filter passes, through the enrichment."""
    pattern = EventPattern.load(json.dumps(VERSION_FILTER))
    passed = [record for record in _stream_records(aws) if pattern.matches_event(record)]
    return [change_events.change_event(r, "items", with_data=with_data) for r in passed]


def test_each_kind_of_write_is_one_event_of_its_type(api: Api, aws: SimpleNamespace) -> None:
    first = api.create({"name": "a", "price": 12.5, "qty": 3}).json()
    item_id, path = first["id"], f"/items/{first['id']}"
    api.request("PUT", path, {"name": "b"})
    api.request("PATCH", path, body=json.dumps({"qty": 4}), headers=PATCH)
    api.request("DELETE", path)
    api.request("POST", f"{path}/restore", {"timestamp": int(first["timestamp"])})
    versions = [v["timestamp"] for v in reversed(api.versions(item_id))]

    sent = _events(aws)

    validator = _detail_validator()
    for event in sent:
        validator.validate(event["detail"])
    assert [e["detail_type"] for e in sent] == [
        "Item Created",
        "Item Updated",
        "Item Updated",
        "Item Deleted",
        "Item Restored",
    ]
    assert [e["detail"]["version"] for e in sent] == versions
    assert [e["detail"]["previous_version"] for e in sent] == [None, *versions[:-1]]
    assert [e["detail"].get("data") for e in sent] == [
        {"name": "a", "price": 12.5, "qty": 3},
        {"name": "b"},
        {"name": "b", "qty": 4},
        None,
        {"name": "a", "price": 12.5, "qty": 3},
    ]
    assert sent[3]["detail"]["deleted"] is True and "data_ref" not in sent[3]["detail"]
    assert {e["detail"]["collection"] for e in sent} == {"items"}


def test_no_event_for_heads_or_idempotency_records(api: Api, aws: SimpleNamespace) -> None:
    api.request("POST", "/items", {"n": 1}, headers={"Idempotency-Key": "k-1"})
    api.request("POST", "/items", {"n": 1}, headers={"Idempotency-Key": "k-1"})  # a replay

    records = _stream_records(aws)
    sent = _events(aws)

    assert len(records) == 5  # a version, and the head and key record written twice
    assert [e["detail_type"] for e in sent] == ["Item Created"]


def test_an_offloaded_body_is_a_data_ref_to_its_s3_version(api: Api, aws: SimpleNamespace) -> None:
    big = {"blob": "x" * 500_000}
    item_id = api.create(big).json()["id"]

    (event,) = _events(aws)

    _detail_validator().validate(event["detail"])
    ref = event["detail"]["data_ref"]
    assert "data" not in event["detail"]
    stored = aws.s3.get_object(Bucket=aws.bucket, Key=ref["key"], VersionId=ref["version_id"])
    assert json.loads(stored["Body"].read()) == big
    assert ref["key"].startswith(f"items/{item_id}/")


def test_with_events_a_body_too_large_for_an_event_goes_to_s3(
    api: Api, aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 300 KB fits a DynamoDB item (inline without events) but not a 256 KB event.
    monkeypatch.setenv("EVENT_DATA_LIMIT", str(change_events.EVENT_DATA_LIMIT))
    config.settings.cache_clear()
    api.create({"blob": "é" * 100_000})  # 200 KB as UTF-8: inline, in the event
    api.create({"blob": "y" * 300_000})

    small, large = sorted(_events(aws), key=lambda e: "data_ref" in e["detail"])

    assert small["detail"]["data"] == {"blob": "é" * 100_000}
    assert large["detail"]["data_ref"]["key"].startswith("items/")
    for event in (small, large):
        size = len(json.dumps(event["detail"], ensure_ascii=False).encode())
        assert size <= change_events.MAX_EVENT_BYTES


def test_every_event_carries_its_data_or_a_reference_to_it(
    api: Api, aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 90 KB of numbers in exponent form: small stored, but in the event each is written
    # with its 38 digits (as a JavaScript client writes numbers from 1e21 up), 500 KB.
    monkeypatch.setenv("EVENT_DATA_LIMIT", str(change_events.EVENT_DATA_LIMIT))
    config.settings.cache_clear()
    body = '{"n":[' + ",".join(["1E+37"] * 15_000) + "]}"
    assert len(body) < 92_000
    api.request("POST", "/items", body=body)

    (event,) = _events(aws)

    _detail_validator().validate(event["detail"])
    assert "data_ref" in event["detail"]
    ref = event["detail"]["data_ref"]
    stored = aws.s3.get_object(Bucket=aws.bucket, Key=ref["key"], VersionId=ref["version_id"])
    assert stored["Body"].read().decode() == body


def test_detail_off_sends_ids_and_versions_only(api: Api, aws: SimpleNamespace) -> None:
    api.create({"blob": "x" * 500_000})
    api.create({"n": 1})

    sent = _events(aws, with_data=False)

    for event in sent:
        _detail_validator().validate(event["detail"])
        assert set(event["detail"]) == {
            "collection",
            "id",
            "version",
            "previous_version",
            "deleted",
        }


def test_the_handler_answers_each_record_of_a_batch(
    api: Api, aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.create({"n": 1})
    api.create({"n": 2})
    monkeypatch.setenv("COLLECTION", "orders")  # as the construct sets them
    monkeypatch.setenv("EVENT_DETAIL", "none")
    config.event_settings.cache_clear()
    pattern = EventPattern.load(json.dumps(VERSION_FILTER))
    batch = [r for r in _stream_records(aws) if pattern.matches_event(r)]

    answers = change_events.handler(batch, None)

    assert [a["detail_type"] for a in answers] == ["Item Created", "Item Created"]
    assert {a["detail"]["collection"] for a in answers} == {"orders"}
    assert all("data" not in a["detail"] for a in answers)
    json.dumps(answers)  # what the Lambda runtime must be able to send


def test_the_runtime_and_the_construct_agree_and_the_schema_ships_in_the_package() -> None:
    assert Path(PACKAGE / "contract" / "events.schema.json").is_file()
    assert events_contract.event_schema() == SCHEMA
    names = tuple(change_events.DETAIL_TYPES.values())
    assert names == events_contract.DETAIL_TYPES == tuple(SCHEMA["$defs"]["detailType"]["enum"])
    assert change_events.MAX_EVENT_BYTES == events_contract.MAX_EVENT_BYTES
    assert change_events.EVENT_DATA_LIMIT == events_contract.EVENT_DATA_LIMIT
