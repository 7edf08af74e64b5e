"""When AWS throttles or fails for a moment after boto3's retries, callers get a 503 to
retry, never a 500; a write whose outcome is unknown says so."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from .helpers import Api, failing


def test_a_throttled_read_is_a_503_with_retry_after(api: Api) -> None:
    item_id = api.create({"v": 1}).json()["id"]
    with failing("GetItem", "ProvisionedThroughputExceededException"):
        response = api.request("GET", f"/items/{item_id}")
    assert (response.status, response.error_code) == (503, "service_busy")
    assert response.headers["Retry-After"] == "1"
    assert api.request("GET", f"/items/{item_id}").status == 200


def test_a_throttled_listing_is_a_503(api: Api) -> None:
    with failing("Query", "ThrottlingException"):
        response = api.request("GET", "/items")
    assert (response.status, response.error_code) == (503, "service_busy")


def test_a_write_cancelled_by_throttling_is_a_503_and_writes_nothing(api: Api) -> None:
    item_id = api.create({"v": 1}).json()["id"]
    reasons = {"CancellationReasons": [{"Code": "ThrottlingError"}, {"Code": "None"}]}
    with failing("TransactWriteItems", "TransactionCanceledException", **reasons):
        response = api.request("PUT", f"/items/{item_id}", {"v": 2}, headers={"If-Match": "*"})
    assert (response.status, response.error_code) == (503, "service_busy")
    assert [version["data"] for version in api.versions(item_id)] == [{"v": 1}]


def test_other_aws_failures_stay_internal_errors(api: Api) -> None:
    with failing("Query", "AccessDeniedException"):
        response = api.request("GET", "/items")
    assert (response.status, response.error_code) == (500, "internal_error")
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize(
    ("service", "operation", "code"),
    [
        ("dynamodb", "GetItem", "InternalServerError"),
        ("dynamodb", "Query", "ServiceUnavailable"),
        ("s3", "GetObject", "InternalError"),
        ("s3", "GetObject", "ServiceUnavailable"),
    ],
)
def test_a_read_that_aws_fails_for_a_moment_is_a_503_to_retry(
    api: Api, service: str, operation: str, code: str
) -> None:
    item_id = api.create({"blob": "x" * 500_000}).json()["id"]
    path = "/items" if operation == "Query" else f"/items/{item_id}"
    with failing(operation, code, service=service):
        response = api.request("GET", path)
    assert (response.status, response.error_code) == (503, "service_unavailable")
    assert response.headers["Retry-After"] == "1"


def test_a_read_that_times_out_is_a_503(api: Api) -> None:
    timeout = ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
    with failing("Query", error=timeout):
        response = api.request("GET", "/items")
    assert (response.status, response.error_code) == (503, "service_unavailable")


@pytest.mark.parametrize("code", ["InternalError", "ServiceUnavailable"])
def test_a_failed_upload_is_a_503_and_writes_nothing(
    api: Api, aws: SimpleNamespace, code: str
) -> None:
    with failing("PutObject", code, service="s3"):
        response = api.request("POST", "/items", {"blob": "x" * 500_000})
    assert (response.status, response.error_code) == (503, "service_unavailable")
    assert aws.dynamodb.scan(TableName=aws.table)["Items"] == []


@pytest.mark.parametrize(
    "failure",
    [
        {"code": "InternalServerError"},
        {"code": "TransactionInProgressException"},
        {"error": ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")},
        {"error": ConnectTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")},
    ],
)
def test_a_write_whose_outcome_is_unknown_says_so(api: Api, failure: dict[str, object]) -> None:
    item_id = api.create({"v": 1}).json()["id"]
    with failing("TransactWriteItems", **failure):  # type: ignore[arg-type]
        response = api.request("PUT", f"/items/{item_id}", {"v": 2})
    assert (response.status, response.error_code) == (503, "write_outcome_unknown")
    assert response.headers["Retry-After"] == "1"
    assert "Idempotency-Key" in response.json()["error"]["message"]
