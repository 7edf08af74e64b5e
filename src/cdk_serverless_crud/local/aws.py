"""In-memory AWS: moto's server on loopback, and the template's tables and buckets in moto."""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Iterable, Iterator
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
        _atomic(DomainDispatcherApplication(create_backend_app)),
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
