"""Guessing keys costs the guesser: failed authentications are throttled per client address,
a string that cannot be a key is refused without a database look-up, and the metrics, which
say who is connected and how much is reported, need a token or an admin key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from awareness.api.app import create_app
from awareness.auth.keys import new_key
from awareness.settings import Settings
from tests.conftest import World, make_settings

GUESS = {"Authorization": f"Bearer {new_key()}"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url,
        auth={"failures_per_second": 0.5, "failures_burst": 5},
        metrics={"token": "scrape-me"},
    )


def _client(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def guesser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app, "198.51.100.7") as client:
        yield client


async def test_failed_authentications_are_throttled_per_address(
    app: FastAPI, guesser: httpx.AsyncClient, world: World
) -> None:
    for _ in range(5):
        assert (await guesser.get("/v1/warnings", headers=GUESS)).status_code == 401
    throttled = await guesser.get("/v1/warnings", headers=GUESS)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert "failed authentications" in throttled.json()["detail"]
    # Refused before the key is read: even a good key waits, from that address only.
    assert (await guesser.get("/v1/me", headers=world.admin)).status_code == 429
    async with _client(app, "203.0.113.9") as neighbour:
        assert (await neighbour.get("/v1/me", headers=world.admin)).status_code == 200
        assert (await neighbour.get("/v1/me", headers=GUESS)).status_code == 401


async def test_a_malformed_key_is_refused_without_a_database_look_up(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def never(_key: str) -> None:
        raise AssertionError("a malformed key was looked up")

    monkeypatch.setattr(app.state.components.keys, "resolve", never)
    for key in ("aw_short", "x" * 46, "aw_" + "+" * 43, "aw_" + "A" * 44, "' OR 1=1 --"):
        response = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 401
        assert "malformed API key" in response.json()["detail"]
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_metrics_need_the_token_or_an_admin_key(
    client: httpx.AsyncClient, world: World
) -> None:
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers=world.energy_supervisor)).status_code == 403
    assert (await client.get("/metrics", headers=world.grid_north)).status_code == 403
    for allowed in (world.admin, {"Authorization": "Bearer scrape-me"}):
        response = await client.get("/metrics", headers=allowed)
        assert response.status_code == 200
        assert "awareness_feed_clients" in response.text
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer scrape-you"})
    assert wrong.status_code == 401


async def test_metrics_open_to_anyone_when_made_public(database_url: str) -> None:
    app = create_app(make_settings(database_url, metrics={"public": True}))
    async with LifespanManager(app), _client(app, "192.0.2.1") as anyone:
        assert (await anyone.get("/metrics")).status_code == 200
