"""Local AWS: moto's server on loopback, DynamoDB Local or moto for the tables.

S3 is always moto's. DynamoDB is DynamoDB Local (``dynamodb_local.py``) when Java 17+
and its jar are there, for costs flat in the table's size; otherwise, or when asked,
moto's, whose cost grows with the table (docs/design.md, "Local mode's DynamoDB").
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import threading
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import boto3
from botocore.exceptions import ClientError
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from cdk_serverless_crud.runtime.item_service import index_changes

from . import dynamodb_local, state
from .backfill import backfill_indexes
from .environment import (
    MASKED,
    REGION,
    patched_environ,
    runtime_environment,
    shared_environment,
)
from .errors import TemplateError
from .template import StackSpec

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


DynamoDBChoice = Literal["auto", "dynamodb-local", "moto"]
"""Which DynamoDB local mode runs: ``auto`` is DynamoDB Local when it can run, else moto."""
DYNAMODB_CHOICES: tuple[str, ...] = get_args(DynamoDBChoice)


@dataclass(frozen=True)
class LocalAws:
    """The endpoints local mode's AWS answers on, and which DynamoDB it is."""

    endpoint: str
    """moto's server: S3, and every service without an endpoint of its own."""
    dynamodb_endpoint: str
    dynamodb: Literal["dynamodb-local", "moto"]
    notices: tuple[str, ...] = ()
    """What the user should know: why ``auto`` fell back to moto, which saved table was
    recreated because the template changed it."""

    def environment(self, api: StackSpec) -> dict[str, str]:
        """The process environment the API's functions run in against these endpoints."""
        shared = shared_environment(api) is not None
        values = runtime_environment(api, self.endpoint, functions=shared)
        values["AWS_ENDPOINT_URL_DYNAMODB"] = self.dynamodb_endpoint
        return values

    def stream_clients(self) -> tuple[Any, Any]:
        """boto3 clients of the tables and of their streams, for the pipes."""
        session = boto3.session.Session(region_name=REGION)
        return (
            session.client("dynamodb", endpoint_url=self.dynamodb_endpoint),
            session.client("dynamodbstreams", endpoint_url=self.dynamodb_endpoint),
        )

    def create_resources(self, api: StackSpec) -> list[str]:
        """Create the API's tables and buckets here (see :func:`create_resources`)."""
        session = boto3.session.Session(region_name=REGION)
        return create_resources(
            api,
            session.client("dynamodb", endpoint_url=self.dynamodb_endpoint),
            session.client("s3", endpoint_url=self.endpoint),
        )


@contextmanager
def in_memory_aws(
    api: StackSpec,
    host: str = "127.0.0.1",
    *,
    dynamodb: DynamoDBChoice = "moto",
    state_dir: Path | None = None,
) -> Iterator[LocalAws]:
    """Start local AWS on free loopback ports and create the API's tables and buckets.

    moto's server always runs, for S3. ``dynamodb`` picks the tables' emulator:
    ``dynamodb-local`` raises ``DynamoDBLocalUnavailable`` if it cannot run, ``auto``
    falls back to moto with a notice. For the duration, this process's environment is
    the functions' runtime environment with boto3 pointed at these endpoints
    (``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_DYNAMODB``).

    With ``state_dir``, the data outlives the process (``state.py``): the tables are
    DynamoDB Local's in that folder, so it needs DynamoDB Local, and S3 is saved there.
    A saved table whose keys or indexes the template changed is created afresh, empty.
    """
    if dynamodb not in DYNAMODB_CHOICES:
        raise ValueError(f"dynamodb must be one of {', '.join(DYNAMODB_CHOICES)}: {dynamodb!r}")
    # moto's server logs every AWS call through werkzeug; the stage's access log is the
    # output users read.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with ExitStack() as stack:
        installation, notices = _dynamodb_local(dynamodb, state_dir)
        ddb_endpoint = None
        if installation is not None:
            db_path = None if state_dir is None else state.dynamodb_dir(state_dir)
            if db_path is not None:
                db_path.mkdir(parents=True, exist_ok=True)
            ddb_endpoint = stack.enter_context(
                dynamodb_local.running(installation, host=host, db_path=db_path)
            )
        lock = threading.Lock()
        writes: list[Callable[[WSGIEnvironment], None]] = []
        endpoint = stack.enter_context(moto_server(host, lock, writes))
        local = LocalAws(
            endpoint=endpoint,
            dynamodb_endpoint=ddb_endpoint or endpoint,
            dynamodb="moto" if ddb_endpoint is None else "dynamodb-local",
        )
        stack.enter_context(patched_environ(local.environment(api), unset=MASKED))
        _reset(endpoint)
        if state_dir is not None:
            state.load_s3(state_dir)
            writes.append(stack.enter_context(state.saving_s3(state_dir, lock)))
        notices += local.create_resources(api)
        yield dataclasses.replace(local, notices=tuple(notices))


