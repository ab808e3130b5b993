"""Coverage and blind spots: who in a sector keeps an inventory and reports, who is silent, and
who may know it (GET /v1/sectors/{sector}/coverage and the counts on GET /v1/sectors)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from awareness.auth.principal import Role
from awareness.clock import ManualClock
from tests.conftest import PLC, START, World, add_key, add_org, incident

Z = "%Y-%m-%dT%H:%M:%SZ"


async def _incident(client: httpx.AsyncClient, headers: dict[str, str], clock: ManualClock) -> None:
    body = incident(detected_at=clock.now().isoformat())
    response = await client.post("/v1/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text


async def _asset(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.post("/v1/assets", json={"asset_id": "plc-1", **PLC}, headers=headers)
    assert response.status_code in (200, 201), response.text


async def _coverage(
    client: httpx.AsyncClient, headers: dict[str, str], sector: str = "energy"
) -> dict[str, Any]:
    response = await client.get(f"/v1/sectors/{sector}/coverage", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _silent(coverage: dict[str, Any]) -> list[str]:
    return [s["org_id"] for s in coverage["silent"]]


async def test_counts_inventory_reports_and_the_silent(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await add_org(app, "grid-east", "energy")  # registered, never heard of
    await _incident(client, world.grid_north, clock)
    await _asset(client, world.grid_south)

    coverage = await _coverage(client, world.energy_supervisor)

    assert coverage == {
        "sector": "energy",
        "operators": 3,
        "with_inventory": 1,
        "reporting": 2,
        "silent": [
            {
                "org_id": "grid-east",
                "name": "Grid-East",
                "last_inventory_at": None,
                "last_report_at": None,
            }
        ],
        "low_coverage": False,
        "inventory_days": 30,
        "report_days": 90,
        "as_of": START.strftime(Z),
    }
    # Another sector's operators count only there.
    water = await _coverage(client, world.all_supervisor, "water")
    assert (water["operators"], water["reporting"], water["silent"][0]["org_id"]) == (1, 0, "aqua")
    assert water["low_coverage"] is True


async def test_a_silent_operator_appears_with_time_and_leaves_when_it_reports(
    client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await _incident(client, world.grid_north, clock)
    await _asset(client, world.grid_south)
    assert (await _coverage(client, world.energy_supervisor))["silent"] == []

    # 31 days on: grid-south's inventory is stale, but it still reported within 90 days.
    clock.advance(timedelta(days=31))
    coverage = await _coverage(client, world.energy_supervisor)
    assert (coverage["with_inventory"], coverage["reporting"], coverage["silent"]) == (0, 2, [])

    # 91 days on: both silent, each with when it was last heard of; fewer than half report.
    clock.advance(timedelta(days=60))
    coverage = await _coverage(client, world.energy_supervisor)
    assert coverage["reporting"] == 0
    assert coverage["low_coverage"] is True
    assert coverage["silent"] == [
        {
            "org_id": "grid-north",
            "name": "Grid-North",
            "last_inventory_at": None,
            "last_report_at": START.strftime(Z),
        },
        {
            "org_id": "grid-south",
            "name": "Grid-South",
            "last_inventory_at": START.strftime(Z),
            "last_report_at": START.strftime(Z),
        },
    ]

    # grid-north reports: it leaves the silent list, and one of two reporting is half, not low.
    await _incident(client, world.grid_north, clock)
    coverage = await _coverage(client, world.energy_supervisor)
    assert _silent(coverage) == ["grid-south"]
    assert (coverage["reporting"], coverage["low_coverage"]) == (1, False)

    # grid-south renews its inventory: current again, and reporting.
    await _asset(client, world.grid_south)
    coverage = await _coverage(client, world.energy_supervisor)
    assert (coverage["with_inventory"], coverage["reporting"], coverage["silent"]) == (1, 2, [])


async def test_the_sector_list_marks_low_coverage_for_supervisors_only(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await add_org(app, "grid-east", "energy")
    await _incident(client, world.grid_north, clock)

    def by_sector(answer: httpx.Response) -> dict[str, Any]:
        assert answer.status_code == 200, answer.text
        return {item["sector"]: item.get("coverage") for item in answer.json()["items"]}

    everything = by_sector(await client.get("/v1/sectors", headers=world.all_supervisor))
    # One of three reported: low coverage, so a calm level reads as little data.
    assert everything["energy"] == {
        "operators": 3,
        "with_inventory": 0,
        "reporting": 1,
        "silent": 2,
        "low_coverage": True,
    }
    assert everything["water"]["silent"] == 1
    # A sector where nobody is registered is low coverage too: its level rests on nothing.
    assert everything["transportation"] == {
        "operators": 0,
        "with_inventory": 0,
        "reporting": 0,
        "silent": 0,
        "low_coverage": True,
    }
    assert by_sector(await client.get("/v1/sectors", headers=world.admin)) == everything

    scoped = by_sector(await client.get("/v1/sectors", headers=world.energy_supervisor))
    assert scoped["energy"] == everything["energy"]
    assert {s for s, c in scoped.items() if c is not None} == {"energy"}
    for others in (world.grid_north, world.aqua, world.energy_responder):
        assert set(by_sector(await client.get("/v1/sectors", headers=others)).values()) == {None}

    # The sector view carries the same counts, to the same readers.
    detail = await client.get("/v1/sectors/energy", headers=world.energy_supervisor)
    assert detail.json()["coverage"] == everything["energy"]
    detail = await client.get("/v1/sectors/energy", headers=world.grid_north)
    assert detail.json()["coverage"] is None

    # Two more report: three of three, no longer low.
    await _asset(client, world.grid_south)
    east = await add_key(app, Role.operator, org="grid-east")
    await _incident(client, east, clock)
    everything = by_sector(await client.get("/v1/sectors", headers=world.all_supervisor))
    assert everything["energy"]["reporting"] == 3
    assert everything["energy"]["low_coverage"] is False


async def test_only_the_sectors_supervisors_and_admins_read_it(
    client: httpx.AsyncClient, world: World
) -> None:
    for headers in (world.grid_north, world.aqua, world.energy_responder):
        answer = await client.get("/v1/sectors/energy/coverage", headers=headers)
        assert answer.status_code == 403, answer.text
    # Outside a supervisor's scope, as absent as a sector that does not exist.
    outside = await client.get("/v1/sectors/water/coverage", headers=world.energy_supervisor)
    missing = await client.get("/v1/sectors/space/coverage", headers=world.energy_supervisor)
    assert outside.status_code == missing.status_code == 404
    assert "aqua" not in outside.text
    for headers in (world.energy_supervisor, world.all_supervisor, world.admin):
        assert (await _coverage(client, headers))["operators"] == 2
    assert _silent(await _coverage(client, world.admin, "water")) == ["aqua"]
