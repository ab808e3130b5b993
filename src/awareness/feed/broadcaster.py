"""One broadcaster per process: woken by a notification (or its poll), it reads the new events
from the log once and offers each to every subscribed client, encoded once per audience. It
never waits for a client: a full client queue cuts that client, nobody else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from awareness.background import stop_politely
from awareness.db.engine import Database
from awareness.eventlog import Event, head, read_for_fanout
from awareness.feed.audience import Audience

log = logging.getLogger(__name__)


class Outlet(Protocol):
    def offer(self, seq: int | None, text: str) -> bool: ...


@dataclass(eq=False)
class Subscriber:
    """A connected client as the broadcaster sees it: what it may see, and where frames go."""

    audience: Audience
    outlet: Outlet


class Closable(Protocol):
    def end(self, code: int, reason: str) -> None: ...


@dataclass
class FeedStats:
    offered: int = 0
    sent: int = 0
    dropped_clients: int = 0
    events: int = 0


class Broadcaster:
    def __init__(self, database: Database, *, poll_seconds: float, page: int) -> None:
        self._database = database
        self._poll = poll_seconds
        self._page = page
        self._subscribers: set[Subscriber] = set()
        self._connections: set[Closable] = set()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # None until the log is first read: a starting server follows from the head then,
        # without needing the database to be up (or migrated) when it starts.
        self._last_seen: int | None = None
        self.stats = FeedStats()

    @property
    def clients(self) -> int:
        return len(self._subscribers)

    @property
    def last_seen(self) -> int:
        return self._last_seen or 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="broadcaster")

    async def stop(self) -> None:
        """Let a read in progress finish (cancelling it mid-query leaves the driver's thread
        with nowhere to answer), then stop."""
        await stop_politely(self._task, stop=self._stop, wake=self._wake)
        self._task = None

    def wake(self, _value: int | None = None) -> None:
        self._wake.set()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def register(self, connection: Closable) -> None:
        self._connections.add(connection)

    def unregister(self, connection: Closable) -> None:
        self._connections.discard(connection)

    def close_all(self, code: int, reason: str) -> None:
        """Ask every connection to close (server shutdown); each closes its own socket."""
        for connection in list(self._connections):
            connection.end(code, reason)

    @property
    def connections(self) -> int:
        return len(self._connections)

    async def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                await self.catch_up()
            except Exception:
                log.warning("broadcaster could not read the event log; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def catch_up(self) -> None:
        """Deliver every event after the last one seen, page by page, in order."""
        if self._last_seen is None:
            async with self._database.read() as conn:
                self._last_seen = await head(conn)
        while True:
            async with self._database.read() as conn:
                events = await read_for_fanout(conn, after=self._last_seen, limit=self._page)
            for event in events:
                self._fan_out(event)
                self._last_seen = event.seq
            if len(events) < self._page:
                return

    def _fan_out(self, event: Event) -> None:
        """Decide and encode once per audience, then hand the same text to its clients: the
        work per client is one look-up and one write."""
        self.stats.events += 1
        decided: dict[str, str | None] = {}
        seq, offered = event.seq, 0
        for subscriber in list(self._subscribers):
            audience = subscriber.audience
            text = decided.get(audience.key, "")
            if text == "":
                text = decided[audience.key] = (
                    audience.encode(event) if audience.may_see(event) else None
                )
            if text is not None and subscriber.outlet.offer(seq, text):
                offered += 1
        self.stats.offered += offered
