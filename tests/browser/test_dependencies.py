"""Dependencies on the board as impact, never as level: the line under a dependent sector's
level, the sector view's own part for it, and the `dependency` warning."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Board, Service, significant

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect

NONE_BORDER = "rgb(227, 230, 234)"  # --none: a tile at level none
WHITE = "rgb(255, 255, 255)"


def tile(board: Board, sector: str) -> Any:
    return board.page.locator(f'.tile[data-sector="{sector}"]')


def colours(locator: Any) -> list[str]:
    return locator.evaluate(
        "el => [getComputedStyle(el).borderLeftColor, getComputedStyle(el).backgroundColor]"
    )


def namer(service: Service) -> Any:
    """A sector's English name as the board shows it: the profile's (GET /v1/vocabulary
    `sector_names`), else its id humanized."""
    names = httpx.get(f"{service.url}/v1/vocabulary", timeout=10).json().get("sector_names", {})
    return lambda sector: names.get(sector, {}).get("en") or sector.replace("_", " ").capitalize()


def test_an_upstream_at_risk_shows_on_its_dependents_tiles_never_as_their_level(
    service: Service, open_board
) -> None:
    grid = [service.operator(f"grid-{i}", "energy") for i in range(4)]
    supervisor = service.key("supervisor", name="Alice")
    board = open_board(service.url, supervisor)
    page = board.page
    water = tile(board, "water")
    expect(water.locator(".tile-dep")).to_have_count(0)

    # Two of energy's four organizations report within 24 h: energy is orange by breadth.
    service.report(grid[0], significant())
    service.report(grid[1], significant())
    expect(tile(board, "energy")).to_have_attribute("data-level", "orange")
    # No frame comes for water; the board reads the sectors again after energy's change.
    expect(water.locator(".tile-dep")).to_have_text(
        ["depends on energy: orange, strong"], timeout=3000
    )
    expect(water.locator(".tile-dep .mark")).to_have_class(re.compile(r"\blevel-orange\b"))
    expect(water).to_have_attribute("data-level", "none")
    expect(water.locator(".badge")).to_have_text("NONE")
    assert colours(water) == [NONE_BORDER, WHITE]
    expect(tile(board, "chemical").locator(".tile-dep")).to_have_text(
        ["depends on energy: orange, moderate"]
    )
    expect(tile(board, "energy").locator(".tile-dep")).to_have_count(0)

    # A third: energy turns red, and so does the line on every tile that depends on it.
    service.report(grid[2], significant())
    expect(tile(board, "energy")).to_have_attribute("data-level", "red")
    expect(water.locator(".tile-dep")).to_have_text(
        ["depends on energy: red, strong"], timeout=3000
    )
    expect(water.locator(".tile-dep .mark")).to_have_class(re.compile(r"\blevel-red\b"))
    expect(water).to_have_attribute("data-level", "none")
    assert colours(water) == [NONE_BORDER, WHITE]
    board.shot("dependency-on-tiles")

    # One dependency warning per rise, the dependents grouped by strength.
    with service.client(supervisor) as client:
        dependents = client.get("/v1/sectors/energy").json()["dependents"]
    name = namer(service)
    strong = [name(d["sector"]) for d in dependents if d["strength"] == "strong"]
    moderate = [name(d["sector"]) for d in dependents if d["strength"] == "moderate"]
    warnings = page.locator('li.warning[data-kind="dependency"]')
    expect(warnings).to_have_count(2)
    red = warnings.first
    expect(red).to_have_attribute("data-sector", "energy")
    expect(red.locator(".badge")).to_have_text("RED")
    expect(red.locator(".kind")).to_have_text("Dependency")
    expect(red.locator(".w-title")).to_have_text(
        f"Energy is red; dependent sectors: {len(strong)} strongly, {len(moderate)} moderately"
    )
    expect(red.locator('.dependents[data-strength="strong"]')).to_have_text(
        f"Strongly dependent ({len(strong)}): {', '.join(strong)}"
    )
    expect(red.locator('.dependents[data-strength="moderate"]')).to_have_text(
        f"Moderately dependent ({len(moderate)}): {', '.join(moderate)}"
    )
    expect(red).to_contain_text("Breadth wide")
    expect(warnings.nth(1).locator(".w-title")).to_contain_text("Energy is orange")

    # Filtered by kind, only they remain; filtered by a dependent sector, they stay.
    page.locator("#warnings-board-kind").select_option(label="Dependency")
    listed = page.locator("#warnings-board-list > li")
    expect(listed).to_have_count(2)
    assert set(listed.evaluate_all("els => els.map((e) => e.dataset.kind)")) == {"dependency"}
    page.locator("#warnings-board-sector").select_option("water")
    expect(listed).to_have_count(2)
    board.shot("dependency-warnings")

    # Water's view: its own level and reasons, the impact apart and labelled as such.
    water.click()
    dialog = page.locator("#sector-dialog")
    expect(dialog.locator(".dialog-head .badge")).to_have_text("NONE")
    expect(dialog.locator(".why")).to_contain_text("Water is at level none")
    expect(dialog).to_contain_text("No rule sets a floor for this sector.")
    impact = dialog.locator(".impact-section")
    expect(impact.locator("h3")).to_have_text("Impact from dependencies")
    expect(impact.locator(".impact li")).to_have_text(["Energy is red; strongly dependent"])
    expect(impact.locator(".impact .mark")).to_have_class(re.compile(r"\blevel-red\b"))
    board.shot("sector-water-impact")
    board.assert_clean()
