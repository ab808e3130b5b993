"""Migration 0007 gives the warnings and level changes raised before it the TLP markings of the
indicators they name, from the reports stored, so an upgrade does not leave old TLP:RED
indicators in front of readers they may not reach; and it can be undone."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from alembic import command
from asgi_lifespan import LifespanManager

from awareness.api.app import create_app
from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.db.engine import Database
from awareness.db.tables import events, warnings
from tests.conftest import START, add_key, add_org, incident, make_settings, settle
from tests.db.conftest import run_alembic


async def _marked(database: Database) -> tuple[dict[int, Any], dict[int, Any]]:
    async with database.read() as conn:
        raised = {
            row.id: row.markings
            for row in await conn.execute(sa.select(warnings.c.id, warnings.c.markings))
        }
        logged = {
            row.seq: row.audience.get("markings")
            for row in await conn.execute(sa.select(events.c.seq, events.c.audience))
        }
    return raised, logged


async def test_markings_are_given_to_what_was_raised_before(database_url: str) -> None:
    # The service stops before the migrations run: its loops write, and SQLite has one writer.
    c2 = {"type": "domain", "value": "red-c2.evil-portal.ru"}
    clock = ManualClock(START)
    app = create_app(make_settings(database_url), clock=clock)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for org in ("grid-north", "grid-south", "grid-east"):
                await add_org(app, org, "energy")
                headers = await add_key(app, Role.operator, org=org)
                body = incident(detected_at=clock.now().isoformat(), indicators=[c2], tlp="red")
                answer = await client.post("/v1/incidents", json=body, headers=headers)
                assert answer.status_code == 201
        await settle(app)
    database = Database(database_url)
    try:
        raised, logged = await _marked(database)
        campaign = next(m for m in raised.values() if m)
        assert campaign == [
            {"type": "domain", "value": c2["value"], "grants": {"red": ["energy"]},
             "organizations": 3}
        ]  # fmt: skip
        await run_alembic(database, command.downgrade, "0006_subscriptions")
        async with database.read() as conn:
            audiences = [row.audience for row in await conn.execute(sa.select(events.c.audience))]
        assert all("markings" not in audience for audience in audiences)
        await run_alembic(database, command.upgrade, "head")
        assert await _marked(database) == (raised, logged)
    finally:
        await database.dispose()
