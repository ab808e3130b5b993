"""One broadcaster per process, a consumer of the event log that every process runs: each step
reads the new events once and offers each to every subscribed client, encoded once per
audience. It never waits for a client: a full client queue cuts that client, nobody else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from awareness.consumers.leader import Leadership
from awareness.consumers.runner import Progress
from awareness.db.engine import Database
from awareness.eventlog.reader import Event, head, read_after
from awareness.feed.audience import Audience

# Not decided yet for this audience (None: decided, and not for it).
_UNDECIDED: tuple[str, bytes] = ("", b"")


class Outlet(Protocol):
    def offer(self, seq: int | None, text: str, data: bytes | None = None) -> bool: ...


@dataclass(eq=False)
class Subscriber:
    """A connected client as the broadcaster sees it: what it may see, and where frames go."""

    audience: Audience
    outlet: Outlet


class Closable(Protocol):
    @property
    def key_id(self) -> int:
        """The API key the connection was opened with: revoking it ends the connection."""

    def end(self, code: int, reason: str) -> None: ...


class Broadcaster:
    name = "feed"
    exclusive = False

    def __init__(self, database: Database, *, page: int) -> None:
        self._database = database
        self._page = page
        self._subscribers: set[Subscriber] = set()
        self._connections: set[Closable] = set()
        # None until the log is first read: a starting server follows from the head then,
        # without needing the database to be up (or migrated) when it starts.
        self._last_seen: int | None = None
        self._heard = 0
        # (reports, seconds) the correlator is behind, measured now and then for heartbeats.
        self.correlation_lag: tuple[int, float] | None = None

    @property
    def last_seen(self) -> int:
        return self._last_seen or 0

    @property
    def lag(self) -> int:
        """Events signalled as committed that are not broadcast yet."""
        return max(0, self._heard - self.last_seen)

    def heard(self, seq: int | None) -> None:
        """Events up to `seq` are committed (a signal; None: somewhere, unknown)."""
        if seq is not None:
            self._heard = max(self._heard, seq)

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

    def close_keys(self, key_ids: set[int], code: int, reason: str) -> int:
        """Ask the connections opened with these keys to close (revoked keys)."""
        ending = [c for c in self._connections if c.key_id in key_ids]
        for connection in ending:
            connection.end(code, reason)
        return len(ending)

    def key_ids(self) -> set[int]:
        return {connection.key_id for connection in self._connections}

    def sockets_of(self, key_id: int) -> int:
        return sum(1 for connection in self._connections if connection.key_id == key_id)

    @property
    def connections(self) -> int:
        return len(self._connections)

    async def step(self, _leadership: Leadership) -> Progress:
        """Deliver the next page of events after the last one seen, in order. Reads only, so
        it uses read transactions of its own rather than the writer's."""
        async with self._database.read() as conn:
            if self._last_seen is None:
                self._last_seen = await head(conn)
            events = await read_after(conn, after=self._last_seen, limit=self._page)
        for event in events:
            self._fan_out(event)
            self._last_seen = event.seq
        self._heard = max(self._heard, self.last_seen)
        return Progress(len(events), more=len(events) == self._page)

    def _fan_out(self, event: Event) -> None:
        """Decide and encode once per audience, then hand the same frame to its clients: the
        work per client is one look-up and one write."""
        decided: dict[str, tuple[str, bytes] | None] = {}
        seq = event.seq
        for subscriber in list(self._subscribers):
            audience = subscriber.audience
            frame = decided.get(audience.key, _UNDECIDED)
            if frame is _UNDECIDED:
                text = audience.encode(event) if audience.wants(event) else None
                frame = decided[audience.key] = None if text is None else (text, text.encode())
            if frame is not None:
                subscriber.outlet.offer(seq, frame[0], frame[1])
