"""The HTTP side of local mode: the emulated stage as a WSGI app, served by werkzeug.

werkzeug serves moto beside it too. Its server closes the connection after every
answer (werkzeug 3 does not keep HTTP/1.1 connections alive); clients reconnect.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .aws import DynamoDBChoice, LocalAws, in_memory_aws
from .docs_page import DocsPage, read_document
from .environment import patched_environ
from .gateway import Gateway
from .handlers import load_handlers
from .http_types import MAX_REQUEST_BYTES, HttpRequest
from .pipes import EventSink, PipeRunner, start_pipes
from .seed import SeedResult, read_seed
from .seed import seed as seed_items
from .template import StackSpec, load_api

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: Statuses whose answers have no body (RFC 9110 sections 15.3.5 and 15.4.5).
_NO_CONTENT = frozenset({204, 304})

#: Connections the kernel queues before the server accepts them; beyond it, clients
#: are reset. (socketserver's default of 5 reset 32 simultaneous clients.)
LISTEN_BACKLOG = 1024

#: The environ key under which the request handler passes the headers as sent.
_RAW_HEADERS = "cdk_serverless_crud.headers"

_REASONS = {411: "Length Required"}


class StageApp:
    """The stage as a WSGI application: every request goes to the gateway.

    Writes one access log line per request, before the answer goes out, so a client
    that has its answer finds its log line.
    """

    def __init__(self, gateway: Gateway, log: TextIO, docs: DocsPage | None = None) -> None:
        """Serve ``gateway``, and ``docs``' pages; access log lines go to ``log``."""
        self.gateway = gateway
        self.docs = docs
        self._log = log
        self._log_lock = threading.Lock()

    def serve(self, gateway: Gateway, docs: DocsPage | None) -> None:
        """Send the next requests to ``gateway`` and ``docs``; those in flight finish."""
        self.gateway = gateway
        self.docs = docs

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request."""
        length = environ.get("CONTENT_LENGTH") or None
        if length is None and environ.get("HTTP_TRANSFER_ENCODING"):
            return _reply(environ, start_response, 411, _message(411), [])
        size = int(length or 0)
        raw_uri = environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
        path, _, query = str(raw_uri).partition("?")
        page = None if self.docs is None else self.docs.answer(environ["REQUEST_METHOD"], path)
        if page is not None:
            status, content_type, body = page
            return _reply(environ, start_response, status, body, [("Content-Type", content_type)])
        request = HttpRequest(
            method=environ["REQUEST_METHOD"],
            raw_path=path,
            query=query,
            headers=environ.get(_RAW_HEADERS) or _environ_headers(environ),
            body=environ["wsgi.input"].read(size) if 0 < size <= MAX_REQUEST_BYTES else b"",
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            protocol=environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        )
        too_large = size > MAX_REQUEST_BYTES  # refused unread, as API Gateway does
        response, variables = self.gateway.handle(
            request, refuse="REQUEST_TOO_LARGE" if too_large else None
        )
        line = self.gateway.access_log_line(variables)
        if line is not None:
            with self._log_lock:
                print(line, file=self._log, flush=True)
        return _reply(environ, start_response, response.status, response.body, response.headers)


def _reply(
    environ: WSGIEnvironment,
    start_response: StartResponse,
    status: int,
    body: bytes,
    headers: list[tuple[str, str]],
) -> list[bytes]:
    """Send the answer: the server sets neither Content-Length nor framing for us."""
    sent = [(n, v) for n, v in headers if n.lower() not in ("content-length", "connection")]
    if status in _NO_CONTENT:
        start_response(_status_line(status), sent)  # RFC 9110: no body, no Content-Length
        return []
    if not any(name.lower() == "content-type" for name, _ in sent):
        sent.append(("Content-Type", "application/json"))
    sent.append(("Content-Length", str(len(body))))
    start_response(_status_line(status), sent)
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _message(status: int) -> bytes:
    return f'{{"message": "{_REASONS[status]}"}}'.encode()


def _environ_headers(environ: WSGIEnvironment) -> tuple[tuple[str, str], ...]:
    """Headers rebuilt from a WSGI environ (original spelling lost), e.g. for test clients."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        headers.append(("-".join(p.capitalize() for p in name.split("_")), str(value)))
    return tuple(headers)


