"""Index backfill: the keys of an index added to a collection that already holds items.

A head carries the keys of the collection's indexes from the version that wrote it
(indexes.item_keys), so an index added later holds only the items written since. The
backfill writes the missing keys onto every live head, and until it has, the index is
not queried: the list route answers 503 ``index_building``.

State lives in the table, beside the items, in records no item id can name (ids never
hold a ``/``):

- ``index/<index name>``, for an index the job creates (index_changes.py: the
  service's tables leave their attribute indexes out of the template) or that was added
  to a table holding items: ``state`` is ``building``, then ``ready``. The deploy
  writes it before the function that serves the index is in place (the collection's
  ``IndexBackfill`` custom resource), so no container of that function ever sees the
  index without it; an index without one was there from the table's start, or before
  backfills were recorded, and is ready.
- ``index/-job``: the job in progress: the indexes the table must end up with
  (``table_indexes``) and the ones to delete (``retired``), changed first, one at a
  time; then the indexes it backfills, and where the scan of the listing index stopped
  (``resume``), saved after every page, so an interrupted backfill resumes there and
  never redoes a page it finished.

Each key is written with UpdateItem, only while the head still points at the version it
was computed from (``latest = :seen``): a write that got in first wrote its own keys
(the function was updated before the backfill started), and wins. Writing a key the
head already has is skipped, so running the backfill twice changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from . import codec, index_changes
from .bodies import BodyStore
from .codec import Document
from .config import Settings
from .errors import IndexBuilding, InvalidBody
from .index_changes import IndexSpec
from .indexes import LISTING_SORT_KEY, Index, item_keys, listing_key
from .logs import log_event
from .records import HEAD_TIMESTAMP, Item, StoredObject, record_from_item
from .spaces import space_of_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

MARKER_PREFIX = "index/"
JOB_ID = MARKER_PREFIX + "-job"
BUILDING = "building"
READY = "ready"
#: Heads read per Scan page; progress is saved after each.
PAGE_SIZE = 100
#: How often the job looks whether DynamoDB has finished an index change.
INDEX_POLL_SECONDS = 5.0


def marker_key(index_name: str) -> Item:
    return {"id": {"S": MARKER_PREFIX + index_name}, "timestamp": {"N": str(HEAD_TIMESTAMP)}}


class Readiness:
    """Which indexes may be queried: those without a marker, or whose marker says
    ``ready``.

    A ready index stays ready (a new backfill of it comes with a deploy that adds it,
    whose function starts new containers), so the answer is kept for the container's
    life; one that is not is read again (one strongly consistent GetItem) at every query.
    """

    def __init__(self, settings: Settings, dynamodb: DynamoDBClient) -> None:
        self._settings = settings
        self._dynamodb = dynamodb
        self._ready: set[str] = set()

    def check(self, index: Index, *, owned: bool = False) -> None:
        """Raise IndexBuilding unless ``index`` may be queried: its keys are filled
        and the index it is read from (with ``owned``, the owners' one) exists."""
        self.check_index(index.name, index.attribute)
        if owned and index.owned_index is not None:
            self.check_index(index.owned_index, index.attribute)

    def check_index(self, index_name: str, subject: str) -> None:
        """Raise IndexBuilding, naming ``subject``, unless the global secondary index
        ``index_name`` may be queried."""
        if index_name in self._ready:
            return
        marker = self._dynamodb.get_item(
            TableName=self._settings.table_name, Key=marker_key(index_name), ConsistentRead=True
        ).get("Item")
        if marker is not None and marker.get("state", {}).get("S") == BUILDING:
            raise IndexBuilding(subject)
        self._ready.add(index_name)


@dataclass
class Progress:
    """What one run of the backfill did."""

    scanned: int = 0
    written: int = 0
    """Heads given keys they lacked."""
    lost_races: int = 0
    """Heads a newer write moved on before the keys were written: it wrote its own."""
    refused: int = 0
    """Heads whose value DynamoDB cannot take as a key (a write of it is a 400 now)."""
    index_changes: list[str] = field(default_factory=list)
    """The index changes asked of DynamoDB, such as ``Create by-status``, in order."""
    done: bool = False


class Backfill:
    """The backfill of one collection's table (the function's own settings)."""

    def __init__(
        self,
        settings: Settings,
        dynamodb: DynamoDBClient,
        s3: Callable[[], S3Client],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._dynamodb = dynamodb
        self._bodies = BodyStore(settings, s3)
        self._clock = clock
        self._sleep = sleep

    # ------------------------------------------------------------------ the job

    def stage(self, wanted: Sequence[IndexSpec], retired: Iterable[str] = ()) -> list[str]:
        """Ask the job to bring the table to the ``wanted`` attribute indexes (the
        template's ``TableIndexes``), deleting the ``retired`` ones (indexes an earlier
        deploy staged that this one no longer has), one change at a time
        (index_changes.py). Each wanted index the table lacks, or has with other keys,
        is marked as building, so it is not queried before it exists. Returns those.
        """
        table = self._dynamodb.describe_table(TableName=self._settings.table_name)["Table"]
        creating = [
            change.index_name
            for change in index_changes.plan(table, wanted, ())
            if change.action == "Create"
        ]
        for name in creating:
            self._put_marker(name, BUILDING)
        job = self._job()
        self._put_job(
            {
                **job,
                "table_indexes": [dict(index) for index in wanted],
                "retired": sorted(set(job.get("retired", [])) | set(retired)),
                "created": sorted(set(job.get("created", [])) | set(creating)),
            }
        )
        return creating

    def start(self, added: Iterable[str], removed: Iterable[str] = ()) -> list[str]:
        """Mark the indexes named ``added`` as building and (re)start the job from the
        first head; mark ``removed`` ones as removed. Returns the indexes the job builds.

        Called by the deploy (and local mode) after the function that writes the new
        keys is in place, so that every head the scan has not reached yet is either
        reached or rewritten by that function.
        """
        added = sorted(set(added))
        for name in removed:
            self._put_marker(name, "removed")
        job = self._job()
        building = sorted(set(job.get("indexes", [])) | set(added))
        if not added:
            return building  # a job in progress goes on from where it is
        for name in added:
            self._put_marker(name, BUILDING)
        self._put_job({**job, "indexes": building, "resume": None})
        return building

    def holds_items(self) -> bool:
        """Whether the table has a live item: an index added to it needs a backfill."""
        page = self._dynamodb.scan(
            TableName=self._settings.table_name,
            IndexName=self._settings.list_index_name,
            Limit=1,
        )
        return bool(page.get("Items"))

    def run(self, deadline: float) -> Progress:
        """Change the table's indexes, then scan and write, until the job is done or
        ``deadline`` (this clock) is near."""
        progress = Progress()
        job = self._job()
        if "table_indexes" in job and not self._change_indexes(job, deadline, progress):
            return progress
        building = set(job.get("indexes", []))
        indexes = tuple(index for index in self._settings.indexes if index.name in building)
        listing = self._settings.sorted_listing_index in building
        resume = job.get("resume")
        while building and self._clock() < deadline:
            query: dict[str, Any] = {
                "TableName": self._settings.table_name,
                "IndexName": self._settings.list_index_name,
                "Limit": PAGE_SIZE,
            }
            if resume is not None:
                query["ExclusiveStartKey"] = resume
            page = self._dynamodb.scan(**query)
            for head in page.get("Items", []):
                self._fill(head, indexes, progress, listing=listing)  # type: ignore[arg-type]
            progress.scanned += len(page.get("Items", []))
            resume = page.get("LastEvaluatedKey")
            if resume is None:
                break
            self._put_job({**job, "indexes": sorted(building), "resume": resume})
        else:
            if building:
                return progress  # out of time: a continuation resumes
        for name in sorted(building | set(job.get("created", []))):
            self._put_marker(name, READY)
        self._put_job({})
        progress.done = True
        return progress

    def _change_indexes(self, job: dict[str, Any], deadline: float, progress: Progress) -> bool:
        """Apply the staged index changes one at a time, waiting for each; whether all
        are done (else the deadline came first)."""
        wanted = job["table_indexes"]
        removable = set(job.get("retired", []))
        while self._clock() < deadline:
            done = index_changes.step(self._dynamodb, self._settings.table_name, wanted, removable)
            if done.state == "done":
                job.pop("table_indexes")
                job.pop("retired", None)
                self._put_job(job)
                return True
            if done.change is not None:
                progress.index_changes.append(f"{done.change.action} {done.change.index_name}")
                log_event("index_change", action=done.change.action, index=done.change.index_name)
            else:
                self._sleep(INDEX_POLL_SECONDS)
        return False

    # ------------------------------------------------------------------ one head

    def _fill(
        self, head: Item, indexes: tuple[Index, ...], progress: Progress, *, listing: bool = False
    ) -> None:
        """Write the keys ``head`` lacks: those of ``indexes`` and, with ``listing``, its
        place in the ordered listing (``lx``, and ``created_at`` if the head has none)."""
        record = record_from_item(head)
        if record.content is None:
            return  # a tombstone is in no index
        try:
            data = self._data(record.content)
            space = space_of_key(record.id)
            wanted = item_keys(indexes, space, data, record.owner, space.item_id(record.id))
        except InvalidBody:
            progress.refused += 1
            return
        if listing:
            created_at = record.created_at
            if created_at is None:
                created_at = self._first_timestamp(record.id, record.timestamp)
                wanted["created_at"] = {"N": str(created_at)}
            order = self._settings.listing_order
            lx = listing_key(order, created_at, record.timestamp, record.id)
            wanted[LISTING_SORT_KEY] = {"S": lx}
        missing = {name: value for name, value in wanted.items() if head.get(name) != value}
        if not missing:
            return
        names = {f"#k{n}": name for n, name in enumerate(missing)}
        values = {f":k{n}": value for n, value in enumerate(missing.values())}
        try:
            self._dynamodb.update_item(
                TableName=self._settings.table_name,
                Key={"id": head["id"], "timestamp": head["timestamp"]},
                UpdateExpression="SET " + ", ".join(f"#k{n} = :k{n}" for n in range(len(names))),
                ConditionExpression="#latest = :seen",
                ExpressionAttributeNames={**names, "#latest": "latest"},
                ExpressionAttributeValues={**values, ":seen": head["latest"]},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            progress.lost_races += 1
            return
        progress.written += 1

    def _first_timestamp(self, key: str, latest: int) -> int:
        """The timestamp of the first version of the item stored under ``key``."""
        page = self._dynamodb.query(
            TableName=self._settings.table_name,
            KeyConditionExpression="#id = :id AND #ts > :head",
            ExpressionAttributeNames={"#id": "id", "#ts": "timestamp"},
            ExpressionAttributeValues={
                ":id": {"S": key},
                ":head": {"N": str(HEAD_TIMESTAMP)},
            },
            ConsistentRead=True,
            Limit=1,
        )
        items = page.get("Items", [])
        return int(items[0]["timestamp"]["N"]) if items else latest

    def _data(self, content: Document | StoredObject) -> Document:
        """An item's data: inline, or its offloaded body's exact S3 version."""
        if not isinstance(content, StoredObject):
            return content
        loaded = codec.loads(self._bodies.read(content).encode("ascii"))
        assert isinstance(loaded, dict)
        return loaded

    # ------------------------------------------------------------------ records

    def _put_marker(self, name: str, state: str) -> None:
        self._dynamodb.put_item(
            TableName=self._settings.table_name,
            Item={
                **marker_key(name),
                "state": {"S": state},
                "updated_at": {"N": str(int(time.time() * 1000))},
            },
        )

    def _job(self) -> dict[str, Any]:
        item = self._dynamodb.get_item(
            TableName=self._settings.table_name,
            Key={"id": {"S": JOB_ID}, "timestamp": {"N": str(HEAD_TIMESTAMP)}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return {}
        job: dict[str, Any] = json.loads(item["job"]["S"])
        return job

    def _put_job(self, job: Mapping[str, Any]) -> None:
        self._dynamodb.put_item(
            TableName=self._settings.table_name,
            Item={
                "id": {"S": JOB_ID},
                "timestamp": {"N": str(HEAD_TIMESTAMP)},
                "job": {"S": json.dumps(job, sort_keys=True)},
                "updated_at": {"N": str(int(time.time() * 1000))},
            },
        )
