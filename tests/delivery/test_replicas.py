"""Two replicas on one PostgreSQL: exactly one delivers, and every event reaches the receiver
once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from awareness.api.app import create_app
from awareness.clock import ManualClock
from tests.conftest import SEVERE, World, empty_database, incident, make_settings, settle
from tests.delivery.conftest import Receiver, subscribe


@pytest.fixture(params=["postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Replicas share a PostgreSQL server; SQLite serves one process."""
    return await empty_database(request, tmp_path)


@pytest.fixture
async def second(database_url: str, clock: ManualClock) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(database_url), clock=clock)
    async with LifespanManager(app):
        yield app


async def correlating(*apps: FastAPI) -> FastAPI:
    """The replica that leads the correlator: only its runner can say it has caught up."""
    async with asyncio.timeout(10):
        while True:
            for candidate in apps:
                if candidate.state.components.correlator.leading:
                    return candidate
            await asyncio.sleep(0.05)


async def test_exactly_one_replica_delivers(
    app: FastAPI,
    second: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    clock: ManualClock,
    receiver: Receiver,
) -> None:
    dispatchers = [a.state.components.delivery for a in (app, second)]
    created = await subscribe(client, world.admin, target=receiver.url)
    for headers in (world.grid_north, world.aqua, world.grid_south):
        body = incident(**SEVERE, detected_at=clock.now().isoformat())
        assert (await client.post("/v1/incidents", json=body, headers=headers)).status_code == 201
    await settle(await correlating(app, second))
    listed = (await client.get("/v1/warnings?limit=1000", headers=world.admin)).json()["items"]
    assert len(listed) >= 3
    try:
        got = await receiver.wait_for(len(listed))
    except TimeoutError as late:
        health = await client.get(f"/v1/subscriptions/{created['id']}", headers=world.admin)
        attempts = await client.get(
            f"/v1/subscriptions/{created['id']}/deliveries", headers=world.admin
        )
        state = (len(receiver.requests), len(listed), health.json(), attempts.json())
        raise AssertionError(state) from late
    assert await receiver.quiet(1.5) == len(listed)
    ids = Counter(request.headers["webhook-id"] for request in got)
    assert set(ids.values()) == {1}
    assert [request.json()["data"]["id"] for request in got] == [w["id"] for w in listed]
    assert sorted(d.leading for d in dispatchers) == [False, True]
    health = (await client.get(f"/v1/subscriptions/{created['id']}", headers=world.admin)).json()
    assert health["backlog"] == 0
