"""INSERT ... ON CONFLICT DO UPDATE for both dialects: derived rows are written again whenever a
batch is replayed, so every write of derived state is an upsert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


async def upsert(
    conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]], *, keys: Sequence[str]
) -> None:
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    changing = [name for name in rows[0] if name not in keys]
    if changing:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in changing},
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    await conn.execute(statement, list(rows))
