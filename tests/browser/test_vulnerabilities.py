"""Vulnerabilities on the board: the supervisor's sector view lists the recent KEV entries and
the ICS advisories its operators are exposed to, and an operator's vulnerability warning shows
each CVE with the catalogue's dates, the advisory with its remediation, and the asset.

The matcher's record (`vulnerability_hits`) and its warning are written into the server's
database directly. No asset is registered through the API, so no matching ever runs here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from awareness.correlator.emit import emit_warning
from awareness.db.engine import Database
from awareness.db.tables import advisories, kev_entries, vulnerability_hits
from awareness.eventlog.writer import EventWriter
from tests.browser.conftest import Board, Service
from tests.conftest import run_sync

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect

NOW = datetime.now(UTC)
TODAY = NOW.date()


def kev(cve: str, added: date, *, ransomware: bool) -> dict[str, Any]:
    # Keys no asset could have: if a matcher runs, it finds nothing of these.
    return {
        "cve": cve, "vendor": "Siemens", "product": "SIMATIC S7-1500",
        "name": "Siemens SIMATIC S7-1500 Improper Authentication", "date_added": added,
        "due_date": added + timedelta(days=21), "ransomware": ransomware, "description": "",
        "action": "Apply the update.", "vendor_key": "test-only", "product_key": "test-only",
        "digest": cve, "aliases_digest": "a", "imported_at": NOW,
    }  # fmt: skip


def advisory(advisory_id: str, title: str, criticality: str, days_ago: int) -> dict[str, Any]:
    published = NOW - timedelta(days=days_ago)
    return {
        "id": advisory_id, "source": "csaf", "title": title, "published": published,
        "updated": published, "criticality": criticality, "cves": [], "digest": advisory_id,
        "aliases_digest": "a", "imported_at": NOW,
    }  # fmt: skip


def hit(org: str, asset: str, cve: str, sector: str, advisory_id: str = "") -> dict[str, Any]:
    return {
        "org_id": org, "asset_id": asset, "cve": cve, "sector": sector,
        "topic": advisory_id or f"kev:{cve}",
        "source": "csaf" if advisory_id else "kev", "advisory_id": advisory_id, "digest": "d",
        "reason": "version 2.9 in vers:generic/<3.1", "warning_id": 0, "found_at": NOW,
    }  # fmt: skip


def write(service: Service, rows: list[tuple[sa.Table, list[dict[str, Any]]]]) -> None:
    async def insert() -> None:
        database = Database(service.database_url)
        try:
            async with database.write() as conn:
                for table, values in rows:
                    await conn.execute(table.insert(), values)
        finally:
            await database.dispose()

    run_sync(insert)


def tile(board: Board, sector: str) -> Any:
    return board.page.locator(f'.tile[data-sector="{sector}"]')


def test_a_supervisor_sees_the_sectors_exposure(service: Service, open_board) -> None:
    service.operator("grid-north", "energy")
    service.operator("grid-south", "energy")
    service.operator("aqua-one", "water")
    write(service, [
        (kev_entries, [
            kev("CVE-2026-1111", TODAY - timedelta(days=3), ransomware=True),
            kev("CVE-2026-2222", TODAY - timedelta(days=12), ransomware=False),
            kev("CVE-2025-3333", TODAY - timedelta(days=90), ransomware=True),
        ]),
        (advisories, [
            advisory("ICSA-26-001-01", "Siemens SIMATIC S7-1500 CPU", "critical", 20),
            advisory("ICSA-26-002-01", "Schneider Electric Modicon M580", "high", 10),
            advisory("ICSA-26-003-01", "Rockwell ControlLogix", "medium", 5),
        ]),
        (vulnerability_hits, [
            hit("grid-north", "plc-1", "CVE-2026-1111", "energy"),
            hit("grid-north", "plc-2", "CVE-2026-1111", "energy"),
            hit("grid-north", "plc-1", "CVE-2025-3333", "energy"),
            hit("grid-south", "rtu-1", "CVE-2026-2222", "energy", "ICSA-26-002-01"),
            hit("grid-north", "plc-1", "CVE-2026-4444", "energy", "ICSA-26-001-01"),
            hit("grid-south", "rtu-1", "CVE-2026-4444", "energy", "ICSA-26-001-01"),
            hit("grid-south", "rtu-1", "CVE-2026-5555", "energy", "ICSA-26-001-01"),
            # Water: exposed to the same KEV entry and an advisory; never shown in energy.
            hit("aqua-one", "pump-1", "CVE-2026-1111", "water"),
            hit("aqua-one", "pump-1", "CVE-2026-5555", "water", "ICSA-26-003-01"),
        ]),
    ])  # fmt: skip
    supervisor = service.key("supervisor", sectors=["energy", "transportation"], name="Alice")
    board = open_board(service.url, supervisor)
    page = board.page

    tile(board, "energy").click()
    section = page.locator("#sector-dialog .vulnerabilities-section")
    expect(section.locator("h3")).to_have_text("Vulnerabilities")
    expect(section).to_contain_text(
        "Known exploited, added in the last 30 days · 2 operators exposed"
    )
    rows = section.locator(".kev-table tbody tr")
    expect(rows).to_have_count(2)  # the entry of 90 days ago is left out
    assert rows.evaluate_all("els => els.map((e) => e.dataset.cve)") == [
        "CVE-2026-1111",
        "CVE-2026-2222",
    ]
    newest = rows.nth(0)
    expect(newest.locator(".ransomware-tag")).to_have_text("ransomware")
    expect(newest).to_contain_text("Siemens SIMATIC S7-1500 Improper Authentication")
    expect(newest).to_contain_text("Grid North")
    expect(newest).to_contain_text("2 assets")
    expect(rows.nth(1).locator(".ransomware-tag")).to_have_count(0)
    expect(rows.nth(1)).to_contain_text("Grid South")

    counts = section.locator(".crit-counts")
    expect(counts).to_contain_text("critical 1")
    expect(counts).to_contain_text("high 1")
    expect(counts).to_contain_text("medium 0")
    groups = section.locator(".crit-group")
    assert groups.evaluate_all("els => els.map((e) => e.dataset.criticality)") == [
        "critical",
        "high",
    ]
    critical = groups.nth(0)
    expect(critical.locator("h5")).to_have_text("critical 1 advisory, 2 operators exposed")
    expect(critical.locator("li")).to_contain_text("ICSA-26-001-01 Siemens SIMATIC S7-1500 CPU")
    expect(critical.locator("li")).to_contain_text("Grid North, Grid South · 2 assets · 2 CVEs")
    expect(groups.nth(1).locator("li")).to_contain_text("ICSA-26-002-01")
    for other in ("Aqua", "aqua-one", "CVE-2025-3333", "ICSA-26-003-01"):
        expect(section).not_to_contain_text(other)
    section.scroll_into_view_if_needed()
    board.shot("vulnerabilities-sector-view")

    # A sector where nobody is exposed says so plainly.
    page.locator("#sector-dialog button.close").click()
    tile(board, "transportation").click()
    expect(section.locator(".empty").first).to_have_text(
        "No operator of Transportation is exposed to a KEV entry added in the last 30 days."
    )
    expect(section.locator(".empty").nth(1)).to_have_text(
        "No operator of Transportation is exposed to an ICS advisory."
    )
    board.shot("vulnerabilities-none")
    board.assert_clean()


def test_an_operator_sees_its_vulnerability_warning(service: Service, open_board) -> None:
    operator = service.operator("grid-north", "energy")
    service.operator("grid-south", "energy")
    evidence = {
        "org_id": "grid-north",
        "advisory": {
            "id": "ICSA-24-123-01",
            "title": "Siemens SIMATIC S7-1500 <b>CPU</b>",
            "criticality": "high",
            "remediation": [
                "Update to V3.1 or later",
                "Restrict access to port 102/tcp <script>alert(1)</script>",
            ],
        },
        "vulnerabilities": [
            {
                "cve": "cve-2024-1234",
                "kev": {
                    "name": "Siemens SIMATIC S7-1500 Improper Authentication",
                    "date_added": "2024-05-01",
                    "due_date": "2024-05-22",
                    "ransomware": True,
                    "action": "Apply mitigations per vendor instructions.",
                },
                "advisories": ["ICSA-24-123-01"],
            },
            {"cve": "CVE-2024-5678", "kev": None, "advisories": ["ICSA-24-123-01"]},
        ],
        "assets": [
            {
                "asset_id": "plc-1",
                "vendor": "Siemens",
                "product": "SIMATIC S7-1500",
                "version": "2.9",
                "cves": ["CVE-2024-1234", "CVE-2024-5678"],
                "reasons": ["version 2.9 in vers:generic/<3.1"],
            }
        ],
        "updated": False,
    }

    async def raise_warning() -> None:
        database = Database(service.database_url)
        try:
            async with database.write() as conn:
                await emit_warning(
                    conn, EventWriter(conn), kind="vulnerability", sector="energy", sectors=[],
                    level="orange", title="plc-1 is exposed to ICSA-24-123-01 (known exploited)",
                    evidence=evidence, at=datetime.now(UTC), target_orgs=["grid-north"],
                )  # fmt: skip
        finally:
            await database.dispose()

    run_sync(raise_warning)
    board = open_board(service.url, operator)
    page = board.page

    card = page.locator('#warnings-operator-list li.warning[data-kind="vulnerability"]')
    expect(card).to_have_count(1)
    # The headline is the board's, from the evidence; the stored title is not shown.
    expect(card.locator(".w-title")).to_have_text(
        "Known exploited CVE-2024-1234 (used by ransomware), 1 more CVE in Siemens SIMATIC S7-1500:"
        " asset plc-1; ICSA-24-123-01 Siemens SIMATIC S7-1500 <b>CPU</b>"
    )
    first = card.locator('.vuln-cves li[data-cve="CVE-2024-1234"]')
    expect(first.locator(".cve")).to_have_text("CVE-2024-1234")
    expect(first.locator(".kev-tag")).to_have_text("known exploited")
    expect(first.locator(".ransomware-tag")).to_have_text("ransomware")
    expect(first.locator(".kev-dates")).to_have_text("added 1 May 2024 · due 22 May 2024 (passed)")
    expect(first).to_contain_text("Required action: Apply mitigations per vendor instructions.")
    second = card.locator('.vuln-cves li[data-cve="CVE-2024-5678"]')
    expect(second.locator(".kev-tag")).to_have_count(0)
    expect(second.locator(".kev-dates")).to_have_count(0)

    advisory_part = card.locator(".vuln-advisory")
    expect(advisory_part.locator(".crit")).to_have_text("high")
    expect(advisory_part).to_contain_text("ICSA-24-123-01 Siemens SIMATIC S7-1500 <b>CPU</b>")
    expect(advisory_part.locator(".remediation li")).to_have_text(
        ["Update to V3.1 or later", "Restrict access to port 102/tcp <script>alert(1)</script>"]
    )
    # Text, never markup: the service's words are shown as they are.
    expect(card.locator("b, script")).to_have_count(0)
    asset = card.locator('.vuln-assets li[data-asset="plc-1"]')
    expect(asset).to_have_text(
        "plc-1 Siemens SIMATIC S7-1500 version 2.9 · version 2.9 in vers:generic/<3.1"
    )
    card.scroll_into_view_if_needed()
    board.shot("vulnerability-warning")
    board.assert_clean()
