"""Asset inventory: create or replace by `asset_id`, batches, validation and scope."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import World, count_rows

PLC = {
    "asset_id": "plc-07",
    "name": "Substation 7 PLC",
    "kind": "plc",
    "vendor": "Siemens",
    "product": "SIMATIC S7-1500",
    "version": "2.9.4",
    "criticality": "critical",
    "internet_exposed": False,
    "cves": ["cve-2023-44373", "CVE-2023-44373"],
    "location": "critical_systems",
}


async def test_create_then_replace(client: httpx.AsyncClient, world: World, app: FastAPI) -> None:
    created = await client.post("/v1/assets", json=PLC, headers=world.grid_north)
    assert created.status_code == 201, created.text
    assert created.json()["created"] is True
    assert created.json()["cves"] == ["CVE-2023-44373"]

    updated = await client.post(
        "/v1/assets", json=PLC | {"version": "3.0.1", "cves": []}, headers=world.grid_north
    )
    assert updated.status_code == 200
    assert updated.json()["created"] is False
    assert updated.json()["created_at"] == created.json()["created_at"]

    listed = (await client.get("/v1/assets", headers=world.grid_north)).json()
    assert len(listed["items"]) == 1
    assert listed["items"][0]["version"] == "3.0.1"
    assert listed["items"][0]["cves"] == []
    assert listed["next"] is None
    # Both reports are kept for the correlator, the asset itself once.
    assert await count_rows(app, "asset_reports") == 2
    assert await count_rows(app, "assets") == 1


async def test_minimal_asset_gets_defaults(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/v1/assets", json={"asset_id": "x"}, headers=world.grid_north)
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["criticality"], body["location"]) == ("other", "medium", "unknown")
    assert body["internet_exposed"] is False


async def test_same_asset_id_in_two_orgs_is_two_assets(
    client: httpx.AsyncClient, world: World
) -> None:
    assert (await client.post("/v1/assets", json=PLC, headers=world.grid_north)).status_code == 201
    assert (await client.post("/v1/assets", json=PLC, headers=world.aqua)).status_code == 201
    north = (await client.get("/v1/assets", headers=world.grid_north)).json()["items"]
    assert [a["org_id"] for a in north] == ["grid-north"]


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("missing id", {"asset_id": None}, "asset_id"),
    ("empty id", {"asset_id": ""}, "asset_id"),
    ("control characters", {"asset_id": "a\nb"}, "asset_id"),
    ("kind", {"kind": "mainframe"}, "kind"),
    ("criticality", {"criticality": "extreme"}, "criticality"),
    ("exposed not a boolean", {"internet_exposed": "maybe"}, "internet_exposed"),
    ("cve", {"cves": ["CVE-2023-1", "CVE-2024-3400"]}, "cves"),
    ("location", {"location": "moon"}, "location"),
    ("vendor too long", {"vendor": "v" * 201}, "vendor"),
    ("org in body", {"org_id": "aqua"}, "org_id"),
]


@pytest.mark.parametrize(("change", "field"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
async def test_invalid_asset_is_422_and_stores_nothing(
    client: httpx.AsyncClient, world: World, app: FastAPI, change: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in (PLC | change).items() if v is not None}
    response = await client.post("/v1/assets", json=body, headers=world.grid_north)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await count_rows(app, "assets") == 0
    assert await count_rows(app, "reports") == 0


async def test_batch_creates_and_updates_together(client: httpx.AsyncClient, world: World) -> None:
    await client.post("/v1/assets", json=PLC, headers=world.grid_north)
    batch = {"assets": [PLC | {"version": "4"}, PLC | {"asset_id": "hmi-1", "kind": "hmi"}]}
    response = await client.post("/v1/assets/batch", json=batch, headers=world.grid_north)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "items": [
            {"asset_id": "plc-07", "created": False},
            {"asset_id": "hmi-1", "created": True},
        ],
        "created": 1,
        "updated": 1,
    }
    items = (await client.get("/v1/assets", headers=world.grid_north)).json()["items"]
    assert {(a["asset_id"], a["version"]) for a in items} == {("plc-07", "4"), ("hmi-1", "2.9.4")}


async def test_batch_all_or_nothing(client: httpx.AsyncClient, world: World, app: FastAPI) -> None:
    batch = {"assets": [PLC, PLC | {"asset_id": "b", "criticality": "bad"}]}
    response = await client.post("/v1/assets/batch", json=batch, headers=world.grid_north)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "assets[1].criticality"
    assert await count_rows(app, "assets") == 0


async def test_batch_refuses_an_asset_id_twice(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    batch = {"assets": [PLC, {"asset_id": "other"}, PLC]}
    response = await client.post("/v1/assets/batch", json=batch, headers=world.grid_north)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "assets[2].asset_id"
    assert "assets[0]" in error["message"]
    assert await count_rows(app, "assets") == 0


async def test_supervisor_sees_assets_of_its_sectors(
    client: httpx.AsyncClient, world: World
) -> None:
    await client.post("/v1/assets", json=PLC, headers=world.grid_north)
    await client.post("/v1/assets", json=PLC | {"asset_id": "pump-1"}, headers=world.aqua)
    energy = (await client.get("/v1/assets", headers=world.energy_supervisor)).json()["items"]
    assert [a["asset_id"] for a in energy] == ["plc-07"]
    everything = (await client.get("/v1/assets", headers=world.all_supervisor)).json()["items"]
    assert {a["asset_id"] for a in everything} == {"plc-07", "pump-1"}


async def test_asset_pages(client: httpx.AsyncClient, world: World) -> None:
    batch = {"assets": [{"asset_id": f"a-{i:02d}"} for i in range(7)]}
    await client.post("/v1/assets/batch", json=batch, headers=world.grid_north)
    first = (await client.get("/v1/assets?limit=5", headers=world.grid_north)).json()
    assert len(first["items"]) == 5
    second = (
        await client.get(f"/v1/assets?limit=5&cursor={first['next']}", headers=world.grid_north)
    ).json()
    assert len(second["items"]) == 2
    assert second["next"] is None
    names = [a["asset_id"] for a in first["items"] + second["items"]]
    assert names == [f"a-{i:02d}" for i in reversed(range(7))]
