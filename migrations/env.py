"""Alembic environment: `awareness migrate` passes its own connection; the `alembic` command
line builds one from the same settings as the service."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from awareness.db.tables import metadata

config = context.config


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    from awareness.db.engine import open_database
    from awareness.settings import load_settings

    settings = load_settings()
    database = open_database(settings.effective_database_url, settings.database)
    try:
        async with database.engine.connect() as conn:
            await conn.run_sync(run_on)
            await conn.commit()
    finally:
        await database.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `awareness migrate`")

given = config.attributes.get("connection")
if given is not None:
    run_on(given)
else:
    asyncio.run(run_from_settings())
