"""The production shape without Docker: two `awareness serve` processes on one PostgreSQL,
clients spread over both, reports sent to either; one replica killed outright while the other
keeps serving and takes over correlation. And a graceful stop that says goodbye."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import SEVERE
from tests.servers import METRICS_TOKEN, ServerProcess, create_key, run_cli

pytestmark = pytest.mark.slow


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def _collect(socket: ClientConnection, into: list[dict[str, Any]]) -> None:
    try:
        async for raw in socket:
            frame = json.loads(raw)
            if frame["type"] not in ("heartbeat", "connected"):
                into.append(frame)
    except Exception:
        return


def _leader(server: ServerProcess) -> bool:
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    text = httpx.get(f"{server.url}/metrics", headers=headers, timeout=5).text
    return bool(re.search(r"^awareness_correlator_leader 1\.0$", text, re.M))


async def test_two_replicas_and_a_sigkill(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("replicas share a PostgreSQL server")
    run_cli(database_url, "migrate")
    orgs = {"e1": "energy", "e2": "energy", "w1": "water", "c1": "communications"}
    for org, sector in orgs.items():
        run_cli(database_url, "orgs", "create", org, "--name", org, "--sector", sector)
    keys = {org: create_key(database_url, "--role", "operator", "--org", org) for org in orgs}
    watcher = {"Authorization": "Bearer " + create_key(database_url, "--role", "supervisor")}
    env = {"AWARENESS_FEED__KEEPALIVE_SECONDS": "1", "AWARENESS_CORRELATOR__RETRY_SECONDS": "0.5"}
    a = ServerProcess(database_url, log_path=tmp_path / "a.log", **env).start()
    b = ServerProcess(database_url, log_path=tmp_path / "b.log", **env).start()
    try:
        sockets = [
            await connect(f"ws://{s.url[7:]}/v1/feed", additional_headers=watcher)
            for s in (a, b, a, b)
        ]
        frames: list[list[dict[str, Any]]] = [[] for _ in sockets]
        readers = [
            asyncio.create_task(_collect(s, f)) for s, f in zip(sockets, frames, strict=True)
        ]
        async with httpx.AsyncClient(timeout=10) as http:
            for i, org in enumerate(("e1", "w1", "e2", "c1")):
                server = (a, b)[i % 2]
                body = {"detected_at": _now(), **SEVERE,
                        "indicators": [{"type": "ipv4", "value": "185.220.101.47"}]}  # fmt: skip
                response = await http.post(
                    f"{server.url}/v1/incidents", json=body,
                    headers={"Authorization": f"Bearer {keys[org]}"},
                )  # fmt: skip
                assert response.status_code == 201
            await asyncio.sleep(3)
            seqs = [sorted(f["seq"] for f in got) for got in frames]
            assert seqs[0], "events were pushed"
            assert all(s == seqs[0] for s in seqs), "every client, on either replica, got all"
            listed = (await http.get(f"{b.url}/v1/warnings?limit=1000", headers=watcher)).json()
            pushed = {f["data"]["id"] for f in frames[1] if f["type"] == "warning"}
            assert pushed == {w["id"] for w in listed["items"]}
            assert any(w["kind"] == "campaign" for w in listed["items"])

            leader, survivor = (a, b) if _leader(a) else (b, a)
            assert _leader(leader)
            assert not _leader(survivor)
            leader.kill()
            killed_at = time.monotonic()
            while not _leader(survivor):
                assert time.monotonic() - killed_at < 10, "no takeover within 10 s"
                await asyncio.sleep(0.2)
            takeover = time.monotonic() - killed_at

            before = len(frames[1] if survivor is b else frames[0])
            body = {"detected_at": _now(), **SEVERE}
            response = await http.post(
                f"{survivor.url}/v1/incidents", json=body,
                headers={"Authorization": f"Bearer {keys['w1']}"},
            )  # fmt: skip
            assert response.status_code == 201
            sectors = {}
            for _ in range(50):
                items = (await http.get(f"{survivor.url}/v1/sectors", headers=watcher)).json()
                sectors = {i["sector"]: i for i in items["items"]}
                if sectors["water"]["updated_at"] and sectors["water"]["score"] > 30:
                    break
                await asyncio.sleep(0.1)
            assert sectors["water"]["level"] in ("orange", "red")
        assert takeover < 10
        for reader in readers:
            reader.cancel()
        survivors_frames = frames[1] if survivor is b else frames[0]
        assert len(survivors_frames) >= before
    finally:
        for server in (a, b):
            if server.process is not None and server.process.poll() is None:
                server.stop()


async def test_sigterm_closes_feed_clients_with_going_away(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'awareness.db'}"
    run_cli(database_url, "migrate")
    watcher = {"Authorization": "Bearer " + create_key(database_url, "--role", "responder")}
    server = ServerProcess(database_url, log_path=tmp_path / "server.log").start()
    socket = await connect(f"ws://{server.url[7:]}/v1/feed", additional_headers=watcher)
    assert json.loads(await socket.recv())["type"] == "connected"
    # uvicorn re-raises the signal once its graceful shutdown is done.
    assert server.stop() in (0, -15)
    with contextlib.suppress(ConnectionClosed):
        while True:
            await asyncio.wait_for(socket.recv(), 5)
    assert socket.close_code == 1001
    assert socket.close_reason.startswith("server going away")
