"""The HTTP side of local mode: a threaded server in front of the emulated stage."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

from .aws import in_memory_aws
from .gateway import MAX_REQUEST_BYTES, Gateway, HttpRequest, load_handlers
from .template import ApiSpec, load_api

#: Statuses whose answers have no body (RFC 9110 sections 15.3.5 and 15.4.5).
_NO_CONTENT = frozenset({204, 304})


class _StageRequestHandler(BaseHTTPRequestHandler):
    """Hands every method to the gateway; writes one access log line per request."""

    server: _StageServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add ~40 ms to every answer on a kept-alive connection
    # (docs/performance.md, "Local mode throughput").
    disable_nagle_algorithm = True

    def __getattr__(self, name: str) -> Any:
        # http.server looks up do_<METHOD>; every method, TRACE included, goes to the
        # stage, which answers what API Gateway would.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None and self.headers.get("Transfer-Encoding"):
            self._reply(411, b'{"message": "Length Required"}', [])
            return
        size = int(length or 0)
        if size > MAX_REQUEST_BYTES:
            self.close_connection = True
            self._reply(413, b'{"message": "Request Too Long"}', [])
            return
        path, _, query = self.path.partition("?")
        request = HttpRequest(
            method=self.command,
            raw_path=path,
            query=query,
            headers=tuple(self.headers.items()),
            body=self.rfile.read(size) if size else b"",
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        response, variables = self.server.gateway.handle(request)
        # Logged before replying, so a client that has its answer finds its log line.
        line = self.server.gateway.access_log_line(variables)
        if line is not None:
            self.server.write_log(line)
        self._reply(response.status, response.body, response.headers)

    def _reply(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response_only(status)
        names = {name.lower() for name, _ in headers}
        for name, value in headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        if status in _NO_CONTENT:
            self.end_headers()  # RFC 9110: no body, so no Content-Length either
            return
        if "content-type" not in names:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silence http.server's own log: the stage's access log replaces it."""


class _StageServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], gateway: Gateway, log: TextIO) -> None:
        super().__init__(address, _StageRequestHandler)
        self.gateway = gateway
        self._log = log
        self._log_lock = threading.Lock()

    def write_log(self, line: str) -> None:
        with self._log_lock:
            print(line, file=self._log, flush=True)


@dataclass(frozen=True)
class RunningService:
    """A local service that is accepting requests."""

    url: str
    api: ApiSpec
    aws_endpoint: str


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
    with in_memory_aws(api, host="127.0.0.1") as endpoint:
        gateway = Gateway(api, load_handlers(api.functions))
        server = _StageServer((host, port), gateway, log)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            bound_host, bound_port = server.server_address[:2]
            url = f"http://{bound_host!s}:{bound_port}/{api.stage_name}"
            yield RunningService(url=url, api=api, aws_endpoint=endpoint)
        finally:
            server.shutdown()
            server.server_close()
