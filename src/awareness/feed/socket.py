"""One feed connection: authenticate, send `connected` with the head, replay what the client
missed, then stream live events, each exactly once and in order. The client is subscribed
before the replay starts, so events committed meanwhile wait in its queue and duplicates are
dropped by `seq`.

Close codes: 4400 bad parameters, 4401 no or unknown credentials, 1013 too slow (resume with
`after`), 1001 server going away."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field

from starlette.types import Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from awareness.auth.principal import Principal
from awareness.eventlog import KINDS, head, oldest, read_after
from awareness.feed import tickets
from awareness.feed.audience import Audience, parse_filters
from awareness.feed.broadcaster import Broadcaster, Subscriber
from awareness.feed.outbox import Outbox
from awareness.services import Services

log = logging.getLogger(__name__)
PROTOCOL = "awareness.v1"
TICKET = "ticket."
BAD_REQUEST, UNAUTHENTICATED, TOO_SLOW, GOING_AWAY = 4400, 4401, 1013, 1001


@dataclass(eq=False)
class Connection:
    """Why the connection must end, once something decides it must."""

    ended: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int = 1000
    close_reason: str = ""

    def end(self, code: int, reason: str) -> None:
        if not self.ended.is_set():
            self.close_code, self.close_reason = code, reason[:120]
            self.ended.set()


def _dump(message: dict[str, object]) -> str:
    return json.dumps(message, separators=(",", ":"))


async def _principal(websocket: WebSocket, services: Services) -> Principal | None:
    header = websocket.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return await services.keys.resolve(key.strip())
    offered = websocket.scope.get("subprotocols") or []
    ticket = next((p[len(TICKET) :] for p in offered if p.startswith(TICKET)), None)
    ticket = ticket or websocket.query_params.get("ticket")
    if not ticket:
        return None
    async with services.database.write() as conn:
        key_id = await tickets.redeem(conn, ticket, now=services.clock.now())
    return await services.keys.resolve_id(key_id) if key_id is not None else None


def _audience(
    websocket: WebSocket, principal: Principal, services: Services
) -> tuple[Audience, int | None]:
    params = websocket.query_params
    after_text = params.get("after")
    after = None
    if after_text is not None:
        if not after_text.isdigit():
            raise ValueError("after: a non-negative event seq")
        after = int(after_text)
    try:
        sectors = parse_filters(params.getlist("sector"), services.settings.sectors.sectors)
    except ValueError as exc:
        raise ValueError(f"sector: {exc}") from None
    try:
        kinds = parse_filters(params.getlist("kind"), KINDS)
    except ValueError as exc:
        raise ValueError(f"kind: {exc}") from None
    return Audience(principal, sectors, kinds), after


async def serve(
    websocket: WebSocket, services: Services, broadcaster: Broadcaster, *, send: Send
) -> None:
    offered = websocket.scope.get("subprotocols") or []
    await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
    principal = await _principal(websocket, services)
    if principal is None:
        await websocket.close(
            UNAUTHENTICATED, "send an API key (Authorization: Bearer) or a ticket"
        )
        return
    try:
        audience, after = _audience(websocket, principal, services)
    except ValueError as exc:
        await websocket.close(BAD_REQUEST, str(exc)[:120])
        return
    options = services.settings.feed
    connection = Connection()
    stats = broadcaster.stats

    def cut() -> None:
        stats.dropped_clients += 1
        connection.end(TOO_SLOW, f"too slow: reconnect with after={outbox.last_sent}")

    outbox = Outbox(
        send,
        limit=options.client_queue,
        stats=stats,
        on_full=cut,
        on_broken=lambda: connection.end(1000, ""),
    )
    subscriber = Subscriber(audience, outbox)
    broadcaster.subscribe(subscriber)
    broadcaster.register(connection)
    tasks: list[asyncio.Task[None]] = []
    try:
        last = await _replay(websocket, services, audience, after)
        outbox.go_live(last)
        # A heartbeat right away says where the head is now that the replay is over.
        outbox.offer(None, _dump({"type": "heartbeat", "seq": broadcaster.last_seen}))
        tasks = [
            asyncio.create_task(_listen(websocket, connection)),
            asyncio.create_task(_heartbeat(outbox, broadcaster, options.keepalive_seconds)),
        ]
        await connection.ended.wait()
    except (WebSocketDisconnect, RuntimeError):
        connection.end(1000, "")
    finally:
        broadcaster.unsubscribe(subscriber)
        broadcaster.unregister(connection)
        await outbox.close()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if websocket.client_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    websocket.close(connection.close_code, connection.close_reason), 5
                )


async def _replay(
    websocket: WebSocket, services: Services, audience: Audience, after: int | None
) -> int:
    """Send `connected`, a `gap` if history was purged, then what the client missed; returns
    the last seq sent."""
    async with services.database.read() as conn:
        newest = await head(conn)
        first = await oldest(conn)
    keepalive = services.settings.feed.keepalive_seconds
    await websocket.send_text(
        _dump({"type": "connected", "seq": newest, "oldest": first, "keepalive_seconds": keepalive})
    )
    if after is None:
        return newest
    if after < newest and (first is None or after + 1 < first):
        await websocket.send_text(
            _dump(
                {
                    "type": "gap",
                    "seq": after,
                    "oldest": first,
                    "detail": f"events after {after} up to {(first or newest + 1) - 1} are no "
                    "longer kept; "
                    "reload warnings with GET /v1/warnings, then follow from here",
                }
            )
        )
    last = after
    page = services.settings.feed.replay_page
    principal = audience.principal
    while True:
        async with services.database.read() as conn:
            events = await read_after(
                conn, after=last, limit=page, principal=principal,
                sectors=sorted(audience.sectors), kinds=sorted(audience.kinds),
            )  # fmt: skip
        for event in events:
            await websocket.send_text(audience.encode(event))
            last = event.seq
        if len(events) < page:
            return last


async def _listen(websocket: WebSocket, connection: Connection) -> None:
    """Clients have nothing to say; this only notices when they leave."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    finally:
        connection.end(1000, "")


async def _heartbeat(outbox: Outbox, broadcaster: Broadcaster, every: float) -> None:
    """An application-level frame browsers can see (pings are invisible to them), carrying the
    newest seq so a board knows how far behind it is."""
    while not outbox.closed:
        await asyncio.sleep(every)
        outbox.offer(None, _dump({"type": "heartbeat", "seq": broadcaster.last_seen}))
