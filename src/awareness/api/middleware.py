"""ASGI middleware: request ids, access logs and the headers browsers need on every answer; and
body size limits enforced while the body streams in, so an oversized request is refused before
it is held in memory."""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from typing import Any

from prometheus_client import Histogram
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from awareness.api.errors import answer_error
from awareness.errors import PayloadTooLarge
from awareness.logs import request_id

log = logging.getLogger("awareness.access")
SERVER_SEND = "awareness.server_send"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Unique across replicas and restarts without a random draw per request: a random prefix per
# process and a counter.
_PREFIX = os.urandom(8).hex()
_COUNTER = itertools.count(1)


# The board loads only its own files and talks only to its own origin (fetch and the feed), is
# never framed, and sends no referrer. Swagger UI (/docs) starts itself with an inline script and
# styles itself inline, so its page allows those, and nothing from elsewhere either.
_BOARD_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; "
    "object-src 'none'"
)
_DOCS_POLICY = _BOARD_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
_DOCS_POLICY = _DOCS_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
_EVERY_ANSWER = [(b"x-content-type-options", b"nosniff")]
_PAGES = [(b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer")]


def security_headers(path: str, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """What a browser needs to be told: every answer is what its Content-Type says, and a page
    runs only this service's code and is never framed."""
    added = list(_EVERY_ANSWER)
    if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
        policy = _DOCS_POLICY if path.startswith("/docs") else _BOARD_POLICY
        added += [(b"content-security-policy", policy.encode()), *_PAGES]
    return [*headers, *added]


class RequestContext:
    """Gives every request an id (the caller's `X-Request-ID` if sane), echoes it back, and
    writes one structured access line per request."""

    def __init__(self, app: ASGIApp, *, access_log: bool, latency: Histogram | None = None):
        self.app = app
        self.access_log = access_log
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            # The feed writes each frame to every client: it sends through the server's own
            # `send`, past the per-message wrappers the layers below would add.
            scope[SERVER_SEND] = send
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _VALID_ID.match(given) else f"{_PREFIX}{next(_COUNTER):016x}"
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                message["headers"] = security_headers(scope["path"], headers)
            await send(message)

        # A WebSocket sends many frames: only HTTP responses need the header and the status.
        try:
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
        except Exception:
            if scope["type"] != "http":
                raise
            # Answered here rather than by the server, which would also drop the connection;
            # the client gets the id to quote, the log gets the traceback.
            log.exception(
                "request failed", extra={"method": scope["method"], "path": scope["path"]}
            )
            if status == 0:
                detail = f"internal error: quote request id {rid} when reporting it"
                await JSONResponse({"detail": detail}, status_code=500)(
                    scope, receive, send_with_id
                )
        finally:
            elapsed = time.perf_counter() - started
            if self.latency is not None and scope["type"] == "http":
                # The route's template, not the path: ids in paths would make every request
                # a series of its own.
                route = getattr(scope.get("route"), "path_format", "unmatched")
                self.latency.labels(scope["method"], route, str(status)).observe(elapsed)
            if self.access_log and scope["type"] == "http":
                state: dict[str, Any] = scope.get("state", {})
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "key_id": state.get("key_id"),
                    },
                )
            request_id.reset(token)


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_batch_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_batch_bytes = max_batch_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        # A TAXII envelope holds up to 1,000 objects, as a batch does; a feed import is a
        # catalogue or a year of advisories.
        many = path.endswith("/batch") or path.startswith(("/taxii2/", "/v1/feeds/"))
        limit = self.max_batch_bytes if many else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            refused = PayloadTooLarge(f"the body exceeds {limit} bytes")
            await answer_error(Request(scope), refused)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLarge(f"the body exceeds {limit} bytes")
            return message

        await self.app(scope, counted, send)
