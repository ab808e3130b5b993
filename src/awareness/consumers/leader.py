"""At most one process per database runs a named consumer. PostgreSQL: a session advisory lock
keyed by the name, held by the connection the consumer's transactions run on, so a leader that
loses its connection loses the lock with it and another replica takes over. SQLite: an exclusive
lock on a file beside the database, for the processes of one machine."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.engine import Database


class Leadership(Protocol):
    """Where a consumer's transactions run while it leads."""

    def transaction(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]: ...


class _PostgresLeadership:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self._conn.begin():
            yield self._conn


class Shared:
    """Transactions of a consumer that needs no leadership (every process runs one), and of a
    leader on SQLite, whose file lock is not tied to a connection."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def transaction(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        return self._database.write()


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key per consumer name."""
    digest = hashlib.blake2b(f"awareness.consumer:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.asynccontextmanager
async def lead(database: Database, name: str) -> AsyncIterator[Leadership | None]:
    """Yields the leadership of `name` if this process may run it now, else None."""
    if database.is_sqlite:
        with _file_lock(database, name) as held:
            yield Shared(database) if held else None
        return
    conn = await database.engine.connect()
    try:
        taken = await conn.execute(sa.select(sa.func.pg_try_advisory_lock(lock_key(name))))
        held = bool(taken.scalar())
        await conn.commit()
        yield _PostgresLeadership(conn) if held else None
    finally:
        # Closing the connection releases the session lock, also after a failure.
        with contextlib.suppress(Exception):
            await conn.close()


@contextlib.contextmanager
def _file_lock(database: Database, name: str) -> Iterator[bool]:
    path = Path(database.url.database or "awareness.db").with_suffix(f".{name}.lock")
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
