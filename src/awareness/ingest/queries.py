"""Scoped reads of stored reports, newest first, a page at a time. Scope is a WHERE clause built
from the caller, so a record outside it is simply not found."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.db.tables import assets, incident_assets, incidents, indicators


async def list_incidents(
    conn: AsyncConnection, *, principal: Principal, limit: int, before_id: int | None
) -> list[dict[str, Any]]:
    query = sa.select(incidents).where(principal.report_scope(incidents))
    if before_id is not None:
        query = query.where(incidents.c.id < before_id)
    rows = (await conn.execute(query.order_by(incidents.c.id.desc()).limit(limit))).mappings()
    return await _with_details(conn, [dict(row) for row in rows])


async def get_incident(
    conn: AsyncConnection, *, principal: Principal, incident_id: int
) -> dict[str, Any] | None:
    query = sa.select(incidents).where(
        incidents.c.id == incident_id, principal.report_scope(incidents)
    )
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        return None
    return (await _with_details(conn, [dict(row)]))[0]


async def _with_details(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return rows
    ids = [row["id"] for row in rows]
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    query = (
        sa.select(indicators.c.incident_id, indicators.c.type, indicators.c.value)
        .where(indicators.c.incident_id.in_(ids))
        .order_by(indicators.c.id)
    )
    for row in await conn.execute(query):
        found[row.incident_id].append({"type": row.type, "value": row.value})
    linked: dict[int, list[str]] = defaultdict(list)
    query = (
        sa.select(incident_assets.c.incident_id, assets.c.asset_id)
        .join(assets, assets.c.id == incident_assets.c.asset_pk)
        .where(incident_assets.c.incident_id.in_(ids))
        .order_by(assets.c.asset_id)
    )
    for row in await conn.execute(query):
        linked[row.incident_id].append(row.asset_id)
    for row in rows:
        row["indicators"] = found[row["id"]]
        row["affected_assets"] = linked[row["id"]]
    return rows


async def list_assets(
    conn: AsyncConnection, *, principal: Principal, limit: int, before_id: int | None
) -> list[dict[str, Any]]:
    query = sa.select(assets).where(principal.report_scope(assets))
    if before_id is not None:
        query = query.where(assets.c.id < before_id)
    rows = (await conn.execute(query.order_by(assets.c.id.desc()).limit(limit))).mappings()
    return [dict(row) for row in rows]
