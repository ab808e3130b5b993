"""The correlator's questions to the database, each answered by an index, so the cost of a
report does not grow with the history behind it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


def _group(rows: Iterable[Any]) -> list[Holder]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for org_id, sector, asset_id in rows:
        grouped.setdefault((org_id, sector), []).append(asset_id)
    return [
        Holder(org, sector, tuple(sorted(ids))) for (org, sector), ids in sorted(grouped.items())
    ]


# Built once: each runs for every product and CVE a report names.
_HOLDERS = sa.select(inventory.c.org_id, inventory.c.sector, inventory.c.asset_id)
_HOLDERS_OF_PRODUCT = _HOLDERS.where(inventory.c.product_key == sa.bindparam("key"))
_HOLDERS_OF_CVE = _HOLDERS.join(
    inventory_cves,
    sa.and_(
        inventory_cves.c.org_id == inventory.c.org_id,
        inventory_cves.c.asset_id == inventory.c.asset_id,
    ),
).where(inventory_cves.c.cve == sa.bindparam("cve"))
_LAST_NOTICES = sa.select(exposure_notices.c.org_id, exposure_notices.c.warned_at).where(
    exposure_notices.c.match_key == sa.bindparam("match_key"),
    exposure_notices.c.org_id.in_(sa.bindparam("org_ids", expanding=True)),
)
_EXPOSURE_SOURCE = sa.select(exposure_sources).where(
    exposure_sources.c.match_key == sa.bindparam("match_key")
)


async def holders_of_product(conn: AsyncConnection, key: str) -> list[Holder]:
    return _group(await conn.execute(_HOLDERS_OF_PRODUCT, {"key": key}))


async def holders_of_cve(conn: AsyncConnection, cve: str) -> list[Holder]:
    return _group(await conn.execute(_HOLDERS_OF_CVE, {"cve": cve}))


async def last_notices(
    conn: AsyncConnection, match_key: str, org_ids: Iterable[str]
) -> dict[str, datetime]:
    wanted = sorted(set(org_ids))
    if not wanted:
        return {}
    rows = await conn.execute(_LAST_NOTICES, {"match_key": match_key, "org_ids": wanted})
    return {row.org_id: row.warned_at for row in rows}


async def exposure_source(conn: AsyncConnection, match_key: str) -> sa.RowMapping | None:
    return (await conn.execute(_EXPOSURE_SOURCE, {"match_key": match_key})).mappings().first()
