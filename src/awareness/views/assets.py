"""Assets as their readers see them: the operator's own inventory, a supervisor's sectors."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.db.tables import assets
from awareness.timestamps import UtcTime
from awareness.vocabulary import AssetKind, Criticality, Location


class AssetView(BaseModel):
    asset_id: str
    org_id: str
    sector: str
    name: str | None
    kind: AssetKind
    vendor: str | None
    product: str | None
    version: str | None
    criticality: Criticality
    internet_exposed: bool
    cves: list[str]
    location: Location
    created_at: UtcTime
    updated_at: UtcTime


class AssetWriteResult(AssetView):
    """`POST /v1/assets`: the asset as stored, and whether this report created it."""

    created: bool


async def list_assets(
    conn: AsyncConnection, *, principal: Principal, limit: int, before_id: int | None
) -> list[tuple[int, AssetView]]:
    """(row id, asset) pairs, most recently registered first: the id pages the list."""
    query = sa.select(assets).where(principal.report_scope(assets))
    if before_id is not None:
        query = query.where(assets.c.id < before_id)
    rows = (await conn.execute(query.order_by(assets.c.id.desc()).limit(limit))).mappings()
    return [(row["id"], AssetView.model_validate(dict(row))) for row in rows]
