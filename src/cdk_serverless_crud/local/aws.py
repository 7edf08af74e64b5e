"""In-memory AWS for local mode: moto's server on loopback, tables and buckets from the template."""

from __future__ import annotations

import logging
import os
import threading
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import boto3
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from .template import ApiSpec

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

REGION = "us-east-1"

#: Everything boto3 needs to talk to moto and never to AWS. The credentials are moto's
#: conventional dummies; real ones in the environment are masked, not used.
_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
_MASKED = ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


@contextmanager
def in_memory_aws(api: ApiSpec, host: str = "127.0.0.1") -> Iterator[str]:
    """Start moto's server on a free loopback port, create the API's tables and buckets.

    Points this process's boto3 at it through ``AWS_ENDPOINT_URL`` for the duration and
    yields the endpoint URL.
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
        with patched_environ({**_ENVIRONMENT, "AWS_ENDPOINT_URL": endpoint}, unset=_MASKED):
            _reset(endpoint)
            create_resources(api, endpoint)
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


@contextmanager
def patched_environ(values: Mapping[str, str], unset: Iterable[str] = ()) -> Iterator[None]:
    """Set (and unset) environment variables for the block, then put them back."""
    saved = {key: os.environ.get(key) for key in (*values, *unset)}
    for key in unset:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, previous in saved.items():
            if previous is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = previous


def _reset(endpoint: str) -> None:
    """Start from empty AWS: moto keeps its state per process, not per server."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30):
        pass


def create_resources(api: ApiSpec, endpoint: str) -> None:
    """Create the template's tables and buckets in the moto server at ``endpoint``."""
    session = boto3.session.Session(region_name=REGION)
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    for table in api.tables:
        dynamodb.create_table(**table.create_args)
    s3 = session.client("s3", endpoint_url=endpoint)
    for bucket in api.buckets:
        s3.create_bucket(Bucket=bucket.name)
        if bucket.versioned:
            s3.put_bucket_versioning(
                Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"}
            )
