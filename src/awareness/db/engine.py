"""The engine and transactions. SQLite gets PRAGMAs for durability and one writer at a time;
PostgreSQL gets a pool. Writers use `Database.write()`, readers `Database.read()`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from awareness.settings import DatabaseOptions

_WRITE = "awareness_write"


class Database:
    def __init__(self, url: str, *, options: DatabaseOptions | None = None) -> None:
        options = options or DatabaseOptions()
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(url, options)
            # One writer at a time inside this process: waiting on an asyncio lock is fair and
            # free, where SQLite's busy handler would sleep and retry in a thread.
            self._write_lock: asyncio.Lock | None = asyncio.Lock()
        elif self.dialect == "postgresql":
            self.engine = _postgres_engine(url, options)
            self._write_lock = None
        else:
            raise ValueError(f"unsupported database {self.dialect!r}")

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block exits without an exception."""
        if self._write_lock is None:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        async with self._write_lock, self.engine.connect() as conn:
            await conn.execution_options(**{_WRITE: True})
            async with conn.begin():
                yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_engine(url: str, options: DatabaseOptions) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        pool_timeout=options.pool_timeout_seconds,
        connect_args={"timeout": options.sqlite_busy_timeout_ms / 1000},
    )
    busy_ms = options.sqlite_busy_timeout_ms

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below) instead of the driver's legacy guesswork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers run beside the writer; FULL syncs the WAL on every commit, so an
        # acknowledged report survives power loss, not only a crash of the process.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.close()

    @sa.event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A writer takes the lock when it begins, not at its first write: a deferred writer
        # that reads first can fail with "database is locked" without waiting.
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _postgres_engine(url: str, options: DatabaseOptions) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        pool_timeout=options.pool_timeout_seconds,
        connect_args={
            "timeout": options.connect_timeout_seconds,
            "server_settings": {"application_name": "awareness"},
        },
    )


def open_database(url: str, options: DatabaseOptions | None = None) -> Database:
    return Database(url, options=options)
