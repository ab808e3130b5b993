"""Durable consumers of the event log: a named cursor per consumer, every event handled once in
its transaction, and a consumer killed in the middle of a batch resumes from its cursor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.clock import ManualClock
from awareness.consumers.events import EventConsumer, lags
from awareness.consumers.runner import Runner
from awareness.db.engine import Database
from awareness.db.tables import consumer_cursors
from awareness.eventlog.reader import Event
from awareness.eventlog.writer import EventWriter
from awareness.views.sectors import level_change

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# What the consumer under test does with an event: a row written in its own transaction.
handled = sa.Table(
    "test_handled_events",
    sa.MetaData(),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("key", sa.String(32), nullable=False),
)


class Recorder(EventConsumer):
    """Writes each event it handles to `handled` and "delivers" it outside the database, where
    a redelivery shows; can be stopped in the middle of a batch."""

    def __init__(self, *, batch_size: int, from_start: bool = True) -> None:
        super().__init__("recorder", clock=ManualClock(AT), batch_size=batch_size,
                         from_start=from_start)  # fmt: skip
        self.delivered: list[str] = []
        self.pause_at: int | None = None
        self.paused = asyncio.Event()
        self.resume = asyncio.Event()
        self.backend_pid: int | None = None

    async def handle(self, conn: AsyncConnection, events: Sequence[Event]) -> None:
        for event in events:
            await conn.execute(handled.insert().values(seq=event.seq, key=event.key))
            self.delivered.append(event.key)
            if event.seq == self.pause_at:
                self.pause_at = None
                if conn.dialect.name == "postgresql":
                    pid = await conn.execute(sa.text("SELECT pg_backend_pid()"))
                    self.backend_pid = pid.scalar()
                self.paused.set()
                await self.resume.wait()
                if conn.dialect.name == "sqlite":
                    raise RuntimeError("killed in the middle of a batch")


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    async with db.engine.begin() as conn:
        await conn.run_sync(handled.metadata.create_all)
    yield db
    async with db.engine.begin() as conn:
        await conn.run_sync(handled.metadata.drop_all)
    await db.dispose()


async def _append(database: Database, count: int) -> list[int]:
    seqs = []
    for i in range(count):
        change = level_change(
            sector="energy", level="blue", previous_level="none", score=float(i), at=AT,
            evidence={},
        )  # fmt: skip
        async with database.write() as conn:
            seq = await EventWriter(conn).append(
                type="sector_level", kind="sector_level", sector="energy", sectors=(),
                data=change, at=AT,
            )  # fmt: skip
        seqs.append(seq)
    return seqs


async def _position(database: Database) -> int | None:
    """The stored cursor, read without waiting for the consumer's lock on it."""
    query = sa.select(consumer_cursors.c.position).where(consumer_cursors.c.name == "recorder")
    async with database.read() as conn:
        position: int | None = (await conn.execute(query)).scalar()
    return position


async def _handled(database: Database) -> list[int]:
    async with database.read() as conn:
        return list(
            (await conn.execute(sa.select(handled.c.seq).order_by(handled.c.seq))).scalars()
        )


def _runner(consumer: Recorder, database: Database) -> Runner:
    return Runner(consumer, database=database, poll_seconds=0.1, retry_seconds=0.05)


async def test_every_event_once_in_order_with_a_cursor_per_consumer(database: Database) -> None:
    seqs = await _append(database, 25)
    consumer = Recorder(batch_size=10)
    runner = _runner(consumer, database)
    runner.start()
    try:
        await runner.settle()
        assert runner.leading
        assert await _handled(database) == seqs
        assert consumer.delivered == [f"evt_{seq}" for seq in seqs]
        later = await _append(database, 3)
        runner.wake()
        await runner.settle()
        assert await _handled(database) == seqs + later
    finally:
        await runner.stop()
    assert await _position(database) == later[-1]
    async with database.read() as conn:
        assert await lags(conn) == {"recorder": 0}


async def test_a_new_consumer_starts_at_the_head_unless_told_otherwise(
    database: Database,
) -> None:
    await _append(database, 5)
    consumer = Recorder(batch_size=10, from_start=False)
    runner = _runner(consumer, database)
    runner.start()
    try:
        await runner.settle()
        assert await _handled(database) == []
        later = await _append(database, 2)
        runner.wake()
        await runner.settle()
    finally:
        await runner.stop()
    assert await _handled(database) == later


async def test_killed_mid_batch_it_resumes_from_its_cursor(
    database: Database, database_url: str
) -> None:
    seqs = await _append(database, 30)
    consumer = Recorder(batch_size=10)
    # The second batch (events 11 to 20) dies after handling 5 of its events.
    consumer.pause_at = seqs[14]
    runner = _runner(consumer, database)
    runner.start()
    try:
        await asyncio.wait_for(consumer.paused.wait(), 10)
        assert await _position(database) == seqs[9], "the first batch committed"
        if database.is_sqlite:
            consumer.resume.set()  # handle() raises: the batch's transaction rolls back
        else:
            # The consumer's own database session dies, as with a crash or a network cut.
            admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
            try:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", consumer.backend_pid)
            finally:
                await admin.close()
            consumer.resume.set()
        await runner.settle()
    finally:
        await runner.stop()
    assert await _handled(database) == seqs, "each event's effect is stored exactly once"
    redelivered = [key for key in consumer.delivered if consumer.delivered.count(key) > 1]
    assert sorted(set(redelivered)) == sorted(f"evt_{seq}" for seq in seqs[10:15]), (
        "at least once: the killed batch is delivered again, with the same keys"
    )
    assert await _position(database) == seqs[-1]
