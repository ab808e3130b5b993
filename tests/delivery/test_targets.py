"""No delivery reaches the service's own network unless allowed: addresses written out are
refused before connecting, and names are checked on the very addresses the client connects to,
so a name that changes its answer after the subscription was created gains nothing."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from awareness.api.app import create_app
from awareness.clock import ManualClock
from awareness.db.tables import subscriptions
from awareness.delivery.targets import GuardedResolver, TargetRefused, check_literal
from tests.conftest import TEST_SECRETS_KEY, World, make_settings
from tests.delivery.conftest import Receiver, attempts_of
from tests.delivery.test_webhooks import raise_warning


class Answers(AbstractResolver):
    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=a, port=port, family=family, proto=0, flags=0)
            for a in self.addresses
        ]

    async def close(self) -> None:
        return None


async def test_the_resolver_keeps_only_public_addresses() -> None:
    guarded = GuardedResolver(allow_private=False, inner=Answers("10.0.0.7", "93.184.215.14"))
    assert [r["host"] for r in await guarded.resolve("hook.example.org", 443)] == ["93.184.215.14"]
    for inside in ("127.0.0.1", "169.254.169.254", "::1", "fd00::1", "0.0.0.0"):
        with pytest.raises(OSError, match="resolves only to"):
            await GuardedResolver(allow_private=False, inner=Answers(inside)).resolve("x", 80)
    allowed = GuardedResolver(allow_private=True, inner=Answers("127.0.0.1"))
    assert len(await allowed.resolve("x", 80)) == 1


def test_addresses_written_out_are_refused_before_connecting() -> None:
    for url in ("http://127.0.0.1:8080/x", "http://[::1]/x", "https://192.168.1.10/x"):
        with pytest.raises(TargetRefused):
            check_literal(url, allow_private=False)
    check_literal("https://hook.example.org/x", allow_private=False)
    check_literal("http://127.0.0.1/x", allow_private=True)


@pytest.fixture
async def guarded_app(database_url: str, clock: ManualClock) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url,
        delivery={
            "allow_private_targets": False, "secrets_key": TEST_SECRETS_KEY, "poll_seconds": 0.2,
        },
    )  # fmt: skip
    app = create_app(settings, clock=clock)
    async with LifespanManager(app):
        yield app


@pytest.fixture
def app(guarded_app: FastAPI) -> FastAPI:
    return guarded_app


async def test_a_name_that_now_resolves_inside_is_not_connected_to(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    # A subscription whose name resolved elsewhere when it was created: `localhost` now.
    port = receiver.url.split(":")[2].split("/")[0]
    row: dict[str, Any] = {
        "name": "rebound", "channel": "slack", "target": f"http://localhost:{port}/hook",
        "sectors": None, "kinds": ["sector_level"], "min_level": "blue", "tier": 1,
        "mode": "immediate", "digest_minutes": 60, "owner_key_id": 7, "position": 0,
        "attempts": 0, "created_at": clock.now(),
    }  # fmt: skip
    async with app.state.components.database.write() as conn:
        new_id = (
            await conn.execute(subscriptions.insert().values(row).returning(subscriptions.c.id))
        ).scalar_one()
    await raise_warning(client, app, world.grid_north, clock)
    (attempt,) = await attempts_of(client, world.admin, new_id, 1)
    assert attempt["outcome"] == "failed"
    assert "resolves only to loopback" in attempt["error"]
    assert receiver.requests == []
