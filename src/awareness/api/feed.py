"""The live feed's endpoints: tickets for browsers, and the WebSocket itself, authenticated by the
same function and rate limit as every HTTP request before `feed.connection` takes over."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from awareness.api.components import Components
from awareness.api.deps import (
    Anyone,
    ComponentsDep,
    admit,
    bearer_key,
    components_of,
    refuse,
)  # fmt: skip
from awareness.api.middleware import SERVER_SEND
from awareness.api.pagination import MAX_ID
from awareness.auth import tickets
from awareness.auth.principal import Principal
from awareness.errors import RateLimited, Unauthenticated
from awareness.feed import connection
from awareness.feed.audience import Audience, parse_filters
from awareness.feed.outbox import Write
from awareness.timestamps import UtcTime
from awareness.vocabulary import WARNING_KINDS

router = APIRouter(prefix="/v1", tags=["feed"])
TICKET = "ticket."


class Ticket(BaseModel):
    ticket: str
    expires_at: UtcTime
    protocol: str


@router.post("/feed/tickets", status_code=201, response_model=Ticket)
async def create_ticket(principal: Anyone, components: ComponentsDep) -> Ticket:
    """A single-use ticket, valid for seconds, to open `/v1/feed` from a browser without
    putting the API key in a URL: `new WebSocket(url, ["awareness.v1", "ticket." + ticket])`."""
    async with components.database.write() as conn:
        ticket, expires = await tickets.issue(
            conn,
            principal=principal,
            now=components.clock.now(),
            lifetime=components.settings.feed.ticket_seconds,
        )
    return Ticket(ticket=ticket, expires_at=expires, protocol=connection.PROTOCOL)


class _Socket:
    """A Starlette WebSocket as `feed.connection.Socket`."""

    def __init__(self, websocket: WebSocket, send: Send) -> None:
        self._websocket = websocket
        self.send = send
        self.write = _direct_writer(send)

    async def send_text(self, text: str) -> None:
        try:
            await self._websocket.send_text(text)
        except (WebSocketDisconnect, RuntimeError) as exc:
            raise connection.Disconnected from exc

    async def wait_closed(self) -> None:
        while (await self._websocket.receive())["type"] != "websocket.disconnect":
            pass

    async def close(self, code: int, reason: str) -> None:
        if self._websocket.client_state is WebSocketState.CONNECTED:
            await self._websocket.close(code, reason[:120])


def _direct_writer(send: Send) -> Write | None:
    """With uvicorn's sans-I/O websockets protocol, a live frame is written the way
    `websockets.broadcast` writes it, no coroutine per client, and framed once for every client
    rather than once each: a server's frames are unmasked, so without compression the bytes
    are the same for all. The checks are the ones that protocol's own `send` and the library's
    `send_text` make, and the connection must have nothing of its own waiting to go out; when
    one fails (buffer full, closing, compression negotiated) the frame takes the ASGI path,
    which waits, compresses or reports the disconnect. Any other server gets the ASGI path."""
    protocol = getattr(send, "__self__", None)
    if not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    conn, transport, writable = protocol.conn, protocol.transport, protocol.writable

    def write(data: bytes) -> bool:
        if (
            not writable.is_set()
            or protocol.disconnected
            or protocol.close_sent
            or not protocol.handshake_complete
            or protocol.initial_response is not None
            or transport.is_closing()
            or conn.state is not State.OPEN
            or conn.expect_continuation_frame
            or conn.extensions
            or conn.writes
        ):
            return False
        transport.write(_framed(data))
        return True

    return write


# The frames of the last few events, by their text: each is written to every client.
_FRAMES: dict[bytes, bytes] = {}


def _framed(data: bytes) -> bytes:
    frame = _FRAMES.get(data)
    if frame is None:
        if len(_FRAMES) >= 64:
            _FRAMES.clear()
        frame = _FRAMES[data] = Frame(Opcode.TEXT, data).serialize(mask=False, extensions=[])
    return frame


async def _principal(websocket: WebSocket, components: Components) -> Principal:
    """The bearer key, or else a ticket (as a subprotocol, or `?ticket=`)."""
    key = bearer_key(websocket)
    if key is not None:
        return await admit(components, websocket, key)
    offered = websocket.scope.get("subprotocols") or []
    ticket = next((p[len(TICKET) :] for p in offered if p.startswith(TICKET)), None)
    ticket = ticket or websocket.query_params.get("ticket")
    if not ticket:
        raise Unauthenticated("send an API key (Authorization: Bearer) or a ticket")
    async with components.database.write() as conn:
        key_id = await tickets.redeem(conn, ticket, now=components.clock.now())
    if key_id is None:
        raise refuse(components, websocket, "unknown, used or expired ticket: ask for a new one")
    return await admit(components, websocket, key_id=key_id)


def _audience(
    websocket: WebSocket, principal: Principal, components: Components
) -> tuple[Audience, int | None]:
    params = websocket.query_params
    after_text = params.get("after")
    after = None
    if after_text is not None:
        if not after_text.isdigit() or int(after_text) > MAX_ID:
            raise ValueError("after: a non-negative event seq")
        after = int(after_text)
    try:
        sectors = parse_filters(params.getlist("sector"), components.settings.sectors.sectors)
    except ValueError as exc:
        raise ValueError(f"sector: {exc}") from None
    try:
        kinds = parse_filters(params.getlist("kind"), WARNING_KINDS)
    except ValueError as exc:
        raise ValueError(f"kind: {exc}") from None
    return Audience(principal, sectors, kinds), after


class _Feed:
    """`/v1/feed?after=SEQ&sector=S&kind=K`: first `connected` with the head seq, then every
    event after `after` the caller may see, then live events; `heartbeat` frames in between.
    Authenticate with `Authorization: Bearer <key>`, or a ticket as the subprotocol
    `ticket.<ticket>` (or `?ticket=`).

    A plain ASGI endpoint rather than a decorated one: live frames go to the server's `send`
    as they are, without a per-frame wrapper, since a frame is sent to every client."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        components = components_of(websocket)
        offered = scope.get("subprotocols") or []
        protocol = connection.PROTOCOL
        await websocket.accept(subprotocol=protocol if protocol in offered else None)
        try:
            principal = await _principal(websocket, components)
        except Unauthenticated as exc:
            await websocket.close(connection.UNAUTHENTICATED, exc.message[:120])
            return
        except RateLimited as exc:
            reason = f"too many requests; retry after {exc.retry_after} s"
            await websocket.close(connection.RATE_LIMITED, reason)
            return
        most = components.settings.feed.max_sockets_per_key
        if components.broadcaster.sockets_of(principal.key_id) >= most:
            reason = f"this key already holds {most} feed sockets: close one first"
            await websocket.close(connection.RATE_LIMITED, reason)
            return
        try:
            audience, after = _audience(websocket, principal, components)
        except ValueError as exc:
            await websocket.close(connection.BAD_REQUEST, str(exc)[:120])
            return
        socket = _Socket(websocket, scope.get(SERVER_SEND, send))
        await connection.serve(
            socket, audience, after, database=components.database,
            broadcaster=components.broadcaster, options=components.settings.feed,
            metrics=components.metrics,
        )  # fmt: skip


# Registered on the app's router by the app factory, next to the routes above.
feed_route = WebSocketRoute("/v1/feed", endpoint=_Feed())
