"""SIGKILL of the delivering process while it retries, then a restart: every event reaches the
subscription, in `seq` order, and any event received twice carries the same `webhook-id`."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from standardwebhooks.webhooks import Webhook

from tests.conftest import SEVERE, TEST_SECRETS_KEY, incident
from tests.delivery.conftest import Receiver
from tests.servers import ServerProcess, create_key, free_port, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture
def threaded_receiver() -> Iterator[Receiver]:
    """The receiver on its own thread and loop: the test's loop blocks while a server starts."""
    found = Receiver()
    port = free_port()
    config = uvicorn.Config(
        found.app, host="127.0.0.1", port=port, lifespan="off", log_config=None, interface="asgi3"
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    found.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield found
    finally:
        server.should_exit = True
        thread.join(10)


async def _until(check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_sigkill_while_retrying_loses_nothing(
    database_url: str, tmp_path: Path, threaded_receiver: Receiver
) -> None:
    receiver = threaded_receiver
    run_cli(database_url, "migrate")
    orgs = (
        ("e1", "energy"),
        ("w1", "water"),
        ("t1", "transportation"),
        ("f1", "financial_services"),
    )
    for org, sector in orgs:
        run_cli(database_url, "orgs", "create", org, "--name", org, "--sector", sector)
    keys = {org: create_key(database_url, "--role", "operator", "--org", org) for org, _ in orgs}
    admin = {"Authorization": f"Bearer {create_key(database_url, '--role', 'admin')}"}
    env = {
        "AWARENESS_DELIVERY__ALLOW_PRIVATE_TARGETS": "true",
        "AWARENESS_DELIVERY__SECRETS_KEY": TEST_SECRETS_KEY,
        "AWARENESS_DELIVERY__RETRY_SCHEDULE": "[0.2]",
        "AWARENESS_DELIVERY__POLL_SECONDS": "0.1",
    }
    # Every attempt fails until the receiver is repaired.
    receiver.script = [(500, {})] * 10_000

    first = ServerProcess(database_url, log_path=tmp_path / "first.log", **env).start()
    async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
        secrets = {}
        for name in ("soc", "cert"):
            answer = await http.post(
                "/v1/subscriptions",
                json={"name": name, "channel": "webhook", "target": f"{receiver.url}/{name}"},
                headers=admin,
            )
            assert answer.status_code == 201, answer.text
            secrets[f"/hook/{name}"] = answer.json()["secret"]
        for org, _ in orgs:
            body = incident(
                **SEVERE, detected_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            )
            sent = await http.post(
                "/v1/incidents", json=body, headers={"Authorization": f"Bearer {keys[org]}"}
            )
            assert sent.status_code == 201
        # Each subscription retrying its first event, again and again.
        await _until(lambda: len(receiver.requests) >= 10)
    first.kill()
    killed_at = len(receiver.requests)
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1

    receiver.script.clear()  # repaired: 200 from now on
    with ServerProcess(database_url, log_path=tmp_path / "second.log", **env) as second:
        async with httpx.AsyncClient(base_url=second.url, timeout=30) as http:
            listed = (await http.get("/v1/warnings?limit=1000", headers=admin)).json()["items"]
            expected = [f"evt_{w['seq']}" for w in listed]
            assert len(expected) >= len(orgs)

            def delivered(path: str) -> list[str]:
                after = receiver.requests[killed_at:]
                return [r.headers["webhook-id"] for r in after if r.path == path]

            await _until(lambda: all(len(delivered(p)) >= len(expected) for p in secrets))
            await asyncio.sleep(1)
    got = receiver.requests
    for path, secret in secrets.items():
        # In order, each event once after the repair; before it, only repeats of the first.
        assert delivered(path) == expected, path
        before = {r.headers["webhook-id"] for r in got[:killed_at] if r.path == path}
        assert before == {expected[0]}, path
        for request in (r for r in got if r.path == path):
            Webhook(secret).verify(request.body, request.headers)
