"""One feed connection, once the API has accepted and authenticated it: send `connected` with the
head, replay what the client missed, then stream live events, each exactly once and in order.
The client is subscribed before the replay starts, so events committed meanwhile wait in its
queue and duplicates are dropped by `seq`.

Close codes: 4400 bad parameters, 4401 no, unknown or revoked credentials, 4429 too many
requests or too many sockets for one key, 1013 too slow (resume with `after`), 1001 server going
away (resume with `after`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from awareness.db.engine import Database
from awareness.eventlog.reader import head, oldest, read_after
from awareness.feed.audience import Audience
from awareness.feed.broadcaster import Broadcaster, Subscriber
from awareness.feed.outbox import Outbox, Write
from awareness.metrics import Metrics
from awareness.settings import FeedSettings
from awareness.views import frames

log = logging.getLogger(__name__)
PROTOCOL = "awareness.v1"
BAD_REQUEST, UNAUTHENTICATED, RATE_LIMITED, TOO_SLOW, GOING_AWAY = 4400, 4401, 4429, 1013, 1001
REVOKED = "the API key was revoked"
# Completed per client with where it resumes, as for a client too slow to keep up.
GOODBYE = "server going away"


class Disconnected(Exception):
    """The client is gone."""


class Socket(Protocol):
    """An accepted WebSocket, as the API hands it over."""

    @property
    def send(self) -> Callable[[dict[str, Any]], Awaitable[None]]:
        """The server's own send, for frames written as they are (see `Outbox`)."""

    @property
    def write(self) -> Write | None:
        """Writes a live frame's bytes straight to the socket, where the server allows it."""

    async def send_text(self, text: str) -> None:
        """Raises Disconnected when the client is gone."""

    async def wait_closed(self) -> None:
        """Returns when the client leaves (clients have nothing else to say)."""

    async def close(self, code: int, reason: str) -> None:
        """Close unless already closed."""


@dataclass(eq=False)
class Connection:
    """Why the connection must end, once something decides it must."""

    key_id: int
    last_sent: Callable[[], int] = lambda: 0
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int = 1000
    close_reason: str = ""

    def end(self, code: int, reason: str) -> None:
        if not self.ended.is_set():
            if code == GOING_AWAY:
                reason = f"{reason}: reconnect with after={self.last_sent()}"
            self.close_code, self.close_reason = code, reason[:120]
            self.ended.set()


async def serve(
    socket: Socket,
    audience: Audience,
    after: int | None,
    *,
    database: Database,
    broadcaster: Broadcaster,
    options: FeedSettings,
    metrics: Metrics,
) -> None:
    connection = Connection(audience.principal.key_id, lambda: outbox.last_sent)

    def cut() -> None:
        metrics.feed_clients_dropped.inc()
        connection.end(TOO_SLOW, f"too slow: reconnect with after={outbox.last_sent}")

    outbox = Outbox(
        socket.send,
        limit=options.client_queue,
        sent=metrics.feed_messages_sent,
        on_full=cut,
        on_broken=lambda: connection.end(1000, ""),
        write=socket.write,
    )
    subscriber = Subscriber(audience, outbox)
    broadcaster.subscribe(subscriber)
    broadcaster.register(connection)
    tasks: list[asyncio.Task[None]] = []
    try:
        last = await _replay(socket, audience, after, database=database, options=options)
        outbox.go_live(last)
        # A heartbeat right away says where the head is now that the replay is over.
        outbox.offer(None, frames.heartbeat(broadcaster.last_seen, broadcaster.correlation_lag))
        tasks = [
            asyncio.create_task(_listen(socket, connection)),
            asyncio.create_task(_heartbeat(outbox, broadcaster, options.keepalive_seconds)),
        ]
        await connection.ended.wait()
    except Disconnected:
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
        with contextlib.suppress(Exception):
            await asyncio.wait_for(socket.close(connection.close_code, connection.close_reason), 5)


async def _replay(
    socket: Socket,
    audience: Audience,
    after: int | None,
    *,
    database: Database,
    options: FeedSettings,
) -> int:
    """Send `connected`, a `gap` if history was purged, then what the client missed; returns
    the last seq sent."""
    async with database.read() as conn:
        newest = await head(conn)
        first = await oldest(conn)
    await socket.send_text(frames.connected(newest, first, options.keepalive_seconds))
    if after is None:
        return newest
    if after < newest and (first is None or after + 1 < first):
        await socket.send_text(frames.gap(after, first, newest))
    last = after
    principal = audience.principal
    while True:
        async with database.read() as conn:
            events = await read_after(
                conn, after=last, limit=options.replay_page, principal=principal,
                sectors=sorted(audience.sectors), kinds=sorted(audience.kinds),
            )  # fmt: skip
        for event in events:
            await socket.send_text(audience.encode(event))
            last = event.seq
        if len(events) < options.replay_page:
            return last


async def _listen(socket: Socket, connection: Connection) -> None:
    try:
        await socket.wait_closed()
    finally:
        connection.end(1000, "")


async def _heartbeat(outbox: Outbox, broadcaster: Broadcaster, every: float) -> None:
    """An application-level frame browsers can see (pings are invisible to them), carrying the
    newest seq so a board knows how far behind it is, and the correlator's lag so its readers
    know when warnings may be late."""
    while not outbox.closed:
        await asyncio.sleep(every)
        outbox.offer(None, frames.heartbeat(broadcaster.last_seen, broadcaster.correlation_lag))
