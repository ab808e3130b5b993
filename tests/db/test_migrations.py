"""The migration chain: one head, runs on both databases from nothing, matches the table
definitions, goes down and up again, and migrates once when processes race."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from awareness.db.engine import Database
from awareness.db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from awareness.db.tables import metadata
from tests.db.conftest import run_alembic


def test_one_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


async def test_upgrade_from_nothing_matches_the_models(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        assert await current_revision(database) is None
        before, after = await upgrade_to_head(database)
        assert (before, after) == (None, head_revision())
        async with database.read() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
        assert diff == []
        # A second run is a no-op.
        assert await upgrade_to_head(database) == (head_revision(), head_revision())
    finally:
        await database.dispose()


async def test_down_to_nothing_and_up_again(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        await upgrade_to_head(database)
        await run_alembic(database, command.downgrade, "base")
        async with database.engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        assert set(tables) <= {"alembic_version"}
        await upgrade_to_head(database)
        assert await current_revision(database) == head_revision()
    finally:
        await database.dispose()


async def test_racing_processes_migrate_once(empty_database_url: str) -> None:
    env = os.environ | {
        "AWARENESS_DATABASE_URL": empty_database_url,
        "AWARENESS_LOG__LEVEL": "WARNING",
    }
    command_line = [sys.executable, "-m", "awareness.cli", "migrate"]
    processes = [
        await asyncio.create_subprocess_exec(
            *command_line, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    results = [await p.communicate() for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], results
    database = Database(empty_database_url)
    try:
        async with database.read() as conn:
            versions = (
                await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            ).all()
        assert [v[0] for v in versions] == [head_revision()]
    finally:
        await database.dispose()
