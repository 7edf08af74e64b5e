"""The template's pipes, run locally: a table's stream, the filter, the enrichment, a bus.

Each pipe reads its table's DynamoDB stream (DynamoDB Local's or moto's) from the moment
local mode starts, one record at a time in shard order, so each id's changes keep their
commit order. A record that one of the filter's patterns matches (moto's EventBridge
pattern matcher) goes to the enrichment function, which ``invoker.py`` runs as it runs
any function; each answer becomes one PutEvents entry, ``{"Source", "DetailType", "Detail",
"EventBusName"}``, given to the sink: the ``--events-file`` and :attr:`EventSink.events`.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, cast

from moto.events.models import EventPattern

from .buses import PipeSpec, RuleSpec
from .functions import FunctionSpec

#: How long a pipe waits between polls of an idle stream.
POLL_SECONDS = 0.05
#: How often a pipe looks for new shards.
SHARD_REFRESH_SECONDS = 1.0
_PLACEHOLDER = re.compile(r"<(\$(?:\.[A-Za-z0-9_-]+)*)>")

Invoke = Callable[[FunctionSpec, Any], Any]


class EventSink:
    """Where the pipes' events go: a list, and one JSON line each in ``path`` if given."""

    def __init__(self, path: Path | None = None) -> None:
        self.events: list[dict[str, str]] = []
        self.failures: list[str] = []
        """One line per stream record a pipe could not deliver (the dead-letter queue)."""
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")

    def put(self, entry: dict[str, str]) -> None:
        with self._lock:
            self.events.append(entry)
            if self._file is not None:
                self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self._file.flush()

    def fail(self, line: str) -> None:
        with self._lock:
            self.failures.append(line)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class PipeRunner:
    """One pipe, polling its stream on a thread of its own until :meth:`stop`."""

    def __init__(
        self,
        pipe: PipeSpec,
        dynamodb: Any,
        streams: Any,
        invoke: Invoke,
        sink: EventSink,
        log: TextIO,
        rules: Iterable[RuleSpec] = (),
    ) -> None:
        self.pipe = pipe
        self._rules = [
            (rule, EventPattern.load(rule.pattern))
            for rule in rules
            if rule.bus_name == pipe.bus_name
        ]
        self._streams = streams
        self._invoke = invoke
        self._sink = sink
        self._log = log
        self._patterns = [EventPattern.load(pattern) for pattern in pipe.patterns]
        table = dynamodb.describe_table(TableName=pipe.table_name)["Table"]
        self._stream_arn: str = table["LatestStreamArn"]
        self._stopped = threading.Event()
        # Where each open shard is read from: its newest record at start, so that
        # local mode, like a pipe created with StartingPosition LATEST, sends only
        # changes made while it runs; the start of a shard that opens later.
        self._iterators: dict[str, str] = {
            shard: self._iterator(shard, "LATEST") for shard in self._open_shards()
        }
        self._thread = threading.Thread(target=self._run, name=pipe.logical_id, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _open_shards(self) -> list[str]:
        description = self._streams.describe_stream(StreamArn=self._stream_arn)
        return [
            shard["ShardId"]
            for shard in description["StreamDescription"]["Shards"]
            if "EndingSequenceNumber" not in shard.get("SequenceNumberRange", {})
        ]

    def _iterator(self, shard: str, position: str) -> str:
        iterator: str = self._streams.get_shard_iterator(
            StreamArn=self._stream_arn, ShardId=shard, ShardIteratorType=position
        )["ShardIterator"]
        return iterator

    def _run(self) -> None:
        try:
            self._poll()
        except Exception as error:  # say so, rather than stop sending events silently
            line = f"pipe {self.pipe.logical_id} stopped reading its stream: {error!r}"
            self._sink.fail(line)
            print(line, file=self._log, flush=True)

    def _poll(self) -> None:
        refreshed = time.monotonic()
        while not self._stopped.is_set():
            received = 0
            for shard, iterator in list(self._iterators.items()):
                answer = self._streams.get_records(ShardIterator=iterator, Limit=100)
                for record in answer.get("Records", []):
                    self._deliver(_lambda_record(record, self._stream_arn))
                received += len(answer.get("Records", []))
                following = answer.get("NextShardIterator")
                if following:
                    self._iterators[shard] = following
                else:
                    del self._iterators[shard]  # a closed shard, read to its end
            if time.monotonic() - refreshed > SHARD_REFRESH_SECONDS:
                refreshed = time.monotonic()
                for shard in self._open_shards():
                    if shard not in self._iterators:
                        self._iterators[shard] = self._iterator(shard, "TRIM_HORIZON")
            if not received:
                self._stopped.wait(POLL_SECONDS)

    def _deliver(self, record: dict[str, Any]) -> None:
        # moto types its events as EventBridge's envelope, but matches any JSON object.
        matched = cast(Any, record)
        if self._patterns and not any(p.matches_event(matched) for p in self._patterns):
            return
        try:
            answers = (
                [record]
                if self.pipe.enrichment is None
                else self._invoke(self.pipe.enrichment, [record])
            )
            for answer in answers if isinstance(answers, list) else [answers]:
                entry = self.entry(answer)
                self._sink.put(entry)
                self._to_rules(entry)
        except Exception as error:  # the pipe's dead-letter queue, locally a line
            keys = json.dumps(record["dynamodb"].get("Keys"), sort_keys=True)
            line = f"pipe {self.pipe.logical_id} could not deliver {keys}: {error!r}"
            self._sink.fail(line)
            print(line, file=self._log, flush=True)

    def _to_rules(self, entry: Mapping[str, str]) -> None:
        """The bus's part: each rule whose pattern matches invokes its functions, with
        the event as EventBridge delivers it, before the pipe reads on."""
        if not self._rules:
            return
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": "123456789012",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": [],
            "detail": json.loads(entry["Detail"]),
        }
        for rule, pattern in self._rules:
            if pattern.matches_event(cast(Any, event)):
                for function in rule.functions:
                    try:
                        self._invoke(function, event)
                    except Exception as error:  # the target's dead-letter queue
                        line = (
                            f"rule {rule.logical_id} could not deliver to "
                            f"{function.logical_id}: {error!r}"
                        )
                        self._sink.fail(line)
                        print(line, file=self._log, flush=True)

    def entry(self, answer: Any) -> dict[str, str]:
        """The PutEvents entry the pipe's target sends for one enrichment answer."""
        detail_type = self.pipe.detail_type
        if detail_type.startswith("$."):
            detail_type = str(_at(answer, detail_type))
        template = self.pipe.input_template
        detail = answer if template is None else _rendered(template, answer)
        return {
            "Source": self.pipe.source,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, ensure_ascii=False, separators=(",", ":")),
            "EventBusName": self.pipe.bus_name,
        }


