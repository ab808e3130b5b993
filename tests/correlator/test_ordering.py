"""On PostgreSQL, report ids are drawn before commit: a report can become visible after one with
a higher id. The correlator must wait for it, never skip it."""

from __future__ import annotations

import json

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from awareness.auth.principal import Principal, Role
from awareness.db.tables import incident_scores, organizations
from awareness.ingest.schemas import IncidentIn
from awareness.ingest.store import append_incidents
from awareness.scoring.benign import KnownBenign
from tests.conftest import World, incident, settle


async def test_late_commit_is_not_skipped(
    app: FastAPI, client: httpx.AsyncClient, world: World, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: commits cannot overtake each other there")
    components = app.state.components
    async with components.database.read() as conn:
        sector = (
            await conn.execute(
                sa.select(organizations.c.sector).where(organizations.c.id == "grid-north")
            )
        ).scalar_one()
    operator = Principal(key_id=1, role=Role.operator, org_id="grid-north", org_sector=sector)

    async with components.database.engine.connect() as slow:
        transaction = await slow.begin()
        [early] = await append_incidents(
            slow,
            principal=operator,
            items=[IncidentIn.model_validate_json(json.dumps(incident()))],
            now=components.clock.now(),
            request_id=None,
            benign=KnownBenign.build([]),
        )
        late = await client.post("/v1/incidents", json=incident(), headers=world.grid_south)
        assert late.json()["id"] > early
        await settle(app)
        async with components.database.read() as conn:
            scored = set((await conn.execute(sa.select(incident_scores.c.incident_id))).scalars())
        assert scored == set(), "nothing past a running writer is correlated yet"
        await transaction.commit()
    await settle(app)
    async with components.database.read() as conn:
        scored = set((await conn.execute(sa.select(incident_scores.c.incident_id))).scalars())
    assert scored == {early, late.json()["id"]}