def _dynamodb_local(
    choice: DynamoDBChoice, state_dir: Path | None
) -> tuple[dynamodb_local.Installation | None, list[str]]:
    """DynamoDB Local's installation for ``choice``, or None (moto) and why."""
    if state_dir is not None and choice == "moto":
        raise TemplateError(
            "--state-dir keeps the tables in DynamoDB Local; it cannot be used with --dynamodb moto"
        )
    if choice == "moto":
        return None, []
    try:
        return dynamodb_local.find_installation(), []
    except dynamodb_local.DynamoDBLocalUnavailable as error:
        if choice == "dynamodb-local" or state_dir is not None:
            raise
        return None, [
            f"{error}. Serving DynamoDB from moto instead, whose requests slow down as tables grow."
        ]


@contextmanager
def moto_server(
    host: str, lock: threading.Lock, writes: list[Callable[[WSGIEnvironment], None]]
) -> Iterator[str]:
    """moto's server on a free port, one AWS call at a time under ``lock``; yields its URL.

    Each function in ``writes`` is called with the environ of a call that may have
    changed S3, still under ``lock``, after moto has handled it and before its answer is
    sent: ``state.saving_s3`` makes the change durable there. If one raises, the client
    gets a 500 rather than an answer for a write that was not kept.
    """
    app = _atomic(
        _noting_writes(
            _idempotent_transactions(DomainDispatcherApplication(create_backend_app)), writes
        ),
        lock,
    )
    server = make_server(host, 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _noting_writes(
    app: WSGIApplication, writes: list[Callable[[WSGIEnvironment], None]]
) -> WSGIApplication:
    """Call each of ``writes`` after a request that is not a read or a DynamoDB call,
    once its answer is complete and before it is returned."""

    def noted(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = list(app(environ, start_response))
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD", "OPTIONS") and not environ.get(
            "HTTP_X_AMZ_TARGET"
        ):
            for write in writes:
                write(environ)
        return answer

    return noted


def _atomic(app: WSGIApplication, lock: threading.Lock) -> WSGIApplication:
    """Serve one AWS call at a time, so each is atomic as it is in AWS.

    moto's TransactWriteItems checks its conditions, writes, and on failure restores a
    copy of the table without a lock: two concurrent transactions can undo each other's
    writes. DynamoDB never does, and local mode must not lose a write AWS would keep.
    """

    def serialized(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with lock:
            return list(app(environ, start_response))

    return serialized


#: How long DynamoDB honours a TransactWriteItems ClientRequestToken.
TOKEN_WINDOW_SECONDS = 600
_TRANSACT_WRITE = "DynamoDB_20120810.TransactWriteItems"


def _idempotent_transactions(
    app: WSGIApplication, clock: Callable[[], float] = time.monotonic
) -> WSGIApplication:
    """Honour TransactWriteItems' ``ClientRequestToken`` as DynamoDB does; moto ignores it.

    botocore retries a transaction whose answer timed out with the same token. DynamoDB
    answers such a retry with success and writes nothing again; moto would run it again
    and fail its conditions, and the item service would answer 500 for a write that was
    done. So for 10 minutes a successful transaction's answer is kept by token: the
    same request gets it again, another request with the token gets
    ``IdempotentParameterMismatchException``, as from DynamoDB. Must run under
    :func:`_atomic`'s lock.
    """
    done: OrderedDict[str, tuple[float, str, str, list[tuple[str, str]], bytes]] = OrderedDict()

    def honoured(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") != _TRANSACT_WRITE:
            return app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            token = json.loads(body).get("ClientRequestToken")
        except (ValueError, AttributeError):
            token = None
        now = clock()
        while done and next(iter(done.values()))[0] <= now - TOKEN_WINDOW_SECONDS:
            done.popitem(last=False)
        digest = hashlib.sha256(body).hexdigest()
        if isinstance(token, str) and token in done:
            _, seen, status, headers, answer = done[token]
            if seen != digest:
                status, answer = "400 Bad Request", _MISMATCH
                headers = [("Content-Type", "application/x-amz-json-1.0")]
            start_response(status, headers)
            return [answer]
        replies: list[tuple[str, list[tuple[str, str]]]] = []

        def keep(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            replies.append((status, list(headers)))
            return start_response(status, headers, *args)

        answer = b"".join(app(environ, keep))
        status, headers = replies[0]
        if isinstance(token, str) and status.startswith("200"):
            done[token] = (now, digest, status, headers, answer)
        return [answer]

    return honoured


_MISMATCH = json.dumps(
    {
        "__type": "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
        "message": "The request uses the same client token as a previous, but non-identical "
        "request.",
    }
).encode()


def _reset(endpoint: str) -> None:
    """Start from empty AWS: moto keeps its state per process, not per server."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30):
        pass


def create_resources(api: StackSpec, dynamodb: Any, s3: Any) -> list[str]:
    """Create the template's tables and buckets with these boto3 clients.

    Ones that exist already (a ``--state-dir``, or a ``--watch`` reload) are kept, with
    their data, unless the template changed a table's keys: that table is created
    afresh, and the returned notices say so. Indexes the template added or removed are
    created or deleted in place, one at a time as DynamoDB allows, and the items already
    stored are backfilled into the added ones (``backfill.py``) before they are served,
    as a deploy does.
    """
    notices = []
    added: dict[str, set[str]] = {}
    existing = set(dynamodb.list_tables().get("TableNames", []))
    for table in api.tables:
        if table.name in existing:
            saved = dynamodb.describe_table(TableName=table.name)["Table"]
            if _key_shape(saved) == _key_shape(table.create_args):
                added[table.name] = _indexes_as_specified(dynamodb, table.name, table.create_args)
                _stream_as_specified(dynamodb, table.name, saved, table.create_args)
                continue
            dynamodb.delete_table(TableName=table.name)
            notices.append(
                f"Table {table.name}: the template changed its keys, so it was "
                "created afresh and its saved items are gone."
            )
        dynamodb.create_table(**table.create_args)
    for bucket in api.buckets:
        try:
            s3.create_bucket(Bucket=bucket.name)
        except ClientError as error:
            if error.response["Error"]["Code"] not in _OWN_BUCKET:
                raise
        if bucket.versioned:
            s3.put_bucket_versioning(
                Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"}
            )
    return notices + backfill_indexes(api, dynamodb, s3, added)


_OWN_BUCKET = ("BucketAlreadyOwnedByYou", "BucketAlreadyExists")


def _stream_as_specified(
    dynamodb: Any, name: str, saved: Mapping[str, Any], wanted: Mapping[str, Any]
) -> None:
    """Turn a saved table's stream on, off or to another view, as the template says."""
    have = saved.get("StreamSpecification") or {"StreamEnabled": False}
    want = wanted.get("StreamSpecification") or {"StreamEnabled": False}
    if have.get("StreamEnabled", False) == want["StreamEnabled"] and (
        not want["StreamEnabled"] or have.get("StreamViewType") == want["StreamViewType"]
    ):
        return
    if have.get("StreamEnabled"):
        dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    if want["StreamEnabled"]:
        dynamodb.update_table(TableName=name, StreamSpecification=dict(want))


def _indexes_as_specified(
    dynamodb: Any, name: str, wanted: Mapping[str, Any], timeout: float = 60.0
) -> set[str]:
    """Delete the saved table's indexes the template no longer has and create the ones
    it added (a changed one is both), one per UpdateTable as a deploy's index job does
    (``index_changes.step``); the names created."""
    definitions = {a["AttributeName"]: a for a in wanted["AttributeDefinitions"]}
    specs = [
        {
            **index,
            "AttributeDefinitions": [
                definitions[key["AttributeName"]] for key in index["KeySchema"]
            ],
        }
        for index in wanted.get("GlobalSecondaryIndexes", [])
    ]
    created: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Local mode owns the whole table: any index the template lacks may go.
        saved = dynamodb.describe_table(TableName=name)["Table"]
        removable = {index["IndexName"] for index in saved.get("GlobalSecondaryIndexes", [])}
        done = index_changes.step(dynamodb, name, specs, removable)
        if done.state == "done":
            return created
        if done.change is not None and done.change.action == "Create":
            created.add(done.change.index_name)
        elif done.state == "waiting":
            time.sleep(0.05)  # DynamoDB Local takes a moment
    raise TimeoutError(f"the indexes of table {name} were not ACTIVE after {timeout:g} s")


def _key_shape(table: Mapping[str, Any]) -> tuple[Any, ...]:
    """The table's own keys and their types: what saved items must have to be kept."""
    keys = _keys(table["KeySchema"])
    names = {name for name, _ in keys}
    types = sorted(
        (a["AttributeName"], a["AttributeType"])
        for a in table["AttributeDefinitions"]
        if a["AttributeName"] in names
    )
    return keys, tuple(types)


def _keys(schema: Iterable[Mapping[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((key["AttributeName"], key["KeyType"]) for key in schema)
