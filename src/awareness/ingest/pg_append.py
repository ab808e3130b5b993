"""The PostgreSQL append: a whole request (its reports, incidents, indicators, asset links and
idempotency record) written by ONE statement, which is its own transaction. One round trip
instead of five, and no ORM layer, on the path every report takes; SQLite uses the portable
path in `store`. The statement commits before it answers, so an answer means durable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from awareness.auth.principal import Principal
from awareness.ingest.store import IncidentRows

_COLUMNS = (
    "detected_at", "occurred_at", "category", "functional_impact", "information_impact",
    "recoverability", "location", "asset_criticality", "summary", "tlp", "reference",
)  # fmt: skip
_TYPES = ("timestamptz", "timestamptz", *["text"] * 9)

# Ids are drawn in the order of the items (the CTE is computed once: nextval is volatile), so
# they are the request's order; foreign keys between the inserts are checked at the end.
_SQL = f"""
WITH items AS (
    SELECT nextval('reports_id_seq') AS id, t.*
    FROM unnest($1::int[], {", ".join(f"${n + 2}::{kind}[]" for n, kind in enumerate(_TYPES))})
        AS t(ord, {", ".join(_COLUMNS)})
),
reported AS (
    INSERT INTO reports (id, kind, org_id, key_id, received_at, request_id)
    SELECT id, 'incident', $13, $14, $15, $16 FROM items
),
stored AS (
    INSERT INTO incidents (id, org_id, sector, received_at, {", ".join(_COLUMNS)})
    SELECT id, $13, $17, $15, {", ".join(_COLUMNS)} FROM items
),
marked AS (
    INSERT INTO indicators (incident_id, org_id, sector, type, value, detected_at)
    SELECT items.id, $13, $17, x.type, x.value, items.detected_at
    FROM unnest($18::int[], $19::text[], $20::text[]) AS x(ord, type, value)
    JOIN items USING (ord)
),
linked AS (
    INSERT INTO incident_assets (incident_id, asset_pk, product_key)
    SELECT items.id, y.asset_pk, y.product_key
    FROM unnest($21::int[], $22::bigint[], $23::text[]) AS y(ord, asset_pk, product_key)
    JOIN items USING (ord)
),
remembered AS (
    INSERT INTO idempotency_keys (org_id, key, request_hash, status_code, response, created_at)
    SELECT $13, $24::text, $25::text, 201,
        CASE WHEN $26::bool
            THEN jsonb_build_object('ids', (SELECT jsonb_agg(id ORDER BY ord) FROM items),
                                    'received_at', $27::text)
            ELSE jsonb_build_object('id', (SELECT min(id) FROM items), 'received_at', $27::text)
        END,
        $15
    WHERE $24::text IS NOT NULL
)
SELECT id FROM items ORDER BY ord
"""


async def append_incidents(
    conn: asyncpg.Connection,
    rows: Sequence[IncidentRows],
    *,
    principal: Principal,
    now: datetime,
    request_id: str | None,
    idempotency: tuple[str, str] | None,
    batch: bool,
) -> list[int]:
    """Write the incidents; `idempotency` is (key, request hash) when the request has a key.
    Raises asyncpg.UniqueViolationError when another request with the key got there first."""
    order = list(range(len(rows)))
    columns: list[list[Any]] = [[row.incident[name] for row in rows] for name in _COLUMNS]
    marks = [(i, kind, value) for i, row in enumerate(rows) for kind, value in row.indicators]
    links = [(i, a.pk, a.product_key) for i, row in enumerate(rows) for a in row.links]
    key, request_hash = idempotency or (None, None)
    records = await conn.fetch(
        _SQL,
        order,
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
        key,
        request_hash,
        batch,
        now.isoformat(),
    )
    return [record["id"] for record in records]
