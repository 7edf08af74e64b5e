"""The HTTP side of local mode: the emulated stage as a WSGI app, served by werkzeug.

werkzeug serves moto beside it too. Its server closes the connection after every
answer (werkzeug 3 does not keep HTTP/1.1 connections alive); clients reconnect.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .aws import in_memory_aws
from .gateway import MAX_REQUEST_BYTES, Gateway, HttpRequest, load_handlers
from .template import ApiSpec, load_api

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: Statuses whose answers have no body (RFC 9110 sections 15.3.5 and 15.4.5).
_NO_CONTENT = frozenset({204, 304})

#: Connections the kernel queues before the server accepts them; beyond it, clients
#: are reset. (socketserver's default of 5 reset 32 simultaneous clients.)
LISTEN_BACKLOG = 1024

#: The environ key under which the request handler passes the headers as sent.
_RAW_HEADERS = "cdk_serverless_crud.headers"

_REASONS = {411: "Length Required", 413: "Request Too Long"}


class StageApp:
    """The stage as a WSGI application: every request goes to the gateway.

    Writes one access log line per request, before the answer goes out, so a client
    that has its answer finds its log line.
    """

    def __init__(self, gateway: Gateway, log: TextIO) -> None:
        """Serve ``gateway``; access log lines go to ``log``."""
        self.gateway = gateway
        self._log = log
        self._log_lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request."""
        length = environ.get("CONTENT_LENGTH") or None
        if length is None and environ.get("HTTP_TRANSFER_ENCODING"):
            return _reply(environ, start_response, 411, _message(411), [])
        size = int(length or 0)
        if size > MAX_REQUEST_BYTES:
            return _reply(environ, start_response, 413, _message(413), [])
        raw_uri = environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
        path, _, query = str(raw_uri).partition("?")
        request = HttpRequest(
            method=environ["REQUEST_METHOD"],
            raw_path=path,
            query=query,
            headers=environ.get(_RAW_HEADERS) or _environ_headers(environ),
            body=environ["wsgi.input"].read(size) if size else b"",
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            protocol=environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        )
        response, variables = self.gateway.handle(request)
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


def _stage_server(host: str, port: int, app: StageApp) -> BaseWSGIServer:
    """werkzeug's threaded server on a socket of ours."""
    sock = _listening_socket(host, port)
    try:
        return make_server(
            host,
            sock.getsockname()[1],
            app,
            threaded=True,
            request_handler=_StageRequestHandler,
            fd=sock.fileno(),
        )
    finally:
        sock.close()  # werkzeug listens on a duplicate of it


@dataclass(frozen=True)
class RunningService:
    """A local service that is accepting requests."""

    url: str
    api: ApiSpec


@contextmanager
def serve_local(
    cdk_out: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    stack: str | None = None,
    log: TextIO = sys.stdout,
) -> Iterator[RunningService]:
    """Serve the synthesized app in ``cdk_out`` until the block exits.

    Raises ``TemplateError`` for an app local mode cannot serve and ``OSError`` when
    the port cannot be bound. moto keeps its data per process, so serve one app per
    process at a time; each start begins with empty tables and buckets.
    """
    api = load_api(cdk_out, stack)
    with in_memory_aws(api, host="127.0.0.1"):
        server = _stage_server(
            host, port, StageApp(Gateway(api, load_handlers(api.functions)), log)
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            bound_host, bound_port = server.server_address[:2]
            url = f"http://{bound_host!s}:{bound_port}/{api.stage_name}"
            yield RunningService(url=url, api=api)
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