def start_pipes(
    pipes: Iterable[PipeSpec],
    dynamodb: Any,
    streams: Any,
    invoke: Invoke,
    sink: EventSink,
    log: TextIO,
    rules: Iterable[RuleSpec] = (),
) -> list[PipeRunner]:
    """Start a runner per pipe, each reading from now on, with the rules on its bus."""
    rules = list(rules)
    runners = [PipeRunner(pipe, dynamodb, streams, invoke, sink, log, rules) for pipe in pipes]
    for runner in runners:
        runner.start()
    return runners


def _lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Pipes and Lambda pass it: epoch seconds, the stream ARN."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record.get("eventID", uuid.uuid4().hex),
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def _at(value: Any, path: str) -> Any:
    """The value at a JSON path such as ``$.detail.id`` (dots only, as Pipes allows)."""
    for part in path.split(".")[1:]:
        value = value[part]
    return value


def _rendered(template: str, answer: Any) -> Any:
    """An input template applied to ``answer``: one placeholder alone is its value;
    placeholders inside a JSON text are replaced by their values' JSON."""
    whole = _PLACEHOLDER.fullmatch(template.strip())
    if whole:
        return _at(answer, whole[1])
    text = _PLACEHOLDER.sub(lambda m: json.dumps(_at(answer, m[1])), template)
    return json.loads(text)
