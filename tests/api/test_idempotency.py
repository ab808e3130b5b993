"""Retries with `Idempotency-Key`: the first answer again, exactly one record, also when the
duplicates arrive together."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI

from awareness.clock import ManualClock
from tests.conftest import World, count_rows, incident


async def test_retry_returns_the_first_answer_and_stores_once(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    headers = world.grid_north | {"Idempotency-Key": "report-1"}
    first = await client.post("/v1/incidents", json=incident(), headers=headers)
    again = await client.post("/v1/incidents", json=incident(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_rows(app, "incidents") == 1


async def test_same_key_with_another_body_is_422(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    headers = world.grid_north | {"Idempotency-Key": "report-1"}
    await client.post("/v1/incidents", json=incident(), headers=headers)
    other = await client.post("/v1/incidents", json=incident(category="ddos"), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await count_rows(app, "incidents") == 1


async def test_same_body_in_another_layout_is_the_same_request(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    headers = world.grid_north | {"Idempotency-Key": "k", "Content-Type": "application/json"}
    first = await client.post(
        "/v1/incidents",
        content=b'{"detected_at":"2026-03-02T08:59:00Z","category":"intrusion",'
        b'"functional_impact":"none"}',
        headers=headers,
    )
    second = await client.post(
        "/v1/incidents",
        content=b'{ "functional_impact": "none", "category": "intrusion",\n'
        b'  "detected_at": "2026-03-02T08:59:00Z" }',
        headers=headers,
    )
    assert second.json() == first.json()
    assert await count_rows(app, "incidents") == 1


async def test_keys_belong_to_one_organization(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    body = incident()
    north = await client.post(
        "/v1/incidents", json=body, headers=world.grid_north | {"Idempotency-Key": "shared"}
    )
    south = await client.post(
        "/v1/incidents", json=body, headers=world.grid_south | {"Idempotency-Key": "shared"}
    )
    assert north.json()["id"] != south.json()["id"]
    assert await count_rows(app, "incidents") == 2


async def test_a_key_used_on_another_endpoint_is_422(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = world.grid_north | {"Idempotency-Key": "k"}
    await client.post("/v1/incidents", json=incident(), headers=headers)
    batch = await client.post(
        "/v1/incidents/batch", json={"incidents": [incident()]}, headers=headers
    )
    assert batch.status_code == 422


async def test_concurrent_duplicates_store_one_record(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    headers = world.grid_north | {"Idempotency-Key": "storm"}
    responses = await asyncio.gather(
        *(client.post("/v1/incidents", json=incident(), headers=headers) for _ in range(12))
    )
    assert {r.status_code for r in responses} <= {201, 409}
    answered = [r.json() for r in responses if r.status_code == 201]
    assert answered
    assert all(body == answered[0] for body in answered)
    assert await count_rows(app, "incidents") == 1
    assert await count_rows(app, "idempotency_keys") == 1


async def test_concurrent_duplicate_batches_store_one_batch(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    headers = world.grid_north | {"Idempotency-Key": "batch-storm"}
    body = {"incidents": [incident() for _ in range(50)]}
    responses = await asyncio.gather(
        *(client.post("/v1/incidents/batch", json=body, headers=headers) for _ in range(6))
    )
    assert all(r.status_code == 201 for r in responses)
    assert len({tuple(r.json()["ids"]) for r in responses}) == 1
    assert await count_rows(app, "incidents") == 50


async def test_asset_upsert_is_idempotent(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    headers = world.grid_north | {"Idempotency-Key": "asset-1"}
    first = await client.post("/v1/assets", json={"asset_id": "a"}, headers=headers)
    again = await client.post("/v1/assets", json={"asset_id": "a"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert await count_rows(app, "asset_reports") == 1


async def test_concurrent_first_writes_of_one_asset_make_one_asset(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    responses = await asyncio.gather(
        *(
            client.post("/v1/assets", json={"asset_id": "new"}, headers=world.grid_north)
            for _ in range(8)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert await count_rows(app, "assets") == 1


async def test_failed_request_does_not_burn_the_key(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    headers = world.grid_north | {"Idempotency-Key": "k"}
    bad = await client.post("/v1/incidents", json=incident(category="x"), headers=headers)
    assert bad.status_code == 422
    good = await client.post("/v1/incidents", json=incident(category="x"), headers=headers)
    assert good.status_code == 422
    fixed = await client.post("/v1/incidents", json=incident(), headers=headers)
    assert fixed.status_code == 201


async def test_invalid_key_is_422(client: httpx.AsyncClient, world: World, app: FastAPI) -> None:
    headers = world.grid_north | {"Idempotency-Key": "has spaces"}
    response = await client.post("/v1/incidents", json=incident(), headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await count_rows(app, "incidents") == 0


async def test_keys_are_kept_for_the_retention_then_free(
    client: httpx.AsyncClient, world: World, app: FastAPI, clock: ManualClock
) -> None:
    headers = world.grid_north | {"Idempotency-Key": "old"}
    first = await client.post("/v1/incidents", json=incident(), headers=headers)

    clock.advance(timedelta(hours=24))
    body = incident(detected_at=clock.now().isoformat())
    same = await client.post("/v1/incidents", json=incident(), headers=headers)
    assert same.json() == first.json()

    clock.advance(timedelta(hours=25))
    body = incident(detected_at=clock.now().isoformat())
    fresh = await client.post("/v1/incidents", json=body, headers=headers)
    assert fresh.status_code == 201
    assert fresh.json()["id"] != first.json()["id"]
    assert await count_rows(app, "idempotency_keys") == 1
