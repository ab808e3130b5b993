"""What the audit tests share: the trail as stored, and a warning to act on."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from awareness.clock import ManualClock
from awareness.db.tables import audit_log
from tests.conftest import World, report_severe, settle


async def last_id(app: FastAPI) -> int:
    async with app.state.components.database.read() as conn:
        found = (await conn.execute(sa.select(sa.func.max(audit_log.c.id)))).scalar()
    return int(found or 0)


async def records_after(app: FastAPI, after: int) -> list[dict[str, Any]]:
    """The records appended after id `after`, oldest first."""
    async with app.state.components.database.read() as conn:
        rows = await conn.execute(
            sa.select(audit_log).where(audit_log.c.id > after).order_by(audit_log.c.id)
        )
        return [dict(row) for row in rows.mappings()]


async def key_id(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    me = await client.get("/v1/me", headers=headers)
    return int(me.json()["key_id"])


async def energy_warning(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> int:
    """An energy level warning, raised by a severe incident at grid-north."""
    await report_severe(client, world.grid_north, clock)
    await settle(app)
    listed = await client.get("/v1/warnings?sector=energy", headers=world.admin)
    return int(listed.json()["items"][0]["id"])
