"""Coverage on the board: a tile marks low coverage, so a calm level on little data reads as
such, and the supervisor's sector view says how many report and names the silent operators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser.conftest import Board, Service

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect


def quiet() -> dict[str, Any]:
    """An incident that raises nothing: the sector stays calm."""
    return {
        "detected_at": datetime.now(UTC).isoformat(),
        "category": "phishing",
        "functional_impact": "none",
    }


def tile(board: Board, sector: str) -> Any:
    return board.page.locator(f'.tile[data-sector="{sector}"]')


def test_low_coverage_on_the_tile_and_the_silent_operators_in_the_sector_view(
    service: Service, open_board
) -> None:
    # Energy: one of four operators reports; water: both of its two do.
    energy = [service.operator(f"grid-{name}", "energy") for name in ("north", "south", "east")]
    energy.append(service.operator("grid-west", "energy"))
    service.report(energy[0], quiet())
    water = [service.operator(f"aqua-{name}", "water") for name in ("one", "two")]
    service.report(water[0], quiet())
    asset = {"asset_id": "pump-1", "kind": "plc", "criticality": "high"}
    assert service.client(water[1]).post("/v1/assets", json=asset).status_code == 201

    supervisor = service.key("supervisor", sectors=["energy", "water"], name="Alice")
    board = open_board(service.url, supervisor)
    page = board.page

    expect(tile(board, "energy")).to_have_attribute("data-level", "none")
    mark = tile(board, "energy").locator(".tile-coverage")
    expect(mark).to_have_text("low coverage")
    assert "Coverage: 1 of 4 reporting, 3 silent" in (
        tile(board, "energy").get_attribute("title") or ""
    )
    expect(tile(board, "water").locator(".tile-coverage")).to_have_count(0)
    board.shot("coverage-tiles")

    tile(board, "energy").click()
    dialog = page.locator("#sector-dialog")
    section = dialog.locator(".coverage-section")
    expect(section.locator("h3")).to_have_text("Coverage")
    expect(section.locator(".coverage-counts strong")).to_have_text("1 of 4 reporting, 3 silent")
    expect(section).to_contain_text("0 of 4 with an asset inventory updated in the last 30 days")
    silent = section.locator(".silent-list li")
    expect(silent).to_have_count(3)
    assert silent.evaluate_all("els => els.map((e) => e.dataset.org)") == [
        "grid-east",
        "grid-south",
        "grid-west",
    ]
    expect(silent.first).to_contain_text("Grid East (grid-east) · never reported · no inventory")
    board.shot("coverage-sector-view")

    # Water is covered: counts, no mark and nobody silent.
    dialog.locator("button.close").click()
    tile(board, "water").click()
    expect(section.locator(".coverage-counts strong")).to_have_text("2 of 2 reporting, 0 silent")
    expect(section.locator(".tile-coverage")).to_have_count(0)
    expect(section.locator(".silent-list")).to_have_count(0)
    board.assert_clean()


def test_an_operator_sees_no_coverage(service: Service, open_board) -> None:
    key = service.operator("grid-north", "energy")
    service.operator("grid-south", "energy")
    board = open_board(service.url, key)
    expect(tile(board, "energy")).to_have_attribute("data-level", "none")
    expect(board.page.locator(".tile-coverage")).to_have_count(0)
    tile(board, "energy").click()
    dialog = board.page.locator("#sector-dialog")
    expect(dialog.locator(".why")).to_contain_text("Energy is at level none")
    expect(dialog.locator(".coverage-section")).to_have_count(0)
    board.assert_clean()
