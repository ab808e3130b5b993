"""Schema migrations: one Alembic chain for both dialects, applied under a lock so replicas that
start together migrate once."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from awareness.db.engine import _WRITE, Database
from awareness.paths import resource_dir

log = logging.getLogger(__name__)

# pg_advisory_lock key for migrations: any constant; "awar" in ASCII.
MIGRATION_LOCK_KEY = 0x61776172


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the migrations directory holds no revision")
    return head


async def current_revision(database: Database) -> str | None:
    async with database.read() as conn:
        has_table = await conn.run_sync(lambda sync: sa.inspect(sync).has_table("alembic_version"))
        if not has_table:
            return None
        return (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar()


async def upgrade_to_head(database: Database) -> tuple[str | None, str]:
    """Apply pending migrations; returns (revision before, revision after)."""
    async with database.engine.connect() as conn:
        if database.is_sqlite:
            # BEGIN IMMEDIATE: a second process waits here, then finds the schema current.
            await conn.execution_options(**{_WRITE: True})
        else:
            await conn.execute(sa.select(sa.func.pg_advisory_lock(MIGRATION_LOCK_KEY)))
            await conn.commit()
        try:
            async with conn.begin():
                before, after = await conn.run_sync(_upgrade)
        finally:
            if not database.is_sqlite:
                await conn.execute(sa.select(sa.func.pg_advisory_unlock(MIGRATION_LOCK_KEY)))
                await conn.commit()
    if before != after:
        log.info("schema migrated", extra={"from_revision": before, "to_revision": after})
    return before, after


def _upgrade(connection: Connection) -> tuple[str | None, str]:
    from alembic.runtime.migration import MigrationContext

    before = MigrationContext.configure(connection).get_current_revision()
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return before, head_revision()
