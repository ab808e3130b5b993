"""Real peers for deliveries: an HTTP receiver on loopback that answers what a test scripts and
records every request (each channel's checks are the test's, against the reference libraries),
and an SMTP server (aiosmtpd) that keeps every message it is given."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.servers import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each request with the next scripted (status, headers) or 200, and records it."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    answer_body: Callable[[Received], Any] = lambda _r: {"ok": True}
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        got = Received(
            request.url.path, {k.lower(): v for k, v in request.headers.items()},
            await request.body(),
        )  # fmt: skip
        self.requests.append(got)
        self.arrived.set()
        status, headers = self.script.pop(0) if self.script else (200, {})
        answer: Response = (
            JSONResponse(self.answer_body(got), status_code=status, headers=headers)
            if status != 204
            else Response(status_code=204)
        )
        await answer(scope, receive, send)

    async def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        async with asyncio.timeout(timeout):
            while len(self.requests) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.requests

    async def quiet(self, seconds: float = 0.8) -> int:
        """Requests received after waiting `seconds` (the dispatcher polls every 0.2 s)."""
        await asyncio.sleep(seconds)
        return len(self.requests)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    port = free_port()
    config = uvicorn.Config(
        found.app, host="127.0.0.1", port=port, lifespan="off", log_config=None, interface="asgi3"
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    found.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield found
    finally:
        server.should_exit = True
        await task


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    async def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        async with asyncio.timeout(timeout):
            while len(self.messages) < count:
                await asyncio.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def subscribe(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    body = {"name": "on call", "channel": "webhook", **fields}
    answer = await client.post("/v1/subscriptions", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def attempts_of(
    client: httpx.AsyncClient, headers: dict[str, str], subscription_id: int, count: int
) -> list[dict[str, Any]]:
    """The subscription's delivery attempts, newest first, once `count` are recorded (the
    receiver may hear an attempt a moment before the dispatcher records its outcome)."""
    path = f"/v1/subscriptions/{subscription_id}/deliveries"
    async with asyncio.timeout(10):
        while True:
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 200, answer.text
            items: list[dict[str, Any]] = answer.json()["items"]
            if len(items) >= count:
                return items
            await asyncio.sleep(0.05)
