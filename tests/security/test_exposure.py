"""What a browser and a log reader are given: pages that run only this service's code and are
never framed, answers that are what they say they are, and no credential in any log line."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from awareness.auth.keys import new_key
from tests.conftest import World
from tests.feed.conftest import open_feed
from tests.servers import ServerProcess, create_key


@pytest.mark.parametrize("path", ["/", "/index.html", "/docs"])
async def test_every_page_carries_a_content_security_policy(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert ("'unsafe-inline'" in policy) == (path == "/docs")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json", "/app.js", "/v1/nowhere"])
async def test_every_answer_is_what_its_content_type_says(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in answer.headers


async def test_no_credential_reaches_the_log(sqlite_url: str, tmp_path: Path) -> None:
    key = create_key(sqlite_url, "--role", "admin")
    guessed = new_key()
    log = tmp_path / "server.log"
    with ServerProcess(sqlite_url, log_path=log, AWARENESS_LOG__LEVEL="DEBUG") as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            issued = await client.post(
                "/v1/feed/tickets", headers={"Authorization": f"Bearer {key}"}
            )
            ticket = issued.json()["ticket"]
            wrong = await client.get("/v1/me", headers={"Authorization": f"Bearer {guessed}"})
            assert wrong.status_code == 401
            assert (await client.get(f"/v1/me?key={key}")).status_code == 401
        feed, socket = await open_feed(f"127.0.0.1:{server.port}", query=f"ticket={ticket}")
        async with socket:
            assert (await feed.frame())["type"] == "connected"
    text = log.read_text()
    assert "/v1/feed" in text, "the feed's connection was not logged at all"
    for secret in (key, guessed, ticket):
        assert secret not in text


async def test_an_unexpected_failure_is_a_json_500_naming_the_request_id(
    app: FastAPI, client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    async def broken(_key: str) -> None:
        raise RuntimeError("the secret internals")

    monkeypatch.setattr(app.state.components.keys, "resolve", broken)
    answer = await client.get("/v1/me", headers=world.admin | {"X-Request-ID": "trace-me-1"})
    assert answer.status_code == 500
    assert answer.json() == {
        "detail": "internal error: quote request id trace-me-1 when reporting it"
    }
    assert answer.headers["x-request-id"] == "trace-me-1"
    assert "secret internals" not in answer.text
    assert any("secret internals" in (r.exc_text or str(r.exc_info)) for r in caplog.records)
