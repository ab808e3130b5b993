"""Exactly one correlator per database. PostgreSQL: a session advisory lock, held by the
connection the batches run on, so a leader that loses its connection loses the lock with it and
another replica takes over. SQLite: an exclusive lock on a file beside the database, for the
processes of one machine."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.engine import Database

# pg_advisory_lock key of the correlator ("awco").
LEADER_LOCK_KEY = 0x6177636F


class Leadership(Protocol):
    def transaction(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]: ...


class _PostgresLeadership:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self._conn.begin():
            yield self._conn


class _SqliteLeadership:
    def __init__(self, database: Database) -> None:
        self._database = database

    def transaction(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        return self._database.write()


@contextlib.asynccontextmanager
async def lead(database: Database) -> AsyncIterator[Leadership | None]:
    """Yields the leadership if this process may correlate now, else None."""
    if database.is_sqlite:
        with _file_lock(database) as held:
            yield _SqliteLeadership(database) if held else None
        return
    conn = await database.engine.connect()
    try:
        held = (
            await conn.execute(sa.select(sa.func.pg_try_advisory_lock(LEADER_LOCK_KEY)))
        ).scalar()
        await conn.commit()
        yield _PostgresLeadership(conn) if held else None
    finally:
        # Closing the connection releases the session lock, also after a failure.
        with contextlib.suppress(Exception):
            await conn.close()


@contextlib.contextmanager
def _file_lock(database: Database) -> AsyncIterator[bool]:  # type: ignore[misc]
    path = Path(database.url.database or "awareness.db").with_suffix(".correlator.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
