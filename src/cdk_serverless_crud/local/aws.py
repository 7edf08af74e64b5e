"""In-memory AWS: moto's server on loopback, and the template's tables and buckets in moto."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from .environment import (
    MASKED,
    REGION,
    patched_environ,
    runtime_environment,
    shared_environment,
)
from .template import ApiSpec

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


@contextmanager
def in_memory_aws(api: ApiSpec, host: str = "127.0.0.1") -> Iterator[str]:
    """Start moto's server on a free loopback port, create the API's tables and buckets.

    For the duration, this process's environment is the functions' runtime environment
    with boto3 pointed at the server (``AWS_ENDPOINT_URL``); yields the endpoint URL.
    """
    # moto's server logs every AWS call through werkzeug; the stage's access log is the
    # output users read.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server(
        host,
        0,
        _atomic(_idempotent_transactions(DomainDispatcherApplication(create_backend_app))),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://{host}:{server.server_port}"
        shared = shared_environment(api) is not None
        with patched_environ(runtime_environment(api, endpoint, functions=shared), unset=MASKED):
            _reset(endpoint)
            session = boto3.session.Session(region_name=REGION)
            create_resources(
                api,
                session.client("dynamodb", endpoint_url=endpoint),
                session.client("s3", endpoint_url=endpoint),
            )
            yield endpoint
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _atomic(app: WSGIApplication) -> WSGIApplication:
    """Serve one AWS call at a time, so each is atomic as it is in AWS.

    moto's TransactWriteItems checks its conditions, writes, and on failure restores a
    copy of the table without a lock: two concurrent transactions can undo each other's
    writes. DynamoDB never does, and local mode must not lose a write AWS would keep.
    """
    lock = threading.Lock()

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


def create_resources(api: ApiSpec, dynamodb: Any, s3: Any) -> None:
    """Create the template's tables and buckets with these boto3 clients (moto's)."""
    for table in api.tables:
        dynamodb.create_table(**table.create_args)
    for bucket in api.buckets:
        s3.create_bucket(Bucket=bucket.name)
        if bucket.versioned:
            s3.put_bucket_versioning(
                Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"}
            )
