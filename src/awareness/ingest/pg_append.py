"""The PostgreSQL append: a whole request (its reports, incidents, indicators, asset links and
idempotency record) written by ONE statement, which is its own transaction. One round trip
instead of five, and no ORM layer, on the path every report takes; `store.write_incidents`
chooses it. The statement commits before it answers, so an answer means durable. Its columns
come from the table definitions, so a new column cannot be forgotten here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql

from awareness.auth.principal import Principal
from awareness.db.tables import incidents
from awareness.ingest.idempotency import Remember
from awareness.timestamps import time_to_json

# Filled from the request, not from each item.
_PER_REQUEST = ("id", "org_id", "sector", "received_at")
_COLUMNS = tuple(c.name for c in incidents.columns if c.name not in _PER_REQUEST)
_TYPES = tuple(
    incidents.c[name].type.compile(dialect=postgresql.dialect()).lower()  # type: ignore[no-untyped-call]
    for name in _COLUMNS
)
_N = len(_COLUMNS)


def _param(offset: int) -> str:
    """The placeholder of the parameter after the item columns: $1 is the order, then one
    array per column, then these."""
    return f"${_N + 1 + offset}"


ORG, KEY_ID, NOW, REQUEST_ID, SECTOR = (_param(i) for i in range(1, 6))
MARK_ORD, MARK_TYPE, MARK_VALUE, LINK_ORD, LINK_ASSET, LINK_PRODUCT = (
    _param(i) for i in range(6, 12)
)
IDEM_KEY, IDEM_HASH, BATCH, RECEIVED_TEXT, MARK_BENIGN = (_param(i) for i in range(12, 17))

# Ids are drawn in the order of the items (the CTE is computed once: nextval is volatile), so
# they are the request's order, and indicators are inserted in the order they were given (a
# join's output order is the plan's, hence ORDER BY); foreign keys are checked at the end.
_SQL = f"""
WITH items AS (
    SELECT nextval('reports_id_seq') AS id, t.*
    FROM unnest($1::int[], {", ".join(f"${n + 2}::{kind}[]" for n, kind in enumerate(_TYPES))})
        AS t(ord, {", ".join(_COLUMNS)})
),
reported AS (
    INSERT INTO reports (id, kind, org_id, key_id, received_at, request_id)
    SELECT id, 'incident', {ORG}, {KEY_ID}, {NOW}, {REQUEST_ID} FROM items
),
stored AS (
    INSERT INTO incidents (id, org_id, sector, received_at, {", ".join(_COLUMNS)})
    SELECT id, {ORG}, {SECTOR}, {NOW}, {", ".join(_COLUMNS)} FROM items
),
marked AS (
    INSERT INTO indicators (incident_id, org_id, sector, type, value, detected_at, benign)
    SELECT items.id, {ORG}, {SECTOR}, x.type, x.value, items.detected_at, x.benign
    FROM unnest({MARK_ORD}::int[], {MARK_TYPE}::text[], {MARK_VALUE}::text[],
                {MARK_BENIGN}::text[])
        WITH ORDINALITY AS x(ord, type, value, benign, n)
    JOIN items USING (ord)
    ORDER BY x.n
),
linked AS (
    INSERT INTO incident_assets (incident_id, asset_pk, product_key)
    SELECT items.id, y.asset_pk, y.product_key
    FROM unnest({LINK_ORD}::int[], {LINK_ASSET}::bigint[], {LINK_PRODUCT}::text[])
        AS y(ord, asset_pk, product_key)
    JOIN items USING (ord)
),
remembered AS (
    INSERT INTO idempotency_keys (org_id, key, request_hash, status_code, response, created_at)
    SELECT {ORG}, {IDEM_KEY}::text, {IDEM_HASH}::text, 201,
        CASE WHEN {BATCH}::bool
            THEN jsonb_build_object('ids', (SELECT jsonb_agg(id ORDER BY ord) FROM items),
                                    'received_at', {RECEIVED_TEXT}::text)
            ELSE jsonb_build_object('id', (SELECT min(id) FROM items),
                                    'received_at', {RECEIVED_TEXT}::text)
        END,
        {NOW}
    WHERE {IDEM_KEY}::text IS NOT NULL
)
SELECT id FROM items ORDER BY ord
"""


async def append_incidents(
    conn: asyncpg.Connection,
    rows: Sequence[Any],
    *,
    principal: Principal,
    now: datetime,
    request_id: str | None,
    remember: Remember | None,
    batch: bool,
) -> list[int]:
    """Write the incidents (`store.IncidentRows`) and, with `remember`, the idempotency record
    answering as `store.incident_created` does. Raises asyncpg.UniqueViolationError when
    another request with the key got there first."""
    columns: list[list[Any]] = [[row.incident[name] for row in rows] for name in _COLUMNS]
    marks = [(i, *mark) for i, row in enumerate(rows) for mark in row.indicators]
    links = [(i, a.pk, a.product_key) for i, row in enumerate(rows) for a in row.links]
    records = await conn.fetch(
        _SQL,
        list(range(len(rows))),
        *columns,
        principal.org_id,
        principal.key_id,
        now,
        request_id,
        principal.org_sector,
        [m[0] for m in marks],
        [m[1] for m in marks],
        [m[2] for m in marks],
        [link[0] for link in links],
        [link[1] for link in links],
        [link[2] for link in links],
        remember.key if remember else None,
        remember.request_hash if remember else None,
        batch,
        time_to_json(now),
        [m[3] for m in marks],
    )
    return [record["id"] for record in records]
