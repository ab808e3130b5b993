"""The PostgreSQL server the run borrows: one database per size, created, migrated and seeded,
and the facts about the server that the results record."""

from __future__ import annotations

import argparse
from typing import Any

import asyncpg
from measure import Target
from seed import Seeder
from world import World

import harness
from awareness.db.engine import Database
from awareness.db.migrate import upgrade_to_head
from harness import BenchError


class Postgres(harness.Postgres):
    async def admin(self, sql: str) -> None:
        conn = await asyncpg.connect(self.dsn(self.admin_db), timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


async def table_rows(pg: Postgres, db: str) -> dict[str, float]:
    conn = await asyncpg.connect(pg.dsn(db))
    try:
        names = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace"
            " WHERE s.nspname = 'public' AND c.relkind = 'r'"
        )
        return {
            row["relname"]: float(await conn.fetchval(f'SELECT count(*) FROM "{row["relname"]}"'))
            for row in names
        }
    finally:
        await conn.close()


async def server_facts(pg: Postgres) -> dict[str, Any]:
    conn = await asyncpg.connect(pg.dsn(pg.admin_db))
    try:
        facts = {"version": await conn.fetchval("SHOW server_version")}
        for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost",
                     "fsync", "synchronous_commit", "plan_cache_mode", "jit"):  # fmt: skip
            facts[name] = await conn.fetchval(f"SHOW {name}")
        return facts
    finally:
        await conn.close()


async def prepare(pg: Postgres, target: Target, world: World, args: argparse.Namespace) -> None:
    await pg.admin(f'CREATE DATABASE "{target.db}"')
    database = Database(target.url, options=target.settings.database)
    try:
        await upgrade_to_head(database)
    finally:
        await database.dispose()
    conn = await asyncpg.connect(pg.dsn(target.db))
    try:
        current = await conn.fetchval("SELECT pg_current_xact_id()::text::bigint")
        if current <= 200:
            raise BenchError("the server's transaction ids are too young to place the cursor")
        seeder = Seeder(
            conn, world, target.settings, size=target.size, recent=args.recent_reports,
            days=args.history_days, seed=args.seed,
        )  # fmt: skip
        target.seeded = await seeder.run()
    finally:
        await conn.close()
