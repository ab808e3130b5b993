"""A sector's exposure to known-exploited vulnerabilities and ICS advisories, and who may know it
(GET /v1/sectors/{sector}/vulnerabilities). The matcher's record, `vulnerability_hits`, is
written here directly, with the KEV entries and advisories it points at."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from awareness.clock import ManualClock
from awareness.db.tables import advisories, kev_entries, vulnerability_hits
from tests.conftest import START, World

Z = "%Y-%m-%dT%H:%M:%SZ"
EMPTY = [
    {"criticality": c, "exposed_operators": 0, "advisories": []}
    for c in ("critical", "high", "medium", "low", "none")
]


def kev(
    cve: str, added: date, *, ransomware: bool = False, due: date | None = None
) -> dict[str, Any]:
    return {
        "cve": cve, "vendor": "Siemens", "product": "SIMATIC S7-1500", "name": f"{cve} flaw",
        "date_added": added, "due_date": due, "ransomware": ransomware,
        "description": "", "action": "Apply the update.", "vendor_key": "siemens",
        "product_key": "simatics7-1500", "digest": cve, "aliases_digest": "a", "imported_at": START,
    }  # fmt: skip


def advisory(advisory_id: str, criticality: str, published: datetime) -> dict[str, Any]:
    return {
        "id": advisory_id, "source": "csaf", "title": f"{advisory_id} Siemens SIMATIC",
        "published": published, "updated": published, "criticality": criticality, "cves": [],
        "digest": advisory_id, "aliases_digest": "a", "imported_at": START,
    }  # fmt: skip


def hit(org: str, asset: str, cve: str, sector: str, advisory_id: str = "") -> dict[str, Any]:
    return {
        "org_id": org, "asset_id": asset, "cve": cve, "sector": sector,
        "topic": advisory_id or f"kev:{cve}",
        "source": "csaf" if advisory_id else "kev", "advisory_id": advisory_id,
        "digest": "d", "reason": "version 2.9 in vers:generic/<3.1", "warning_id": 1,
        "found_at": START,
    }  # fmt: skip


async def seed(app: FastAPI, table: sa.Table, *rows: dict[str, Any]) -> None:
    async with app.state.components.database.write() as conn:
        await conn.execute(table.insert(), list(rows))


async def seed_exposure(app: FastAPI) -> None:
    """Energy: grid-north runs two PLCs with a recent ransomware KEV entry, one also under a
    critical advisory; grid-south an RTU under a high advisory with two CVEs, one of them a
    recent KEV entry. Water: aqua is exposed to the same, and must never show in energy."""
    await seed(app, kev_entries,
        kev("CVE-2026-0001", date(2026, 2, 20), ransomware=True, due=date(2026, 3, 13)),
        kev("CVE-2026-0002", date(2026, 2, 25)),
        kev("CVE-2026-0007", date(2026, 1, 31)),  # 30 days before the clock: still in
        kev("CVE-2025-0003", date(2025, 12, 1)),  # long before: left out
    )  # fmt: skip
    await seed(app, advisories,
        advisory("ICSA-26-001-01", "critical", datetime(2026, 1, 1, tzinfo=UTC)),
        advisory("ICSA-26-010-01", "high", datetime(2026, 1, 10, tzinfo=UTC)),
        advisory("ICSA-26-020-01", "high", datetime(2026, 1, 20, tzinfo=UTC)),
    )  # fmt: skip
    await seed(app, vulnerability_hits,
        hit("grid-north", "plc-1", "CVE-2026-0001", "energy"),
        hit("grid-north", "plc-2", "CVE-2026-0001", "energy"),
        hit("grid-north", "plc-1", "CVE-2025-0003", "energy"),
        hit("grid-north", "plc-1", "CVE-2026-0007", "energy"),
        hit("grid-north", "plc-1", "CVE-2026-0006", "energy", "ICSA-26-001-01"),
        hit("grid-south", "rtu-1", "CVE-2026-0002", "energy", "ICSA-26-010-01"),
        hit("grid-south", "rtu-1", "CVE-2026-0005", "energy", "ICSA-26-010-01"),
        hit("grid-south", "rtu-2", "CVE-2026-0008", "energy", "ICSA-26-020-01"),
        hit("aqua", "pump-1", "CVE-2026-0001", "water"),
        hit("aqua", "pump-1", "CVE-2026-0006", "water", "ICSA-26-001-01"),
        # A row naming energy for an operator of water is never read as energy's.
        hit("aqua", "pump-2", "CVE-2026-0002", "energy"),
    )  # fmt: skip


async def vulnerabilities(
    client: httpx.AsyncClient, headers: dict[str, str], sector: str = "energy"
) -> dict[str, Any]:
    response = await client.get(f"/v1/sectors/{sector}/vulnerabilities", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_supervisor_sees_its_sectors_exposed_operators(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    await seed_exposure(app)

    answer = await vulnerabilities(client, world.energy_supervisor)

    siemens = {"vendor": "Siemens", "product": "SIMATIC S7-1500"}
    assert answer == {
        "sector": "energy",
        "operators": 2,
        "names": {"grid-north": "Grid-North", "grid-south": "Grid-South"},
        "kev": {
            "days": 30,
            "since": "2026-01-31",
            "exposed_operators": 2,
            "entries": [
                {
                    "cve": "CVE-2026-0002",
                    "name": "CVE-2026-0002 flaw",
                    **siemens,
                    "date_added": "2026-02-25",
                    "due_date": None,
                    "ransomware": False,
                    "operators": ["grid-south"],
                    "assets": 1,
                },
                {
                    "cve": "CVE-2026-0001",
                    "name": "CVE-2026-0001 flaw",
                    **siemens,
                    "date_added": "2026-02-20",
                    "due_date": "2026-03-13",
                    "ransomware": True,
                    "operators": ["grid-north"],
                    "assets": 2,
                },
                {
                    "cve": "CVE-2026-0007",
                    "name": "CVE-2026-0007 flaw",
                    **siemens,
                    "date_added": "2026-01-31",
                    "due_date": None,
                    "ransomware": False,
                    "operators": ["grid-north"],
                    "assets": 1,
                },
            ],
        },
        "advisories": [
            {
                "criticality": "critical",
                "exposed_operators": 1,
                "advisories": [
                    {
                        "id": "ICSA-26-001-01",
                        "title": "ICSA-26-001-01 Siemens SIMATIC",
                        "published": "2026-01-01T00:00:00Z",
                        "operators": ["grid-north"],
                        "assets": 1,
                        "cves": 1,
                    },
                ],
            },
            {
                "criticality": "high",
                "exposed_operators": 1,
                "advisories": [
                    {
                        "id": "ICSA-26-020-01",
                        "title": "ICSA-26-020-01 Siemens SIMATIC",
                        "published": "2026-01-20T00:00:00Z",
                        "operators": ["grid-south"],
                        "assets": 1,
                        "cves": 1,
                    },
                    {
                        "id": "ICSA-26-010-01",
                        "title": "ICSA-26-010-01 Siemens SIMATIC",
                        "published": "2026-01-10T00:00:00Z",
                        "operators": ["grid-south"],
                        "assets": 1,
                        "cves": 2,
                    },
                ],
            },
            *EMPTY[2:],
        ],
        "at": START.strftime(Z),
    }
    assert await vulnerabilities(client, world.all_supervisor) == answer
    assert await vulnerabilities(client, world.admin) == answer


async def test_an_operator_of_another_sector_is_never_listed(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    await seed_exposure(app)

    for headers in (world.energy_supervisor, world.all_supervisor, world.admin):
        response = await client.get("/v1/sectors/energy/vulnerabilities", headers=headers)
        assert "aqua" not in response.text
        assert "pump" not in response.text

    # Water names aqua alone, for the same KEV entry and advisory energy is exposed to.
    water = await vulnerabilities(client, world.all_supervisor, "water")
    assert (water["operators"], water["names"]) == (1, {"aqua": "Aqua"})
    assert [(e["cve"], e["operators"]) for e in water["kev"]["entries"]] == [
        ("CVE-2026-0001", ["aqua"])
    ]
    critical = water["advisories"][0]
    assert (critical["criticality"], critical["exposed_operators"]) == ("critical", 1)
    assert [(a["id"], a["operators"]) for a in critical["advisories"]] == [
        ("ICSA-26-001-01", ["aqua"])
    ]
    assert "grid" not in str(water)


async def test_an_entry_older_than_the_window_is_left_out(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await seed_exposure(app)
    assert "CVE-2025-0003" not in str(await vulnerabilities(client, world.energy_supervisor))

    # A day on, the entry added 30 days before the clock's start is 31 days old.
    clock.advance(timedelta(days=1))
    kev = (await vulnerabilities(client, world.energy_supervisor))["kev"]
    assert kev["since"] == "2026-02-01"
    assert [e["cve"] for e in kev["entries"]] == ["CVE-2026-0002", "CVE-2026-0001"]

    # Past every entry: nobody is exposed to a recent one, and the advisories stay, undated.
    clock.advance(timedelta(days=30))
    answer = await vulnerabilities(client, world.energy_supervisor)
    assert (answer["kev"]["exposed_operators"], answer["kev"]["entries"]) == (0, [])
    assert [len(c["advisories"]) for c in answer["advisories"]] == [1, 2, 0, 0, 0]
    assert answer["names"] == {"grid-north": "Grid-North", "grid-south": "Grid-South"}


async def test_a_sector_nobody_is_exposed_in(client: httpx.AsyncClient, world: World) -> None:
    answer = await vulnerabilities(client, world.admin, "transportation")
    assert answer["operators"] == 0
    assert answer["names"] == {}
    assert (answer["kev"]["exposed_operators"], answer["kev"]["entries"]) == (0, [])
    assert answer["advisories"] == EMPTY


async def test_only_the_sectors_supervisors_and_admins_read_it(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    await seed_exposure(app)
    for headers in (world.grid_north, world.aqua, world.energy_responder):
        answer = await client.get("/v1/sectors/energy/vulnerabilities", headers=headers)
        assert answer.status_code == 403, answer.text
        assert "grid" not in answer.text
    # Outside a supervisor's scope, as absent as a sector that does not exist.
    outside = await client.get("/v1/sectors/water/vulnerabilities", headers=world.energy_supervisor)
    missing = await client.get("/v1/sectors/space/vulnerabilities", headers=world.energy_supervisor)
    assert outside.status_code == missing.status_code == 404
    assert "aqua" not in outside.text
    assert (
        await client.get("/v1/sectors/space/vulnerabilities", headers=world.admin)
    ).status_code == 404
    anonymous = await client.get("/v1/sectors/energy/vulnerabilities")
    assert anonymous.status_code == 401
    assert "grid" not in anonymous.text
