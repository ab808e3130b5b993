"""Heartbeats say how far behind the correlator is, so a board can tell its readers that
warnings may be late before anyone wonders why the levels do not move."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from awareness.settings import Settings
from tests.conftest import World, incident, make_settings
from tests.feed.conftest import Feed, open_feed


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No correlator: what is reported stays uncorrelated."""
    return make_settings(
        database_url, correlator={"enabled": False}, feed={"keepalive_seconds": 0.2}
    )


async def _heartbeat(feed: Feed, reports: int) -> dict[str, object]:
    """The first heartbeat that counts `reports` uncorrelated reports."""
    async with asyncio.timeout(5):
        while True:
            frame = await feed.frame()
            if frame["type"] == "heartbeat" and frame.get("lag_reports") == reports:
                return frame


async def test_heartbeats_carry_the_correlators_lag(
    client: httpx.AsyncClient, world: World, live: str
) -> None:
    feed, socket = await open_feed(live, world.energy_supervisor)
    async with socket:
        assert (await _heartbeat(feed, 0))["lag_seconds"] == 0
        for _ in range(3):
            posted = await client.post("/v1/incidents", json=incident(), headers=world.grid_north)
            assert posted.status_code == 201
        behind = await _heartbeat(feed, 3)
        assert isinstance(behind["lag_seconds"], float)
        assert behind["lag_seconds"] >= 0
