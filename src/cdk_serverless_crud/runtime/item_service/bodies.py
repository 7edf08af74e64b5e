"""Item bodies too large for DynamoDB (or for a change event), kept in S3.

Each write's body is put once, under a key of its own that no other write ever uses
(``If-None-Match: *``), so the S3 object version a version record points at stays the
current version of its key for as long as the bucket keeps it: the store's lifecycle
rule, which expires noncurrent versions, never reaches it. A body whose write did not
happen (a 404 or 412 after the upload, a lost race, a taken Idempotency-Key) is deleted
again: a delete marker makes it noncurrent, and the lifecycle rule expires it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as AwsUnreachable

from . import change_events
from .config import Settings
from .documents import ItemBody
from .records import Content, StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Bodies above this (DynamoDB's size estimate) go to S3. The head duplicates the
# data, so each of the two records must stay under the 400 KB item limit, with
# room for the other attributes and the estimate's error; two such records are
# far below TransactWriteItems' 4 MB.
INLINE_LIMIT = 350 * 1024
# How much longer than its canonical text a body can be in a change event: a number as
# short as ``1E37`` is written there with its 38 digits (change_events.plain).
_EVENT_GROWTH = 10


class BodyStore:
    """Puts, reads and deletes the S3 objects that hold offloaded bodies."""

    def __init__(self, settings: Settings, s3: Callable[[], S3Client]) -> None:
        """Call ``s3`` only when a body is offloaded."""
        self._settings = settings
        self._s3 = s3

    def content(self, item_id: str, body: ItemBody) -> Content:
        """The body inline if it fits a DynamoDB item (and a change event), else a
        pointer to a new S3 object holding it."""
        if body.dynamodb_size <= INLINE_LIMIT and not self._too_large_for_an_event(body):
            return body.data
        key = f"{self._settings.object_prefix}{item_id}/{uuid.uuid4().hex}.json"
        response = self._s3().put_object(
            Bucket=self._settings.bucket_name,
            Key=key,
            Body=body.text.encode("ascii"),
            ContentType="application/json",
            IfNoneMatch="*",
        )
        return StoredObject(key=key, version_id=response["VersionId"])

    def read(self, stored: StoredObject) -> str:
        """The body's canonical text, from the exact object version recorded."""
        response = self._s3().get_object(
            Bucket=self._settings.bucket_name,
            Key=stored.key,
            VersionId=stored.version_id,
        )
        return response["Body"].read().decode("ascii")

    @contextmanager
    def uploads(self, owned: bool) -> Iterator[Uploads]:
        """Track the objects one write uploads (if ``owned``: a restore's are not); on
        the way out, delete those no version points at."""
        uploads = Uploads(owned)
        try:
            yield uploads
        finally:
            for stored in uploads.unreferenced():
                self._discard(stored)

    def _discard(self, stored: StoredObject) -> None:
        """Delete an object no version points at: a delete marker, so its version is
        noncurrent and the lifecycle rule expires it.

        Best effort: an object left behind costs storage, never correctness, and the
        write's answer must not depend on it.
        """
        with suppress(ClientError, AwsUnreachable, HTTPClientError):
            self._s3().delete_object(Bucket=self._settings.bucket_name, Key=stored.key)

    def _too_large_for_an_event(self, body: ItemBody) -> bool:
        """Whether the body's ``data`` would not fit a change event, measured as the
        enrichment writes it (numbers in exponent form there take all their digits)."""
        limit = self._settings.event_data_limit
        if limit is None or len(body.text) * _EVENT_GROWTH <= limit:
            return False
        event_data = json.dumps(
            change_events.plain(body.data), ensure_ascii=False, separators=(",", ":")
        )
        return len(event_data.encode("utf-8")) > limit


class Uploads:
    """The S3 objects one write uploaded, and which of them a version points at.

    An object whose transaction may have committed (its outcome unknown) is never
    deleted; one refused by DynamoDB, or replaced by a later attempt's, is.
    """

    def __init__(self, owned: bool) -> None:
        self._owned = owned
        self._objects: list[StoredObject] = []
        self._maybe_referenced: StoredObject | None = None

    def sending(self, content: Content) -> None:
        """``content`` is about to be committed: until refused, it may be referenced."""
        if not self._owned or not isinstance(content, StoredObject):
            return
        if content not in self._objects:
            self._objects.append(content)
        self._maybe_referenced = content

    def refused(self, content: Content) -> None:
        """DynamoDB cancelled the transaction: nothing points at ``content`` (yet)."""
        if content == self._maybe_referenced:
            self._maybe_referenced = None

    def kept(self, content: Content) -> None:
        """The transaction committed: a version points at ``content``."""
        self.sending(content)

    def unreferenced(self) -> list[StoredObject]:
        """The objects this write uploaded that no version points at."""
        return [stored for stored in self._objects if stored != self._maybe_referenced]
