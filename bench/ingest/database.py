"""PostgreSQL as the driver sees it, through asyncpg (which the project's environment has): its
durability, and row counts taken only once the writes in flight at wrk's cut-off are done."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import harness
from harness import BenchError


class Postgres(harness.Postgres):
    def query(self, db: str, sql: str, *args: Any) -> list[Any]:
        import asyncpg

        async def run() -> list[Any]:
            conn = await asyncpg.connect(self.dsn(db), timeout=10)
            try:
                return list(await conn.fetch(sql, *args))
            finally:
                await conn.close()

        return asyncio.run(run())

    def value(self, db: str, sql: str, *args: Any) -> Any:
        rows = self.query(db, sql, *args)
        return rows[0][0] if rows else None


def durability(pg: Postgres) -> tuple[dict[str, Any], bool]:
    """The server's settings recorded with every result, and whether its commits are durable."""
    settings = {
        name: pg.value(pg.admin_db, f"SHOW {name}")
        for name in (
            "fsync",
            "synchronous_commit",
            "wal_sync_method",
            "full_page_writes",
            "commit_delay",
            "max_connections",
            "shared_buffers",
        )
    }
    settings["version"] = pg.value(pg.admin_db, "SELECT version()")
    durable = settings["fsync"] == "on" and settings["synchronous_commit"] in (
        "on",
        "remote_apply",
        "remote_write",
        "local",
    )
    return settings, durable


def db_stats(pg: Postgres, db: str) -> dict[str, int]:
    row = pg.query(
        pg.admin_db,
        "SELECT xact_commit, xact_rollback, sessions FROM pg_stat_database WHERE datname = $1",
        db,
    )[0]
    return {"xact_commit": row[0], "xact_rollback": row[1], "sessions": row[2]}


def count_rows(pg: Postgres, db: str) -> tuple[int, int]:
    rows = pg.query(
        db, "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM indicators)"
    )[0]
    return rows[0], rows[1]


def wait_quiet(pg: Postgres, db: str, timeout: float = 60) -> tuple[int, int]:
    """Waits until requests that were in flight when wrk stopped have finished, so the row
    count is final: no backend of the database busy with an ingest statement (awareness's
    correlator may go on reading and writing its own tables) and the count unchanged for 1 s."""
    deadline = time.monotonic() + timeout
    previous = None
    stable = 0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        active = pg.value(
            pg.admin_db,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
            " AND state IN ('active', 'idle in transaction')"
            " AND query ~* '^\\s*insert\\s+into\\s+\"?(reports|incidents|indicators)\\M'",
            db,
        )
        counts = count_rows(pg, db)
        stable = stable + 1 if active == 0 and counts == previous else 0
        if stable >= 2:
            return counts
        previous = counts
    raise BenchError(f"{db}: ingest writes still going {timeout:.0f} s after wrk stopped")
