"""INSERT ... ON CONFLICT DO UPDATE for both dialects: derived rows are written again whenever a
batch is replayed, so every write of derived state is an upsert. Statements are built once per
table and column set: the correlator writes the same shapes over and over."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


@cache
def _statement(
    dialect: str, table: sa.Table, columns: tuple[str, ...], keys: tuple[str, ...]
) -> sa.Insert:
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    changing = [name for name in columns if name not in keys]
    upserting: sa.Insert = (
        statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in changing},
        )
        if changing
        else statement.on_conflict_do_nothing(index_elements=list(keys))
    )
    return upserting


async def upsert(
    conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]], *, keys: Sequence[str]
) -> None:
    if not rows:
        return
    statement = _statement(conn.dialect.name, table, tuple(rows[0]), tuple(keys))
    await conn.execute(statement, list(rows))
