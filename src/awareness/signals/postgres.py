"""Signals across replicas with LISTEN/NOTIFY. Notifications are sent outside the writers'
transactions (a NOTIFY inside one serializes commits on a global lock) from one connection,
coalesced to the newest value per channel; listening runs on another, reconnected when it
drops."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from awareness.db.engine import Database
from awareness.signals.local import Signals

log = logging.getLogger(__name__)


class PostgresSignals(Signals):
    def __init__(self, database: Database, *, retry_seconds: float = 1.0) -> None:
        super().__init__()
        self._dsn = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._retry = retry_seconds
        self._pending: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._listen_conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self.connected = asyncio.Event()

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._send_forever(), name="notify-send"),
            asyncio.create_task(self._listen_forever(), name="notify-listen"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def _publish(self, channel: str, value: int) -> None:
        # Local listeners hear it at once; other replicas through PostgreSQL.
        self._dispatch(channel, value)
        self._pending[channel] = max(value, self._pending.get(channel, value))
        self._wake.set()

    async def _send_forever(self) -> None:
        conn: asyncpg.Connection | None = None
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                pending, self._pending = self._pending, {}
                try:
                    if conn is None or conn.is_closed():
                        conn = await asyncpg.connect(self._dsn)
                    for channel, value in pending.items():
                        await conn.execute("SELECT pg_notify($1, $2)", channel, str(value))
                except (
                    OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                    asyncpg.InternalClientError,
                ) as exc:  # fmt: skip
                    # InternalClientError: the server went away in the middle of a statement.
                    log.warning("notify failed; retrying", extra={"error": repr(exc)})
                    for channel, value in pending.items():
                        self._pending[channel] = max(value, self._pending.get(channel, value))
                    self._wake.set()
                    conn = None
                    await asyncio.sleep(self._retry)
        finally:
            if conn is not None and not conn.is_closed():
                conn.terminate()

    async def _listen_forever(self) -> None:
        first = True
        while True:
            try:
                conn = await asyncpg.connect(self._dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("listener cannot connect; retrying", extra={"error": repr(exc)})
                await asyncio.sleep(self._retry)
                continue
            self._lost.clear()
            conn.add_termination_listener(lambda _conn: self._lost.set())
            try:
                for channel in list(self._listeners):
                    await conn.add_listener(channel, self._on_message)
                self._listen_conn = conn
                self.connected.set()
                if not first:
                    log.info("listener reconnected; catching up")
                    for channel in list(self._listeners):
                        self._dispatch(channel, None)
                first = False
                await self._watch(conn)
            except (
                OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                asyncpg.InternalClientError,
            ) as exc:  # fmt: skip
                log.warning("listener connection lost", extra={"error": repr(exc)})
            finally:
                self.connected.clear()
                self._listen_conn = None
                if not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(self._retry)

    async def _watch(self, conn: asyncpg.Connection) -> None:
        """Returns when the connection is gone: terminated by the server, or silent to a ping
        (a half-open TCP connection raises nothing by itself)."""
        while not conn.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=5)
                return
            await asyncio.wait_for(conn.execute("SELECT 1"), timeout=5)

    def _on_message(self, _conn: asyncpg.Connection, _pid: int, channel: str, payload: str) -> None:
        try:
            value: int | None = int(payload)
        except ValueError:
            value = None
        self._dispatch(channel, value)

    @property
    def backend_pid(self) -> int | None:
        """The listening connection's server process, for tests that terminate it."""
        return self._listen_conn.get_server_pid() if self._listen_conn else None
