"""Durable cursors for consumers of the event log, and stored times written the way the API
writes them (UTC ending in `Z`), so what the feed and the board read from the tables matches
every answer of the API.

Revision ID: 0004_consumers_and_utc_z
Revises: 0003_feed_tickets
Create Date: 2026-11-30
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004_consumers_and_utc_z"
down_revision = "0003_feed_tickets"
branch_labels = None
depends_on = None

# JSON columns whose times readers see: (table, primary key, column). Idempotency records hold
# the answers that retries are given again.
READ_BY_PEOPLE = (
    ("warnings", ("id",), "evidence"),
    ("events", ("seq",), "data"),
    ("sector_states", ("sector",), "evidence"),
    ("sector_states", ("sector",), "level_state"),
    ("idempotency_keys", ("org_id", "key"), "response"),
)
_OFFSET_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$")
CHUNK = 1000


def upgrade() -> None:
    op.create_table(
        "consumer_cursors",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    connection = op.get_bind()
    for table, key, column in READ_BY_PEOPLE:
        _rewrite(connection, table, key, column)


def downgrade() -> None:
    # Times ending in Z read the same as +00:00 everywhere; only the new table goes.
    op.drop_table("consumer_cursors")


def _rewrite(connection: sa.Connection, table: str, key: tuple[str, ...], column: str) -> None:
    """Walk the table by primary key and rewrite the values that hold a `+00:00` time."""
    rows = sa.table(table, *(sa.column(name) for name in key), sa.column(column, sa.JSON))
    keys = [rows.c[name] for name in key]
    last: tuple[Any, ...] | None = None
    while True:
        query = sa.select(*keys, rows.c[column]).order_by(*keys).limit(CHUNK)
        if last is not None:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*last))
        found = connection.execute(query).all()
        if not found:
            return
        for row in found:
            value = row[-1]
            rewritten = _in_z(value)
            if rewritten != value:
                match = sa.and_(
                    *(column_ == ident for column_, ident in zip(keys, row[:-1], strict=True))
                )
                connection.execute(rows.update().where(match).values({column: rewritten}))
        last = tuple(found[-1][:-1])


def _in_z(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: _in_z(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_in_z(item) for item in value]
    if isinstance(value, str) and _OFFSET_TIME.match(value):
        return value[: -len("+00:00")] + "Z"
    return value
