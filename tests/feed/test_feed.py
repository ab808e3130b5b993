"""The live feed end to end over real WebSockets, on both databases: live delivery, scope,
resuming with no gap and no duplicate, tickets, refusals, heartbeats and purged history."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed

from awareness.auth.limits import RateLimiter
from awareness.clock import ManualClock
from awareness.eventlog.reader import purge_before
from awareness.eventlog.writer import EventWriter
from awareness.views.sectors import level_change
from tests.conftest import World, report_severe, settle
from tests.feed.conftest import open_feed, served


async def test_live_delivery(
    live: str, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    feed, socket = await open_feed(live, world.energy_responder)
    async with socket:
        connected = await feed.frame()
        assert connected == {
            "type": "connected",
            "seq": 0,
            "oldest": None,
            "keepalive_seconds": 0.3,
        }
        await report_severe(client, world.grid_north, clock)
        frames = await feed.events(2)
        assert [f["type"] for f in frames] == ["sector_level", "warning"]
        assert frames[0]["data"]["sector"] == "energy"
        assert frames[0]["data"]["level"] == "orange"
        warning = frames[1]["data"]
        assert warning["seq"] == frames[1]["seq"]
        assert {"id", "seq", "kind", "sector", "level", "title", "created_at", "evidence"} <= set(
            warning
        )
        assert frames[0]["seq"] < frames[1]["seq"]
    # Live frames (the two events, and heartbeats) are counted when /metrics is read.
    text = (await client.get("/metrics", headers=world.admin)).text
    [sent] = [
        line for line in text.splitlines() if line.startswith("awareness_feed_messages_sent_total")
    ]
    assert float(sent.split()[1]) >= 2


async def test_live_frames_reach_clients_with_and_without_compression(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    """Live frames are framed once for every client that negotiated no compression; a client
    that negotiated permessage-deflate gets the same frames, compressed for it alone."""
    async with served(app, deflate=True) as base:
        plain_feed, plain = await open_feed(base, world.energy_responder)
        packed_feed, packed = await open_feed(
            base, world.energy_responder, compression="deflate"
        )  # fmt: skip
        async with plain, packed:
            assert not plain.protocol.extensions
            assert packed.protocol.extensions, "permessage-deflate negotiated"
            await plain_feed.frame()
            await packed_feed.frame()
            await report_severe(client, world.grid_north, clock)
            assert await plain_feed.events(2) == await packed_feed.events(2)


async def test_scope_by_role(
    live: str, client: httpx.AsyncClient, world: World, clock: ManualClock, app: FastAPI
) -> None:
    energy_feed, energy_socket = await open_feed(live, world.energy_responder)
    water_op, water_socket = await open_feed(live, world.aqua)
    async with energy_socket, water_socket:
        await energy_feed.frame()
        await water_op.frame()
        await report_severe(client, world.aqua, clock)
        await settle(app)
        energy_frames = await energy_feed.quiet(1.0)
        water_frames = await water_op.quiet(1.0)
    # Water at orange lifts nothing in energy; energy's responder hears only that water is a
    # risk to energy, which depends on it (moderately) ...
    about_water = [
        f for f in energy_frames if "water" in (f["data"].get("sectors") or [f["data"]["sector"]])
    ]
    assert [(f["type"], f["data"]["kind"], f["data"]["sector"]) for f in about_water] == [
        ("warning", "dependency", "water")
    ]
    assert "energy" in about_water[0]["data"]["sectors"]
    # ... and the water operator hears only its own sector's levels.
    assert water_frames
    assert {(f["type"], f["data"]["sector"]) for f in water_frames} <= {
        ("sector_level", "water"),
        ("warning", "water"),
    }
    assert all(f["data"]["kind"] == "sector_level" for f in water_frames if f["type"] == "warning")


async def test_resume_after_disconnect_matches_the_warnings_list(
    live: str, client: httpx.AsyncClient, world: World, clock: ManualClock, app: FastAPI
) -> None:
    feed, socket = await open_feed(live, world.all_supervisor)
    async with socket:
        start = (await feed.frame())["seq"]
    # Disconnected while things happen.
    await report_severe(client, world.grid_north, clock)
    clock.advance(timedelta(minutes=1))
    await report_severe(client, world.aqua, clock)
    await settle(app)
    feed, socket = await open_feed(live, world.all_supervisor, query=f"after={start}")
    async with socket:
        connected = await feed.frame()
        missed = await feed.quiet(1.0)
    seqs = [f["seq"] for f in missed]
    assert seqs == sorted(set(seqs)), "in order, no duplicate"
    assert seqs[-1] == connected["seq"], "up to the head"
    listed = (
        await client.get(f"/v1/warnings?after={start}&limit=1000", headers=world.all_supervisor)
    ).json()["items"]
    assert [w["id"] for w in listed] == [f["data"]["id"] for f in missed if f["type"] == "warning"]


async def test_events_committed_during_replay_are_neither_lost_nor_duplicated(
    live: str, world: World, app: FastAPI, clock: ManualClock
) -> None:
    components = app.state.components

    async def append(count: int) -> None:
        for i in range(count):
            async with components.database.write() as conn:
                writer = EventWriter(conn)
                seq = await writer.append(
                    type="sector_level", kind="sector_level", sector="energy", sectors=(),
                    data=level_change(sector="energy", level="blue", previous_level="none",
                                      score=float(i), at=clock.now(), evidence={}),
                    at=clock.now(),
                )  # fmt: skip
            components.signals.events_committed(seq)
            if i % 10 == 0:
                await asyncio.sleep(0)

    await append(300)
    writer_task = asyncio.create_task(append(300))
    feed, socket = await open_feed(live, world.energy_responder, query="after=0")
    async with socket:
        await feed.frame()
        await writer_task
        frames = await feed.events(600, timeout=10)
        extra = await feed.quiet(0.5)
    assert extra == []
    assert [f["seq"] for f in frames] == list(range(1, 601))


async def test_browser_ticket(live: str, client: httpx.AsyncClient, world: World) -> None:
    issued = await client.post("/v1/feed/tickets", headers=world.energy_supervisor)
    assert issued.status_code == 201
    ticket = issued.json()["ticket"]
    assert ticket not in str(issued.request.url)
    feed, socket = await open_feed(live, subprotocols=["awareness.v1", f"ticket.{ticket}"])
    async with socket:
        assert socket.subprotocol == "awareness.v1"
        assert (await feed.frame())["type"] == "connected"
    # Single use: the same ticket opens nothing a second time.
    feed, socket = await open_feed(live, subprotocols=["awareness.v1", f"ticket.{ticket}"])
    async with socket:
        with pytest.raises(ConnectionClosed) as closed:
            await feed.frame()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    assert (await client.post("/v1/feed/tickets")).status_code == 401


async def test_expired_ticket_is_refused(
    live: str, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    ticket = (await client.post("/v1/feed/tickets", headers=world.grid_north)).json()["ticket"]
    clock.advance(timedelta(minutes=2))
    feed, socket = await open_feed(live, query=f"ticket={ticket}")
    async with socket:
        with pytest.raises(ConnectionClosed) as closed:
            await feed.frame()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


@pytest.mark.parametrize(
    ("headers", "query", "code", "reason"),
    [
        ({}, "", 4401, "API key"),
        ({"Authorization": "Bearer aw_wrong"}, "", 4401, "API key"),
        (None, "after=-3", 4400, "after"),
        (None, "sector=space", 4400, "sector"),
        (None, "kind=gossip", 4400, "kind"),
    ],
)
async def test_refused_connections_say_why(
    live: str,
    world: World,
    headers: dict[str, str] | None,
    query: str,
    code: int,
    reason: str,
) -> None:
    feed, socket = await open_feed(
        live, world.energy_responder if headers is None else headers, query=query
    )
    async with socket:
        with pytest.raises(ConnectionClosed) as closed:
            await feed.frame()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == code
    assert reason in closed.value.rcvd.reason


async def test_filters_by_sector_and_kind(
    live: str, client: httpx.AsyncClient, world: World, clock: ManualClock, app: FastAPI
) -> None:
    feed, socket = await open_feed(
        live, world.all_supervisor, query="sector=water&kind=sector_level"
    )
    async with socket:
        await feed.frame()
        await report_severe(client, world.grid_north, clock)
        await report_severe(client, world.aqua, clock)
        await settle(app)
        frames = await feed.quiet(1.0)
    assert frames
    assert all(f["data"]["sector"] == "water" for f in frames)
    assert all(f["type"] == "sector_level" or f["data"]["kind"] == "sector_level" for f in frames)


async def test_acknowledgement_appears_on_another_board(
    live: str, client: httpx.AsyncClient, world: World, clock: ManualClock, app: FastAPI
) -> None:
    await report_severe(client, world.grid_north, clock)
    await settle(app)
    warning = (await client.get("/v1/warnings?sector=energy", headers=world.all_supervisor)).json()[
        "items"
    ][0]
    feed, socket = await open_feed(live, world.energy_responder)
    async with socket:
        await feed.frame()
        await client.post(f"/v1/warnings/{warning['id']}/ack", headers=world.all_supervisor)
        [ack] = await feed.events(1)
    assert ack["type"] == "ack"
    assert ack["data"]["warning_id"] == warning["id"]
    assert "supervisor" in ack["data"]["acknowledged_by"]


async def test_purged_history_is_announced_before_the_replay(
    live: str, client: httpx.AsyncClient, world: World, clock: ManualClock, app: FastAPI
) -> None:
    await report_severe(client, world.grid_north, clock)
    clock.advance(timedelta(days=40))
    await report_severe(client, world.grid_south, clock)
    await settle(app)
    async with app.state.components.database.write() as conn:
        removed = await purge_before(conn, before=clock.now() - timedelta(days=30))
    assert removed > 0
    feed, socket = await open_feed(live, world.all_supervisor, query="after=0")
    async with socket:
        connected = await feed.frame()
        gap = await feed.frame()
        rest = await feed.quiet(0.5)
    assert gap["type"] == "gap"
    assert gap["oldest"] == connected["oldest"]
    assert "GET /v1/warnings" in gap["detail"]
    assert rest
    assert all(f["seq"] >= connected["oldest"] for f in rest)


async def test_heartbeat_carries_the_head(live: str, world: World, app: FastAPI) -> None:
    options = app.state.components.settings.feed
    assert options.keepalive_seconds == 0.3
    feed, socket = await open_feed(live, world.grid_north)
    async with socket:
        await feed.frame()
        beat = await feed.frame(timeout=2)
    assert beat == {"type": "heartbeat", "seq": 0, "lag_reports": 0, "lag_seconds": 0.0}


async def test_the_feed_counts_against_the_keys_rate_limit(
    live: str, world: World, app: FastAPI
) -> None:
    limited = RateLimiter(per_second=0.1, burst=1)
    app.state.components = replace(app.state.components, limiter=limited)
    feed, socket = await open_feed(live, world.energy_responder)
    async with socket:
        assert (await feed.frame())["type"] == "connected"
    feed, socket = await open_feed(live, world.energy_responder)
    async with socket:
        with pytest.raises(ConnectionClosed) as closed:
            await feed.frame()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4429
    assert "too many requests" in closed.value.rcvd.reason
