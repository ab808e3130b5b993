"""Durable consumers of the event log: a named cursor (the last `seq` handled) stored in the same
transaction as the consumer's own writes, so a consumer killed in the middle of a batch resumes
from its cursor and redoes that batch. Delivery is at least once: what a consumer does outside
the database (a webhook, a mail) may happen twice, and carries `Event.key` so the receiver can
tell."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.clock import Clock
from awareness.consumers.leader import Leadership
from awareness.consumers.runner import Progress
from awareness.db.tables import consumer_cursors
from awareness.db.upsert import upsert
from awareness.eventlog.reader import Event, head, read_after


async def load_position(conn: AsyncConnection, name: str) -> int | None:
    """The last seq `name` handled (None: never ran), locked until the transaction ends so two
    runs of one consumer cannot both take the same batch."""
    query = (
        sa.select(consumer_cursors.c.position)
        .where(consumer_cursors.c.name == name)
        .with_for_update()
    )
    position: int | None = (await conn.execute(query)).scalar()
    return position


async def save_position(conn: AsyncConnection, name: str, position: int, *, now: datetime) -> None:
    row = {"name": name, "position": position, "updated_at": now}
    await upsert(conn, consumer_cursors, [row], keys=["name"])


async def lags(conn: AsyncConnection) -> dict[str, int]:
    """Events each durable consumer has yet to handle."""
    newest = await head(conn)
    rows = await conn.execute(sa.select(consumer_cursors.c.name, consumer_cursors.c.position))
    return {row.name: max(0, newest - row.position) for row in rows}


class EventConsumer(ABC):
    """Subclasses name themselves and `handle` a batch of events in order."""

    exclusive = True

    def __init__(
        self, name: str, *, clock: Clock, batch_size: int = 500, from_start: bool = False
    ) -> None:
        self.name = name
        self._clock = clock
        self._batch = batch_size
        # A new consumer starts after the head unless it must see the whole history kept.
        self._from_start = from_start

    async def step(self, leadership: Leadership) -> Progress:
        async with leadership.transaction() as conn:
            after = await load_position(conn, self.name)
            if after is None and not self._from_start:
                await save_position(conn, self.name, await head(conn), now=self._clock.now())
                return Progress(0, more=True)
            events = await read_after(conn, after=after or 0, limit=self._batch)
            if events:
                await self.handle(conn, events)
                await save_position(conn, self.name, events[-1].seq, now=self._clock.now())
        return Progress(len(events), more=len(events) == self._batch)

    @abstractmethod
    async def handle(self, conn: AsyncConnection, events: Sequence[Event]) -> None:
        """Act on `events` (in seq order) inside the transaction that advances the cursor."""
