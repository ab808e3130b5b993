"""Across replicas and under stress: two app instances on one PostgreSQL share every event; the
PostgreSQL listener survives its connection being killed; a stalled client is cut while a
healthy one keeps its pace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from websockets.asyncio.client import connect

from awareness.api.app import create_app
from awareness.clock import ManualClock
from awareness.eventlog.writer import EventWriter
from awareness.settings import Settings
from awareness.views.sectors import level_change
from tests.conftest import SEVERE, START, World, incident, make_settings
from tests.feed.conftest import open_feed, served


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Short client queues, so a stalled client is cut after a few dozen frames."""
    return make_settings(database_url, feed={"keepalive_seconds": 0.3, "client_queue": 50})


@pytest.fixture
async def second(database_url: str) -> AsyncIterator[FastAPI]:
    """Another app instance on the same database, as a second replica would be. Its feed does
    not poll, so what it delivers came through notifications."""
    if database_url.startswith("sqlite"):
        pytest.skip("replicas share a PostgreSQL server; SQLite serves one process")
    settings = make_settings(database_url, feed={"keepalive_seconds": 0.3, "poll_seconds": 300})
    app = create_app(settings, clock=ManualClock(START))
    async with LifespanManager(app):
        yield app


async def test_a_client_on_one_replica_hears_reports_sent_to_the_other(
    app: FastAPI, client: httpx.AsyncClient, world: World, second: FastAPI, clock: ManualClock
) -> None:
    async with served(second) as base:
        feed, socket = await open_feed(base, world.all_supervisor)
        async with socket:
            await feed.frame()
            for org in (world.grid_north, world.aqua, world.grid_south):
                body = incident(**SEVERE, detected_at=clock.now().isoformat())
                assert (
                    await client.post("/v1/incidents", json=body, headers=org)
                ).status_code == 201
            heard = await feed.quiet(3.0)
        listed = (await client.get("/v1/warnings?limit=1000", headers=world.all_supervisor)).json()
        warnings = [f["data"]["id"] for f in heard if f["type"] == "warning"]
        assert warnings == [w["id"] for w in listed["items"]]
        assert len(warnings) >= 2


async def test_listener_survives_its_connection_being_terminated(
    app: FastAPI, client: httpx.AsyncClient, world: World, second: FastAPI, clock: ManualClock,
    database_url: str,
) -> None:  # fmt: skip
    signals = second.state.components.signals
    await asyncio.wait_for(signals.connected.wait(), 5)
    pid = signals.backend_pid
    admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    deadline = time.monotonic() + 10
    while signals.backend_pid in (None, pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert signals.backend_pid not in (None, pid), "the listener reconnected"

    async with served(second) as base:
        feed, socket = await open_feed(base, world.energy_responder)
        async with socket:
            await feed.frame()
            body = incident(**SEVERE, detected_at=clock.now().isoformat())
            assert (
                await client.post("/v1/incidents", json=body, headers=world.grid_north)
            ).status_code == 201
            frames = await feed.events(2, timeout=5)
        assert {f["type"] for f in frames} == {"sector_level", "warning"}


async def test_a_stalled_client_is_cut_and_a_healthy_one_keeps_up(
    app: FastAPI, live: str, world: World, clock: ManualClock
) -> None:
    components = app.state.components
    healthy, healthy_socket = await open_feed(live, world.all_supervisor)
    # A client that never reads: its library stops reading the socket once 4 frames wait.
    stalled = await connect(
        f"ws://{live}/v1/feed", additional_headers=world.all_supervisor, max_queue=4,
        compression=None,
    )  # fmt: skip
    async with healthy_socket, stalled:
        await healthy.frame()
        # Large frames fill the socket buffers between server and client quickly.
        padding = "x" * 20_000
        after_cut = 0
        for i in range(600):
            async with components.database.write() as conn:
                seq = await EventWriter(conn).append(
                    type="sector_level", kind="sector_level", sector="energy", sectors=(),
                    data=level_change(sector="energy", level="blue", previous_level="none",
                                      score=float(i), at=clock.now(), evidence={"note": padding}),
                    at=clock.now(),
                )  # fmt: skip
            components.signals.events_committed(seq)
            # The healthy client keeps receiving every event, in step with the writer
            # (how fast, against a bare server, is what bench/feed measures).
            [frame] = await healthy.events(1, timeout=5)
            assert frame["seq"] == seq
            if components.broadcaster.connections == 1:
                after_cut += 1  # the stalled client was cut; the healthy one goes on
                if after_cut == 20:
                    break
        assert after_cut == 20, "the stalled client was never cut"
        # Once it reads again, the stalled client finds the reason it was cut (the server
        # waits a few seconds for it to take its close frame, so read now).
        reason = None
        try:
            while True:
                await asyncio.wait_for(stalled.recv(), 5)
        except Exception:
            reason = stalled.close_reason
        assert stalled.close_code == 1013
        assert reason is not None
        assert reason.startswith("too slow: reconnect with after=")
