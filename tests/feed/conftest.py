"""A real HTTP and WebSocket server in the test's event loop, and a feed client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect

from tests.servers import free_port


@asynccontextmanager
async def served(app: FastAPI, *, deflate: bool = False) -> AsyncIterator[str]:
    """Serve an already started app on a free port in this event loop; yields host:port."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_config=None,
        ws_per_message_deflate=deflate,
    )  # fmt: skip
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def live(app: FastAPI) -> AsyncIterator[str]:
    """The app (already started by its fixture) served on a free port; yields the base URL."""
    async with served(app) as base:
        yield base


class Feed:
    """A feed client that reads frames as the dashboard does."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    async def frame(self, timeout: float = 5) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.socket.recv(), timeout))

    async def events(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The next `count` event frames, skipping heartbeats."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            frame = await self.frame(timeout)
            if frame["type"] != "heartbeat":
                found.append(frame)
        return found

    async def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Every frame that arrives in the next `seconds` (heartbeats left out)."""
        found: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                frame = await self.frame(left)
            except TimeoutError:
                break
            if frame["type"] != "heartbeat":
                found.append(frame)
        return found


async def open_feed(
    base: str, headers: dict[str, str] | None = None, query: str = "", **kwargs: Any
) -> tuple[Feed, ClientConnection]:
    kwargs.setdefault("compression", None)
    socket = await connect(
        f"ws://{base}/v1/feed{'?' + query if query else ''}",
        additional_headers=headers or {},
        **kwargs,
    )
    return Feed(socket), socket
