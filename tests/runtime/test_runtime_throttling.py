"""When AWS throttles after boto3's retries, callers get a 503 to retry, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError
from item_service import clients

from .helpers import Api


@contextmanager
def failing(operation: str, code: str, **fields: Any) -> Iterator[None]:
    """DynamoDB answers ``operation`` with the error ``code``, as AWS would."""

    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": "throttled"}, **fields}, operation)

    events = clients.dynamodb().meta.events
    event = f"before-call.dynamodb.{operation}"
    events.register(event, fail)
    try:
        yield
    finally:
        events.unregister(event, fail)


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