class _StageRequestHandler(WSGIRequestHandler):
    """werkzeug's handler, quiet, without Nagle's delay, passing headers as sent."""

    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add ~40 ms to an answer (docs/performance.md, "Local mode
    # throughput").
    disable_nagle_algorithm = True

    def make_environ(self) -> WSGIEnvironment:
        """werkzeug's environ plus the headers in their order, spelling and repetitions.

        The environ folds names to upper case and drops those with underscores; API
        Gateway passes them on as sent, and the CORS template reads ``Origin`` by case.
        """
        environ = super().make_environ()
        environ[_RAW_HEADERS] = tuple(self.headers.items())
        return environ

    def send_response(self, code: int, message: str | None = None) -> None:
        """The status line and ``Date``, as API Gateway sends; no ``Server: Werkzeug``."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silence werkzeug's own log: the stage's access log replaces it."""


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bind and listen here, so a busy port is an ``OSError`` (werkzeug would exit)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def _stage_server(sock: socket.socket, app: StageApp) -> BaseWSGIServer:
    """werkzeug's threaded server on a listening socket of ours (which it duplicates)."""
    host, port = sock.getsockname()[:2]
    return make_server(
        host, port, app, threaded=True, request_handler=_StageRequestHandler, fd=sock.fileno()
    )


class RunningService:
    """A local service that is accepting requests."""

    def __init__(
        self,
        url: str,
        api: StackSpec,
        aws: LocalAws,
        app: StageApp,
        events: EventSink,
        *,
        seeded: SeedResult | None = None,
        log: TextIO = sys.stdout,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """The service ``app`` serves at ``url``; its pipes' events go to ``events``."""
        self.url = url
        self.api = api
        self.aws = aws
        self.seeded = seeded
        """What ``seed`` loaded, if a seed file was given."""
        self.events = events
        """The change events the template's pipes sent, in order (and to ``events_file``)."""
        self._app = app
        self._log = log
        self._clock = clock
        # The environments that reloads set, put back when the service stops.
        self._environments = ExitStack()
        self._pipes: list[PipeRunner] = []

    def reload(self, cdk_out: Path, stack: str | None = None) -> list[str]:
        """Serve a newly synthesized assembly of the same app, keeping the data.

        Routes, functions and their settings are read afresh and the handlers imported
        anew; requests in flight finish on the old ones. The tables and buckets are
        kept, with their items, unless the template changed a table's keys; an index it
        added is created and backfilled before it is served (see ``create_resources``);
        returns the notices that say so. The pipes start
        again from the streams' newest records. Raises ``TemplateError`` and keeps
        serving the old assembly when the new one cannot be served.
        """
        api = load_api(cdk_out, stack)
        gateway = Gateway(api, load_handlers(api.invoked_functions), self._clock)
        gateway.local_url = self.url[: -len(f"/{self.api.stage_name}")]
        self._environments.enter_context(patched_environ(self.aws.environment(api)))
        notices = self.aws.create_resources(api)
        docs = _docs(cdk_out, api)
        self.stop_pipes()
        self._start_pipes(api, gateway)
        self._app.serve(gateway, docs)
        self.api = api
        return [*notices, *api.notices]

    def start_pipes(self) -> None:
        """Start reading the tables' streams, from their newest records."""
        self._start_pipes(self.api, self._app.gateway)

    def stop_pipes(self) -> None:
        """Stop reading the tables' streams."""
        for runner in self._pipes:
            runner.stop()
        self._pipes = []

    def close(self) -> None:
        """Put back the environments that reloads set, and stop the pipes."""
        self._environments.close()
        self.stop_pipes()

    def _start_pipes(self, api: StackSpec, gateway: Gateway) -> None:
        if not api.pipes:
            return
        dynamodb, streams = self.aws.stream_clients()
        invoke = gateway.invoker.invoke
        self._pipes = start_pipes(
            api.pipes, dynamodb, streams, invoke, self.events, self._log, api.rules
        )


def _docs(cdk_out: Path, api: StackSpec) -> DocsPage:
    return DocsPage(api.stage_name, read_document(cdk_out, api.artifact_id))


@contextmanager
def serve_local(
    cdk_out: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    stack: str | None = None,
    log: TextIO = sys.stdout,
    dynamodb: DynamoDBChoice = "auto",
    state_dir: Path | None = None,
    seed: Path | None = None,
    events_file: Path | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[RunningService]:
    """Serve the synthesized app in ``cdk_out`` until the block exits.

    ``dynamodb`` picks the tables' emulator (``in_memory_aws``): DynamoDB Local when it
    can run, by default. Each start begins with empty tables and buckets, unless
    ``state_dir`` keeps them (``state.py``). ``seed`` is a JSON lines file of items loaded
    through the stage before it serves (``seed.py``). The template's pipes send their
    change events to ``RunningService.events`` and, one JSON line each, to ``events_file``
    (``pipes.py``); the seed's writes produce none. ``clock`` is the stage cache's clock in
    seconds (tests pass their own to expire entries without waiting). Raises
    ``TemplateError`` for an app local mode cannot serve (``SeedError`` for a bad seed
    file, before any emulator starts) and ``OSError`` when the port cannot be bound. moto
    keeps its data per process, so serve one app per process at a time.
    """
    api = load_api(cdk_out, stack)
    # A bad seed file and a busy port fail at once, before any emulator starts.
    checked_seed = None if seed is None else read_seed(api, seed)
    with (
        _listening_socket(host, port) as sock,
        in_memory_aws(api, host="127.0.0.1", dynamodb=dynamodb, state_dir=state_dir) as aws,
    ):
        gateway = Gateway(api, load_handlers(api.invoked_functions), clock)
        seeded = None if checked_seed is None else seed_items(gateway, checked_seed)
        app = StageApp(gateway, log, _docs(cdk_out, api))
        server = _stage_server(sock, app)
        sock.close()  # werkzeug listens on a duplicate of it
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        bound_host, bound_port = server.server_address[:2]
        gateway.local_url = f"http://{bound_host!s}:{bound_port}"
        url = f"{gateway.local_url}/{api.stage_name}"
        sink = EventSink(events_file)
        running = RunningService(url, api, aws, app, sink, seeded=seeded, log=log, clock=clock)
        try:
            # Before the service is handed out: its first write already has its event.
            running.start_pipes()
            yield running
        finally:
            running.close()
            sink.close()
            server.shutdown()
            server.server_close()
            thread.join()
