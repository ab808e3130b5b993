"""Incident ingestion and scoped reads, on both databases."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import World, count_rows, incident


async def test_submitted_incident_reads_back_normalized(
    client: httpx.AsyncClient, world: World
) -> None:
    body = incident(
        occurred_at="2026-03-02T10:30:00+02:00",
        information_impact="suspected",
        location="critical_systems",
        indicators=[
            {"type": "ipv4", "value": " 203.0.113.7 "},
            {"type": "domain", "value": "Evil.Example.COM."},
            {"type": "sha256", "value": "A" * 64},
            {"type": "cve", "value": "cve-2024-3400"},
        ],
        summary="HMI sessions from an unknown host",
        tlp="amber+strict",
        reference="INC-42",
    )
    created = await client.post("/v1/incidents", json=body, headers=world.grid_north)
    assert created.status_code == 201, created.text
    incident_id = created.json()["id"]

    got = await client.get(f"/v1/incidents/{incident_id}", headers=world.grid_north)
    assert got.status_code == 200
    record = got.json()
    assert record["org_id"] == "grid-north"
    assert record["sector"] == "energy"
    assert record["occurred_at"] == "2026-03-02T08:30:00Z"
    assert record["received_at"] == "2026-03-02T09:00:00Z"
    assert record["indicators"] == [
        {"type": "ipv4", "value": "203.0.113.7"},
        {"type": "domain", "value": "evil.example.com"},
        {"type": "sha256", "value": "a" * 64},
        {"type": "cve", "value": "CVE-2024-3400"},
    ]
    assert record["tlp"] == "amber+strict"
    assert record["information_impact"] == "suspected"
    assert record["recoverability"] == "regular"


async def test_refused_without_key_stores_nothing(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    response = await client.post("/v1/incidents", json=incident())
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert await count_rows(app, "incidents") == 0
