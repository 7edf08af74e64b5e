"""The one write: a version and its head, put in one transaction.

TransactWriteItems (two Puts, three with an Idempotency-Key; authorized as PutItem) is
the only call that writes to the table, exactly the IAM action of docs/design.md. The
head's condition orders writers; an answer that may hide a commit is WriteOutcomeUnknown.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as AwsUnreachable

from .errors import WriteOutcomeUnknown
from .records import EXPIRES_AT, Content, Item, head_item, record_from_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: Why a transaction a concurrent writer got into first was cancelled.
LOST_RACE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


def put_version(
    dynamodb: DynamoDBClient,
    table: str,
    listing: str,
    version: Item,
    content: Content,
    keys: Item,
    seen: int | None,
    key: Item | None = None,
    created_at: int | None = None,
) -> None:
    """Put ``version`` and its head (in ``listing``, with index ``keys``) atomically.

    The head's condition orders writers: it must still point at ``seen``.

    The head replaces the previous one whole, so index keys the new version no
    longer has are gone with it. An Idempotency-Key's record ``key`` goes in too, unless
    the key is taken (and not expired): never a version without its key record, or
    a key record without its version.
    """
    head_put: dict[str, Any] = {"TableName": table}
    if seen is None:
        head_put["ConditionExpression"] = "attribute_not_exists(#id)"
        head_put["ExpressionAttributeNames"] = {"#id": "id"}
    else:
        head_put["ConditionExpression"] = "#latest = :seen"
        head_put["ExpressionAttributeNames"] = {"#latest": "latest"}
        head_put["ExpressionAttributeValues"] = {":seen": {"N": str(seen)}}
    record = record_from_item(version)
    head_put["Item"] = head_item(
        record.id,
        record.timestamp,
        content,
        keys,
        record.written_by,
        record.owner,
        listing,
        created_at,
    )
    puts: list[dict[str, Any]] = [
        {
            "TableName": table,
            "Item": version,
            "ConditionExpression": "attribute_not_exists(#id)",
            "ExpressionAttributeNames": {"#id": "id"},
        },
        head_put,
    ]
    if key is not None:
        puts.append(
            {
                "TableName": table,
                "Item": key,
                "ConditionExpression": "attribute_not_exists(#id) OR #expires <= :now",
                "ExpressionAttributeNames": {"#id": "id", "#expires": EXPIRES_AT},
                "ExpressionAttributeValues": {":now": {"N": str(int(time.time()))}},
            }
        )
    try:
        dynamodb.transact_write_items(
            TransactItems=[{"Put": put} for put in puts],  # type: ignore[typeddict-item]
            # Makes botocore's own retries of this call idempotent.
            ClientRequestToken=uuid.uuid4().hex,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _OUTCOME_UNKNOWN:
            raise WriteOutcomeUnknown() from error
        raise
    except (AwsUnreachable, HTTPClientError) as error:
        # A timeout or a dropped connection after botocore's retries: DynamoDB may
        # have committed the transaction before the answer was lost.
        raise WriteOutcomeUnknown() from error


# What TransactWriteItems answers when it may have committed all the same.
_OUTCOME_UNKNOWN = frozenset(
    {"InternalServerError", "ServiceUnavailable", "TransactionInProgressException"}
)


def cancellation_codes(error: ClientError) -> list[str]:
    """Per transaction item, why a cancelled transaction failed ("None" where it did not);
    empty for any other error."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
    return [str(reason.get("Code")) for reason in reasons]
