"""Sessions that outlive a request end when their key does: a revoked key's open feeds close
(4401) within seconds wherever it was revoked, and one key cannot hold feed sockets by the
hundred."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed

from awareness.auth import keys
from awareness.settings import Settings
from tests.conftest import World, make_settings
from tests.feed.conftest import Feed, open_feed, served
from tests.servers import ServerProcess, create_key


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url,
        feed={"keepalive_seconds": 0.3, "max_sockets_per_key": 2, "revocation_check_seconds": 2},
    )


@pytest.fixture
async def base(app: FastAPI) -> AsyncIterator[str]:
    async with served(app) as address:
        yield address


async def _key_id(app: FastAPI, headers: dict[str, str]) -> int:
    principal = await app.state.components.keys.resolve(headers["Authorization"].split()[1])
    assert principal is not None
    return int(principal.key_id)


async def _read_until_closed(feed: Feed, seconds: float) -> None:
    while True:
        await feed.frame(seconds)


async def _closed_within(feed: Feed, seconds: float) -> tuple[int, str, float]:
    """Reads frames until the server closes; the close code, its reason and when it came."""
    started = time.monotonic()
    with pytest.raises(ConnectionClosed) as closed:
        await _read_until_closed(feed, seconds)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason, time.monotonic() - started


async def test_revoking_a_key_over_http_closes_its_feed_at_once(
    app: FastAPI, client: httpx.AsyncClient, world: World, base: str
) -> None:
    key_id = await _key_id(app, world.energy_responder)
    feed, socket = await open_feed(base, world.energy_responder)
    other, other_socket = await open_feed(base, world.energy_supervisor)
    async with socket, other_socket:
        assert (await feed.frame())["type"] == "connected"
        assert (await other.frame())["type"] == "connected"
        revoked = await client.delete(f"/v1/keys/{key_id}", headers=world.admin)
        assert revoked.status_code == 204
        code, reason, waited = await _closed_within(feed, 5)
        assert (code, reason) == (4401, "the API key was revoked")
        assert waited < 0.3
        # Nobody else's feed is touched, and the key is refused at once on REST too.
        assert (await other.frame(2))["type"] == "heartbeat"
        refused = await client.get("/v1/warnings", headers=world.energy_responder)
        assert refused.status_code == 401


async def test_a_key_revoked_elsewhere_closes_its_feed_within_seconds(
    app: FastAPI, world: World, base: str
) -> None:
    """As `awareness keys revoke` or another replica would: only the database knows."""
    key_id = await _key_id(app, world.energy_responder)
    feed, socket = await open_feed(base, world.energy_responder)
    async with socket:
        assert (await feed.frame())["type"] == "connected"
        components = app.state.components
        async with components.database.write() as conn:
            assert await keys.revoke_key(
                conn, key_id=key_id, now=components.clock.now(), actor="cli"
            )
        code, _, waited = await _closed_within(feed, 6)
        assert code == 4401
        assert waited < 5


async def test_one_key_holds_at_most_its_share_of_feed_sockets(world: World, base: str) -> None:
    first, first_socket = await open_feed(base, world.energy_supervisor)
    second, second_socket = await open_feed(base, world.energy_supervisor)
    async with first_socket, second_socket:
        for feed in (first, second):
            assert (await feed.frame())["type"] == "connected"
        third, third_socket = await open_feed(base, world.energy_supervisor)
        async with third_socket:
            code, reason, _ = await _closed_within(third, 5)
        assert code == 4429
        assert "2 feed sockets" in reason
        # Another key is not affected by this key's sockets.
        other, other_socket = await open_feed(base, world.all_supervisor)
        async with other_socket:
            assert (await other.frame())["type"] == "connected"
    await asyncio.sleep(0.2)
    again, again_socket = await open_feed(base, world.energy_supervisor)
    async with again_socket:
        assert (await again.frame())["type"] == "connected"


async def test_sigterm_closes_feeds_with_going_away_and_where_to_resume(
    sqlite_url: str, tmp_path: Path
) -> None:
    """As the README says: 1001, and the `after=` to reconnect with elsewhere."""
    key = create_key(sqlite_url, "--role", "admin")
    server = ServerProcess(sqlite_url, log_path=tmp_path / "server.log").start()
    try:
        feed, _ = await open_feed(f"127.0.0.1:{server.port}", {"Authorization": f"Bearer {key}"})
        assert (await feed.frame())["type"] == "connected"
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        code, reason, _ = await _closed_within(feed, 10)
        # uvicorn re-raises the signal once it has shut down cleanly.
        assert server.process.wait(15) in (0, -signal.SIGTERM)
    finally:
        server.stop()
    assert code == 1001
    assert reason == "server going away: reconnect with after=0"
