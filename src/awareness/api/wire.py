"""Limits on the wire, before a request reaches the app: a client that never finishes its
headers, or sends endless ones, or opens sockets by the thousand, costs the service a bounded
amount of memory and descriptors, and every other client is still served.

uvicorn's httptools protocol keeps every header line a client sends until the blank line, and
sets no time limit on reading them; this subclass adds both, and a cap on open connections
answered with 503 at once, so a socket over the cap is closed instead of held."""

from __future__ import annotations

import asyncio
import resource
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from awareness.settings import ServerSettings


def _answer(status: bytes, detail: str, *extra: bytes) -> bytes:
    body = b'{"detail":"' + detail.encode() + b'"}\n'
    head = [
        b"HTTP/1.1 " + status,
        b"content-type: application/json",
        b"content-length: " + str(len(body)).encode(),
        b"connection: close",
        *extra,
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def protocol_for(options: ServerSettings) -> type[HttpToolsProtocol]:
    """The protocol class uvicorn instantiates per connection, bound to these limits."""
    too_large = _answer(
        b"431 Request Header Fields Too Large",
        f"the request line and headers exceed {options.max_header_bytes} bytes "
        f"or {options.max_headers} fields",
    )
    too_slow = _answer(
        b"408 Request Timeout",
        f"the request line and headers took longer than {options.header_timeout_seconds:g} s",
    )
    too_many = _answer(
        b"503 Service Unavailable",
        "too many open connections; retry later",
        b"retry-after: 1",
    )

    class GuardedProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._head_bytes = 0
            self._head_fields = 0
            self._reading_head = False
            self._head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            over = len(self.connections) >= options.max_connections
            super().connection_made(transport)
            if over:
                transport.write(too_many)
                transport.close()
                return
            # Idle before the first request counts as reading its head: uvicorn's keep-alive
            # time-out only starts after a response.
            self._begin_head()

        def connection_lost(self, exc: Exception | None) -> None:
            self._end_head()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._reading_head and not self.transport.is_closing():
                self._head_bytes += len(data)
                if self._head_bytes > options.max_header_bytes or (
                    self._head_fields > options.max_headers
                ):
                    self._refuse(too_large)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._begin_head()

        def on_header(self, name: bytes, value: bytes) -> None:
            self._head_fields += 1
            if self._head_fields <= options.max_headers:
                super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._end_head()
            super().on_headers_complete()

        def _begin_head(self) -> None:
            if self._reading_head:
                return
            self._reading_head = True
            self._head_bytes = 0
            self._head_fields = 0
            self._head_timer = self.loop.call_later(
                options.header_timeout_seconds, self._refuse, too_slow
            )

        def _end_head(self) -> None:
            self._reading_head = False
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _refuse(self, answer: bytes) -> None:
            self._end_head()
            if not self.transport.is_closing():
                self.transport.write(answer)
                self.transport.close()

    return GuardedProtocol


def open_files_limit() -> int:
    """Raises this process's descriptor limit to what the system allows, and says what it is:
    the connection cap must stay below it, or accept() fails for every client alike."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return int(soft)
