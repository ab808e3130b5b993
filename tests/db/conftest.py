"""Moving a database along the migration chain, as Alembic's own commands do."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic.config import Config

from awareness.db.engine import Database
from awareness.db.migrate import alembic_config


async def run_alembic(
    database: Database, step: Callable[[Config, str], None], revision: str
) -> None:
    """`step` is `alembic.command.upgrade` or `downgrade`, run on the database's connection."""

    def run(sync: sa.Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = sync
        step(config, revision)

    async with database.engine.connect() as conn:
        await conn.run_sync(run)
        await conn.commit()
