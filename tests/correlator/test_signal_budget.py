"""SCORING.md section 10, through the HTTP API on both databases: what one attack costs a national
supervisor in warnings, one campaign per intrusion set, no sector moving without reports of its
own, a staged intrusion found weeks before its burst, and known-benign indicators that never
make a campaign or an exposure."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from awareness.auth.principal import Principal, Role
from awareness.clock import ManualClock
from awareness.eventlog.reader import read_after
from tests.conftest import add_key
from tests.correlator.test_scenario import NOISE, SEVERE, SIGNIFICANT, Scenario, rebuilt_the_same


def plain(indicators: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Indicators without the TLP each reader holds them under."""
    return [{k: v for k, v in i.items() if k != "tlp"} for i in indicators]


C2 = {"type": "domain", "value": "update-check.energy-portal.ru"}
PAYLOAD = {"type": "sha256", "value": "9f2c" * 16}
CVE = {"type": "cve", "value": "cve-2023-34362"}  # normalized to upper case on the way in
WEB_SHELL = {"type": "sha256", "value": "0b3f" * 16}
PLC = {"vendor": "Siemens", "product": "SIMATIC S7-1500", "kind": "plc", "criticality": "high"}


async def national_view(s: Scenario, cert: dict[str, str]) -> list[dict[str, Any]]:
    return await s.warnings(cert, limit=1000)


async def unmoved(s: Scenario, cert: dict[str, str], reporting: set[str]) -> None:
    """Every sector without reports of its own is at none and has never changed level."""
    for sector, level in (await s.levels(cert)).items():
        if sector in reporting:
            continue
        assert level == "none", sector
        detail = (await s.client.get(f"/v1/sectors/{sector}", headers=cert)).json()
        assert detail["history"] == [], sector


def tally(warnings: list[dict[str, Any]]) -> str:
    counts = Counter((w["kind"], w["sector"], w["level"]) for w in warnings)
    return ", ".join(f"{kind}/{sector}/{level} x{n}" for (kind, sector, level), n in counts.items())


