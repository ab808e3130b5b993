"""The correlation scenario end to end through the HTTP API, on both databases: noise that stays
low, a campaign found at its third organization, a sector escalating to orange then red, exposure
warnings that reach exactly the operators running the product, dependent sectors told of the
risk without their levels moving, and the same results rebuilt from the reports alone."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.correlator import rescore
from tests.conftest import add_key, add_org, settle

CAMPAIGN_IP = "185.220.101.47"
SEVERE = {
    "category": "ransomware",
    "functional_impact": "denial_critical",
    "location": "critical_systems",
    "information_impact": "destruction_critical",
    "recoverability": "extended",
}
# Severity about 50 in energy: enough for breadth (>= 40), not a floor of its own.
SIGNIFICANT = {
    "category": "intrusion",
    "functional_impact": "significant_critical",
    "location": "critical_system_dmz",
    "information_impact": "suspected",
}
NOISE = {"category": "phishing", "functional_impact": "none", "location": "business_dmz"}


class Scenario:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, clock: ManualClock) -> None:
        self.app, self.client, self.clock = app, client, clock
        self.keys: dict[str, dict[str, str]] = {}

    async def org(self, org_id: str, sector: str) -> None:
        await add_org(self.app, org_id, sector)
        self.keys[org_id] = await add_key(self.app, Role.operator, org=org_id)

    async def report(self, org_id: str, fields: dict[str, Any], **extra: Any) -> int:
        body = {"detected_at": self.clock.now().isoformat(), **fields, **extra}
        response = await self.client.post("/v1/incidents", json=body, headers=self.keys[org_id])
        assert response.status_code == 201, response.text
        await settle(self.app)
        return response.json()["id"]

    async def asset(self, org_id: str, **fields: Any) -> None:
        response = await self.client.post("/v1/assets", json=fields, headers=self.keys[org_id])
        assert response.status_code in (200, 201), response.text
        await settle(self.app)

    async def levels(self, headers: dict[str, str]) -> dict[str, str]:
        items = (await self.client.get("/v1/sectors", headers=headers)).json()["items"]
        return {item["sector"]: item["level"] for item in items}

    async def warnings(self, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get("/v1/warnings", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()["items"]


async def rebuilt_the_same(app: FastAPI, clock: ManualClock, tmp_path: Path) -> rescore.Comparison:
    """`awareness rescore` rebuilds the same levels, level changes and warnings from the
    reports alone."""
    components = app.state.components
    rebuilt = await rescore.rebuild(
        components.database, components.settings, scratch_dir=tmp_path, now=clock.now()
    )
    try:
        comparison = await rescore.compare(components.database, rebuilt)
    finally:
        await rebuilt.dispose()
    assert comparison.identical, "\n".join(comparison.lines())
    return comparison


async def test_scenario(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock, tmp_path: Path
) -> None:
    s = Scenario(app, client, clock)
    for i in range(1, 9):
        await s.org(f"energy-{i}", "energy")
    for org_id, sector in [("water-1", "water"), ("water-2", "water"), ("water-3", "water"),
                           ("health-1", "healthcare"), ("telco-1", "communications")]:  # fmt: skip
        await s.org(org_id, sector)
    cert = await add_key(app, Role.supervisor)
    water_desk = await add_key(app, Role.supervisor, sectors=["water"])

    # Inventories: two operators elsewhere run the PLC that will be hit; one runs another one.
    plc = {"vendor": "Siemens", "product": "SIMATIC S7-1500", "kind": "plc"}
    await s.asset("energy-1", asset_id="plc-1", criticality="critical", **plc)
    await s.asset(
        "water-2",
        asset_id="pump-plc",
        **(plc | {"vendor": "SIEMENS ", "product": "simatic s7-1500"}),
    )
    await s.asset("health-1", asset_id="bms-plc", **plc)
    await s.asset("telco-1", asset_id="rtu-9", vendor="ABB", product="RTU560", kind="rtu")
    await s.asset("water-3", asset_id="vpn", vendor="Palo Alto Networks", product="PAN-OS",
                  cves=["CVE-2024-3400"])  # fmt: skip

    # 1. Noise: many weak reports stay at blue or below, however many.
    for i in range(40):
        await s.report(f"energy-{i % 8 + 1}", NOISE,
                       indicators=[{"type": "ipv4", "value": f"10.0.0.{i}"}])  # fmt: skip
        clock.advance(timedelta(minutes=3))
    levels = await s.levels(cert)
    assert levels["energy"] in ("none", "blue")
    assert not await s.warnings(cert, kind="campaign")

    # 2. A campaign: one public address at three organizations is found at the third.
    await s.report("energy-2", NOISE, indicators=[{"type": "ipv4", "value": CAMPAIGN_IP}])
    await s.report("energy-2", NOISE, indicators=[{"type": "ipv4", "value": CAMPAIGN_IP}])
    await s.report("energy-3", NOISE, indicators=[{"type": "ipv4", "value": CAMPAIGN_IP}])
    assert not await s.warnings(cert, kind="campaign")
    third = await s.report("water-1", NOISE, indicators=[{"type": "ipv4", "value": CAMPAIGN_IP}])
    found = await s.warnings(cert, kind="campaign")
    assert len(found) == 1
    campaign = found[0]
    assert campaign["evidence"]["organizations"] == 3
    assert campaign["evidence"]["indicator"] == {"type": "ipv4", "value": CAMPAIGN_IP}
    assert set(campaign["sectors"]) == {"energy", "water"}
    leaked = json.dumps(campaign)
    assert not any(org in leaked for org in s.keys), "a campaign warning names an organization"
    assert str(third) not in json.dumps(campaign["evidence"])
    listed = (await client.get("/v1/campaigns", headers=cert)).json()["items"]
    assert [(c["indicator"]["value"], c["organizations"]) for c in listed] == [(CAMPAIGN_IP, 3)]
    assert await s.warnings(water_desk, kind="campaign"), "water's supervisor sees it too"
    assert (await s.levels(cert))["energy"] == "yellow", "a campaign floors its sectors at yellow"

    # 3. Orange: a severe incident on a critical PLC; exposure reaches exactly its other users.
    await s.report("energy-1", SEVERE, affected_assets=["plc-1"])
    levels = await s.levels(cert)
    assert levels["energy"] == "orange"
    exposures = await s.warnings(cert, kind="exposure")
    assert len(exposures) == 1
    assert exposures[0]["target_orgs"] == ["health-1", "water-2"]
    assert exposures[0]["evidence"]["matches"] == {"health-1": ["bms-plc"], "water-2": ["pump-plc"]}
    for org_id in s.keys:
        mine = await s.warnings(s.keys[org_id], kind="exposure")
        expected = 1 if org_id in ("health-1", "water-2") else 0
        assert len(mine) == expected, org_id
    seen_by_water = (await s.warnings(s.keys["water-2"], kind="exposure"))[0]
    assert seen_by_water["target_orgs"] == ["water-2"]
    assert seen_by_water["evidence"]["matches"] == {"water-2": ["pump-plc"]}
    assert seen_by_water["evidence"]["other_targets"] == {"healthcare": 1}
    # A supervisor of water learns of water's organizations only, never healthcare's.
    (seen_by_desk,) = await s.warnings(water_desk, kind="exposure")
    assert seen_by_desk["target_orgs"] == ["water-2"]
    assert seen_by_desk["evidence"]["matches"] == {"water-2": ["pump-plc"]}
    assert seen_by_desk["evidence"]["target_sectors"] == {"water-2": "water"}
    assert seen_by_desk["evidence"]["other_targets"] == {"healthcare": 1}, "counts, not names"
    assert "health-1" not in json.dumps(seen_by_desk)
    assert "other_targets" not in exposures[0]["evidence"], "nothing withheld from the CERT"

    # 4. Dependents are told of the risk, without their levels moving: water depends strongly
    # on energy, and only the campaign (which touches water too) floors it.
    assert levels["water"] == "yellow"
    assert levels["healthcare"] == "none"
    risk = {item["sector"]: item["dependency_risk"] for item in
            (await client.get("/v1/sectors", headers=cert)).json()["items"]}  # fmt: skip
    assert risk["healthcare"] == [{"sector": "energy", "level": "orange", "strength": "strong"}]
    assert risk["energy"] == []
    (dependency,) = await s.warnings(cert, kind="dependency")
    assert (dependency["sector"], dependency["level"]) == ("energy", "orange")
    assert {"water", "healthcare", "chemical"} <= set(dependency["sectors"])
    assert await s.warnings(water_desk, kind="dependency"), "water's supervisor is told"

    # 5. Red: half of the sector's operators report significant incidents within a day.
    clock.advance(timedelta(hours=1))
    for org_id in ("energy-4", "energy-5", "energy-6"):
        await s.report(org_id, SIGNIFICANT)
    levels = await s.levels(cert)
    assert levels["energy"] == "red"
    assert levels["water"] == "yellow", "energy's level never lifts its dependents"
    assert [w["level"] for w in await s.warnings(cert, kind="dependency")] == ["orange", "red"]
    detail = (await client.get("/v1/sectors/energy", headers=cert)).json()
    rules = {floor["rule"] for floor in detail["evidence"]["floors"]}
    assert {"breadth_wide", "severe_incident", "campaign"} <= rules
    assert [c["level"] for c in reversed(detail["history"])][-3:] == ["yellow", "orange", "red"]

    # 6. An exploited CVE reaches the operator whose inventory lists it, and a product reported
    # afterwards is flagged at once.
    await s.report("energy-7", SIGNIFICANT, indicators=[{"type": "cve", "value": "cve-2024-3400"}])
    assert len(await s.warnings(s.keys["water-3"], kind="exposure")) == 1
    await s.asset("telco-1", asset_id="new-plc", **plc)
    telco = await s.warnings(s.keys["telco-1"], kind="exposure")
    assert len(telco) == 1
    assert telco[0]["evidence"]["trigger"] == "asset"

    # 7. The same reports give the same results when everything is rebuilt from them.
    comparison = await rebuilt_the_same(app, clock, tmp_path)
    assert comparison.reports > 50
