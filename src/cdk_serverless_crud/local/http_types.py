"""What the emulated stage receives and answers, and the error it answers itself."""

from __future__ import annotations

from dataclasses import dataclass

#: API Gateway's limit on a request's payload.
MAX_REQUEST_BYTES = 10 * 1024 * 1024


class GatewayError(Exception):
    """API Gateway answers this request itself, with the gateway response of this type."""

    def __init__(self, response_type: str, message: str | None = None) -> None:
        """Answer with the gateway response ``response_type``; ``message`` if not its own."""
        super().__init__(response_type)
        self.response_type = response_type
        self.message = message


@dataclass(frozen=True)
class HttpRequest:
    """A request as the HTTP server received it (path still percent-encoded)."""

    method: str
    raw_path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The last value of a header, case-insensitively."""
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[-1] if values else None


@dataclass
class HttpResponse:
    """What the stage answers."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def with_header(self, name: str, value: str) -> HttpResponse:
        """A copy with one more header."""
        return HttpResponse(self.status, [*self.headers, (name, value)], self.body)
