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


# sector_states as revisions 0003 and 0004 left it (own_level went in 0005), for tests that
# write rows at those revisions.
OLD_SECTOR_STATES = sa.table(
    "sector_states",
    *(sa.column(name) for name in ("sector", "level", "own_level", "score")),
    sa.column("score_state", sa.JSON),
    sa.column("window_state", sa.JSON),
    sa.column("level_state", sa.JSON),
    sa.column("evidence", sa.JSON),
    sa.column("evaluated_at", sa.DateTime(timezone=True)),
)
