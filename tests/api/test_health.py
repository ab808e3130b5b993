"""Liveness and readiness."""

from __future__ import annotations

import re

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from awareness.api.app import create_app
from awareness.auth.keys import new_key
from awareness.clock import ManualClock
from awareness.consumers.events import save_position
from awareness.db.migrate import head_revision
from awareness.eventlog.reader import head as event_head
from tests.conftest import World, incident, make_settings, report_severe, settle


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["schema"] == head_revision()


async def test_not_ready_before_migrations(empty_database_url: str) -> None:
    app = create_app(make_settings(empty_database_url))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["schema"] is None
    assert "awareness migrate" in response.json()["detail"]
    assert response.headers["retry-after"]


async def test_not_ready_when_the_database_is_gone() -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/none"
    app = create_app(make_settings(url, database={"connect_timeout_seconds": 1}))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ready = await client.get("/readyz")
            write = await client.post(
                "/v1/incidents", json={}, headers={"Authorization": f"Bearer {new_key()}"}
            )
    assert ready.status_code == 503
    assert "unreachable" in ready.json()["database"]
    assert write.status_code == 503
    assert write.headers["retry-after"]


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made.headers["x-request-id"]) == 32


async def test_openapi_documents_the_bodies(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    body = schema["paths"]["/v1/incidents"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/IncidentIn")
    assert "detected_at" in schema["components"]["schemas"]["IncidentIn"]["properties"]
    assert "Indicator" in schema["components"]["schemas"]


async def test_metrics_count_what_happened(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    for _ in range(2):
        response = await client.post("/v1/incidents", json=incident(), headers=world.grid_north)
        assert response.status_code == 201
    await client.post("/v1/assets", json={"asset_id": "a"}, headers=world.grid_north)
    await client.get("/v1/incidents/999", headers=world.grid_north)
    await settle(app)
    text = (await client.get("/metrics", headers=world.admin)).text
    assert 'awareness_reports_ingested_total{kind="incident"} 2.0' in text
    assert 'awareness_reports_ingested_total{kind="asset"} 1.0' in text
    assert "awareness_reports_correlated_total 3.0" in text
    assert "awareness_correlator_lag_reports 0.0" in text
    assert "awareness_correlator_leader 1.0" in text
    # Every batch is timed, and the next one's size is shown.
    batches = re.search(r"^awareness_correlator_batch_seconds_count (\S+)$", text, re.M)
    assert batches is not None
    assert 1 <= float(batches.group(1)) <= 3
    limit = re.search(r"^awareness_correlator_batch_limit (\S+)$", text, re.M)
    assert limit is not None
    assert float(limit.group(1)) >= 20
    assert "awareness_feed_clients 0.0" in text
    assert (
        'awareness_http_request_duration_seconds_count{method="GET",'
        'route="/v1/incidents/{incident_id}",status="404"} 1.0'
    ) in text


async def test_metrics_show_each_consumers_lag(
    client: httpx.AsyncClient, world: World, app: FastAPI, clock: ManualClock
) -> None:
    await report_severe(client, world.grid_north, clock)
    await settle(app)
    components = app.state.components
    async with components.database.write() as conn:
        head = await event_head(conn)
        assert head >= 2
        # A durable consumer that has handled only the first event.
        await save_position(conn, "delivery", 1, now=clock.now())
    text = (await client.get("/metrics", headers=world.admin)).text
    assert f'awareness_consumer_lag_events{{consumer="delivery"}} {float(head - 1)}' in text
    assert 'awareness_consumer_lag_events{consumer="feed"} 0.0' in text
    assert 'awareness_consumer_leader{consumer="correlator"} 1.0' in text