async def test_a_campaign_escalating_one_sector_to_red_costs_at_most_10_warnings(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    s = Scenario(app, client, clock)
    for i in range(1, 9):
        await s.org(f"energy-{i}", "energy")
    others = {"water-1": "water", "health-1": "healthcare", "telco-1": "communications",
              "bank-1": "financial_services"}  # fmt: skip
    for org_id, sector in others.items():
        await s.org(org_id, sector)
    cert = await add_key(app, Role.supervisor)
    for org_id in ("energy-1", "energy-2", "energy-3", "energy-4", "energy-5", "water-1"):
        await s.asset(org_id, asset_id="plc-1", **PLC)

    # One intrusion set (a C2 domain and its payload) hits five of eight energy operators in
    # an afternoon, on a critical system each time.
    for org_id in ("energy-1", "energy-2", "energy-3", "energy-4", "energy-5"):
        await s.report(org_id, SEVERE, affected_assets=["plc-1"], indicators=[C2, PAYLOAD])
        clock.advance(timedelta(minutes=40))

    warnings = await national_view(s, cert)
    assert (await s.levels(cert))["energy"] == "red"
    assert len(warnings) <= 10, tally(warnings)
    kinds = Counter(w["kind"] for w in warnings)
    assert kinds["dependency"] == 2, "one dependency warning per upstream level, orange and red"
    assert kinds["campaign"] <= 2, "detected, then reached 5 organizations"

    (campaign,) = (await client.get("/v1/campaigns", headers=cert)).json()["items"]
    assert plain(campaign["indicators"]) == [C2, PAYLOAD], "one campaign per intrusion set"
    assert campaign["organizations"] == 5
    detected = next(w for w in warnings if w["kind"] == "campaign")
    assert detected["pace"] == "fast"
    assert plain(detected["indicators"]) == [C2, PAYLOAD]

    await unmoved(s, cert, {"energy"})
    sectors = {item["sector"]: item for item in (await s.client.get(
        "/v1/sectors", headers=cert)).json()["items"]}  # fmt: skip
    assert sectors["water"]["dependency_risk"] == [
        {"sector": "energy", "level": "red", "strength": "strong"}
    ]
    assert sectors["financial_services"]["dependency_risk"] == [
        {"sector": "energy", "level": "red", "strength": "moderate"}
    ]
    assert sectors["energy"]["dependency_risk"] == []
    print(f"\nwarnings to a national supervisor: {len(warnings)} ({tally(warnings)})")


async def test_a_cross_sector_intrusion_set_is_one_campaign_and_at_most_8_warnings(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock, tmp_path: Path
) -> None:
    s = Scenario(app, client, clock)
    for sector, prefix in (("energy", "grid"), ("water", "aqua"), ("communications", "telco")):
        for i in range(1, 10):
            await s.org(f"{prefix}-{i}", sector)
    await s.org("bank-1", "financial_services")
    cert = await add_key(app, Role.supervisor)
    # Two operators elsewhere list the exploited CVE in their inventories.
    for org_id in ("bank-1", "grid-9"):
        await s.asset(org_id, asset_id="mft", vendor="Progress", product="MOVEit Transfer",
                      cves=["CVE-2023-34362"])  # fmt: skip

    victims = ("grid-1", "aqua-1", "telco-1", "grid-2", "aqua-2")
    for org_id in victims:
        await s.report(org_id, SIGNIFICANT, indicators=[CVE, WEB_SHELL])
        clock.advance(timedelta(hours=2))

    warnings = await national_view(s, cert)
    assert len(warnings) <= 8, tally(warnings)
    (campaign,) = (await client.get("/v1/campaigns", headers=cert)).json()["items"]
    canonical = {"type": "cve", "value": "CVE-2023-34362"}
    assert plain(campaign["indicators"]) == [canonical, WEB_SHELL]
    assert campaign["organizations"] == 5
    assert campaign["sectors"] == ["communications", "energy", "water"]
    for warning in warnings:
        assert "cve-2023" not in warning["title"], "CVE ids are upper case in titles"
        if warning["kind"] == "campaign":
            assert plain(warning["indicators"]) == [canonical, WEB_SHELL]
    exposure = [w for w in warnings if w["kind"] == "exposure"]
    assert exposure
    assert "CVE-2023-34362" in exposure[0]["title"]
    await unmoved(s, cert, {"energy", "water", "communications"})
    print(f"\nwarnings to a national supervisor: {len(warnings)} ({tally(warnings)})")
    await rebuilt_the_same(app, clock, tmp_path)


EMPTY_FILE_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PHISH = {"type": "domain", "value": "invoice-oblenergo.com"}
KILLDISK = {"type": "sha256", "value": "8e5f" * 16}


async def test_a_staged_intrusion_is_found_as_a_slow_campaign_weeks_before_its_burst(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock, tmp_path: Path
) -> None:
    """Shaped on the 2015 Ukraine grid attack: one spear-phishing domain reaches three
    distribution operators weeks apart, then a coordinated burst cuts power."""
    s = Scenario(app, client, clock)
    operators = ("prykarpattya", "kyivoblenergo", "chernivtsi")
    for org_id in (*operators, "ukrenergo", "zakarpattya", "lvivoblenergo"):
        await s.org(org_id, "energy")
    cert = await add_key(app, Role.supervisor)

    await s.report("prykarpattya", NOISE, indicators=[PHISH])
    clock.advance(timedelta(days=12))
    await s.report("kyivoblenergo", NOISE, indicators=[PHISH])
    assert not await s.warnings(cert, kind="campaign")
    clock.advance(timedelta(days=13))
    await s.report("chernivtsi", NOISE, indicators=[PHISH])
    (slow,) = await s.warnings(cert, kind="campaign")
    assert slow["pace"] == "slow"
    assert slow["level"] == "yellow"
    assert slow["title"].startswith("Slow campaign detected")
    assert (await s.levels(cert))["energy"] == "yellow", "a slow campaign floors at yellow"
    found_at = clock.now()

    clock.advance(timedelta(days=15))
    assert (await s.levels(cert))["energy"] == "yellow", "still in progress"
    burst_at = clock.now()
    for org_id in operators:
        await s.report(org_id, SEVERE, indicators=[PHISH, KILLDISK])
        clock.advance(timedelta(minutes=30))
    fast = (await s.warnings(cert, kind="campaign"))[-1]
    assert fast["pace"] == "fast"
    assert fast["title"].startswith("Campaign accelerates")
    assert fast["campaign_id"] == slow["campaign_id"]
    assert plain(fast["indicators"]) == [PHISH, KILLDISK]
    assert (await s.levels(cert))["energy"] == "red"
    lead = burst_at - found_at
    assert lead >= timedelta(days=14)
    print(f"\nslow campaign found {lead.days} days before the burst ({found_at:%Y-%m-%d})")
    await rebuilt_the_same(app, clock, tmp_path)


async def test_known_benign_indicators_make_no_campaign_and_no_exposure(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    s = Scenario(app, client, clock)
    for i in range(1, 6):
        await s.org(f"energy-{i}", "energy")
    cert = await add_key(app, Role.supervisor)
    benign = [
        {"type": "ipv4", "value": "8.8.8.8"},
        {"type": "ipv4", "value": "1.1.1.1"},
        {"type": "domain", "value": "google.com"},
        {"type": "sha256", "value": EMPTY_FILE_SHA256},
    ]
    ids = []
    for i in range(1, 6):
        ids.append(await s.report(f"energy-{i}", NOISE, indicators=benign))
    assert not await s.warnings(cert, kind="campaign")
    assert not await s.warnings(cert, kind="exposure")
    assert (await client.get("/v1/campaigns", headers=cert)).json()["items"] == []

    own = (await client.get(f"/v1/incidents/{ids[0]}", headers=s.keys["energy-1"])).json()
    marks = {i["value"]: i["known_benign"] for i in own["indicators"]}
    assert marks["8.8.8.8"] == "List of known IPv4 public DNS resolvers"
    assert marks["google.com"]
    assert marks["1.1.1.1"]
    assert "empty" in marks[benign[3]["value"]].lower()
    # An ordinary indicator next to them is no benign one.
    other = await s.report("energy-1", NOISE, indicators=[C2])
    listed = (await client.get(f"/v1/incidents/{other}", headers=s.keys["energy-1"])).json()
    assert plain(listed["indicators"]) == [C2 | {"known_benign": None}]


async def test_titles_and_evidence_use_canonical_forms(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    s = Scenario(app, client, clock)
    for i in range(1, 4):
        await s.org(f"energy-{i}", "energy")
    cert = await add_key(app, Role.supervisor)
    spelled = [
        {"type": "domain", "value": "Login.EVIL-Portal.RU."},
        {"type": "ipv6", "value": "2A01:04F8:0C17:1E4A:0000:0000:0000:0002"},
        {"type": "cve", "value": "cve-2024-3400"},
    ]
    for i in range(1, 4):
        await s.report(f"energy-{i}", NOISE, indicators=spelled)
    (warning,) = await s.warnings(cert, kind="campaign")
    canonical = [
        {"type": "domain", "value": "login.evil-portal.ru"},
        {"type": "ipv6", "value": "2a01:4f8:c17:1e4a::2"},
        {"type": "cve", "value": "CVE-2024-3400"},
    ]
    assert plain(warning["indicators"]) == canonical
    assert warning["evidence"]["indicators"] == canonical
    assert warning["title"] == (
        "Campaign detected: domain login.evil-portal.ru and 2 more indicators reported by 3 "
        "organizations in energy"
    )


async def test_known_exploited_products_keep_the_campaign_within_10_warnings(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """The same attack with the PLC it runs on in CISA's KEV catalogue: the operators are told
    of their exposure to it and the peers' exposure warning rises a level, and a national
    supervisor is still asked for at most 10 warnings: counted as every `warning` event its
    feed delivers (a raised warning is sent again), not only as rows."""
    s = Scenario(app, client, clock)
    for i in range(1, 9):
        await s.org(f"energy-{i}", "energy")
    await s.org("water-1", "water")
    cert = await add_key(app, Role.supervisor)
    admin = await add_key(app, Role.admin)
    catalogue = {
        "title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "1",
        "dateReleased": "2026-03-01T00:00:00Z", "count": 1,
        "vulnerabilities": [{
            "cveID": "CVE-2024-46886", "vendorProject": "Siemens", "product": "SIMATIC S7-1500",
            "vulnerabilityName": "Siemens SIMATIC S7-1500 Open Redirect",
            "dateAdded": "2026-02-20", "shortDescription": "An open redirect.",
            "requiredAction": "Apply mitigations per vendor instructions.",
            "dueDate": "2026-03-13", "knownRansomwareCampaignUse": "Known", "notes": "",
        }],
    }  # fmt: skip
    answer = await client.post("/v1/feeds/kev", json=catalogue, headers=admin)
    assert answer.status_code == 200, answer.text
    for org_id in ("energy-1", "energy-2", "energy-3", "energy-4", "energy-5", "water-1"):
        await s.asset(org_id, asset_id="plc-1", **PLC)
    for org_id in ("energy-1", "energy-2", "energy-3", "energy-4", "energy-5"):
        await s.report(org_id, SEVERE, affected_assets=["plc-1"], indicators=[C2, PAYLOAD])
        clock.advance(timedelta(minutes=40))

    operator_view = await s.warnings(s.keys["water-1"])
    assert {w["kind"] for w in operator_view} == {"vulnerability", "exposure"}
    (exposure,) = [w for w in operator_view if w["kind"] == "exposure"]
    assert [e["cve"] for e in exposure["evidence"]["known_exploited"]] == ["CVE-2024-46886"]

    warnings = await national_view(s, cert)
    assert (await s.levels(cert))["energy"] == "red"
    assert len(warnings) <= 10, tally(warnings)
    assert not [w for w in warnings if w["kind"] == "vulnerability"]
    national = Principal(key_id=0, role=Role.supervisor)
    async with app.state.components.database.read() as conn:
        told = await read_after(conn, after=0, limit=10_000, principal=national)
    sent = [event for event in told if event.type == "warning"]
    assert len(sent) <= 10, [event.kind for event in sent]
    print(f"\nwarning events to a national supervisor with KEV in play: {len(sent)}")
