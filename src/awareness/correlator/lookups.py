"""The correlator's questions to the database, each answered by an index, so the cost of a
report does not grow with the history behind it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import (
    exposure_notices,
    exposure_sources,
    inventory,
    inventory_cves,
)


@dataclass(frozen=True, slots=True)
class Holder:
    """An organization whose inventory matches, and which of its assets."""

    org_id: str
    sector: str
    asset_ids: tuple[str, ...]


def _group(rows: Iterable[sa.Row[tuple[str, str, str]]]) -> list[Holder]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for org_id, sector, asset_id in rows:
        grouped.setdefault((org_id, sector), []).append(asset_id)
    return [
        Holder(org, sector, tuple(sorted(ids))) for (org, sector), ids in sorted(grouped.items())
    ]


async def holders_of_product(conn: AsyncConnection, key: str) -> list[Holder]:
    query = sa.select(inventory.c.org_id, inventory.c.sector, inventory.c.asset_id).where(
        inventory.c.product_key == key
    )
    return _group(await conn.execute(query))


async def holders_of_cve(conn: AsyncConnection, cve: str) -> list[Holder]:
    query = (
        sa.select(inventory.c.org_id, inventory.c.sector, inventory.c.asset_id)
        .join(
            inventory_cves,
            sa.and_(
                inventory_cves.c.org_id == inventory.c.org_id,
                inventory_cves.c.asset_id == inventory.c.asset_id,
            ),
        )
        .where(inventory_cves.c.cve == cve)
    )
    return _group(await conn.execute(query))


async def last_notices(
    conn: AsyncConnection, match_key: str, org_ids: Iterable[str]
) -> dict[str, datetime]:
    wanted = sorted(set(org_ids))
    if not wanted:
        return {}
    query = sa.select(exposure_notices.c.org_id, exposure_notices.c.warned_at).where(
        exposure_notices.c.match_key == match_key, exposure_notices.c.org_id.in_(wanted)
    )
    return {row.org_id: row.warned_at for row in await conn.execute(query)}


async def exposure_source(conn: AsyncConnection, match_key: str) -> sa.RowMapping | None:
    query = sa.select(exposure_sources).where(exposure_sources.c.match_key == match_key)
    return (await conn.execute(query)).mappings().first()
