"""A server for the throughput benchmark, in its own process so clients never share its GIL.

Run as a script: ``python local_server.py local CDK_OUT [DYNAMODB]`` serves the
synthesized app with local mode (``serve_local``, DynamoDB ``auto`` unless given) and
prints its DynamoDB endpoint on a second line; ``python local_server.py baseline`` serves
a fixed JSON answer with the standard library's ThreadingHTTPServer, this machine's
ceiling for a Python HTTP server. Both bind a free port on 127.0.0.1, print their base
URL on one line, and stop when stdin closes (so they never outlive the benchmark).
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_BODY = b'{"id":"baseline","timestamp":1,"data":{"name":"widget"}}'


class _Fixed(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle's algorithm holds the
    # body until the client's delayed ACK (40 ms on Linux) on a keep-alive connection.
    disable_nagle_algorithm = True

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response_only(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(_BODY)))
        self.end_headers()
        self.wfile.write(_BODY)

    do_GET = do_PUT = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet, like local mode with its access log discarded."""


class _BaselineServer(AbstractContextManager["_BaselineServer"]):
    def __enter__(self) -> _BaselineServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Fixed)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}/prod"
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def main() -> None:
    kind = sys.argv[1]
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if kind == "local":
        from cdk_serverless_crud.local.server import serve_local

        dynamodb: Any = sys.argv[3] if len(sys.argv) > 3 else "auto"
        context: AbstractContextManager[object] = serve_local(
            Path(sys.argv[2]), host="127.0.0.1", port=0, log=devnull, dynamodb=dynamodb
        )
    else:
        context = _BaselineServer()
    with context as running:
        print(running.url, flush=True)  # type: ignore[attr-defined]
        if kind == "local":
            print(running.aws.dynamodb_endpoint, flush=True)  # type: ignore[attr-defined]
        # The function logs a JSON line per request on stdout; discard them after the URL.
        sys.stdout = devnull
        sys.stdin.read()


if __name__ == "__main__":
    main()
