"""Campaigns on the board: every indicator of one intrusion set, in the warning and in the
campaign panel, and the pace it spread at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import CAMPAIGN_IP, Service, significant

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect

MOVEIT = {"type": "cve", "value": "CVE-2023-34362"}
PAYLOAD = {
    "type": "sha256",
    "value": "0b7e1f6a2c9d4e8b3a5f7c1d9e2b4a6c8d0f1e3a5b7c9d2e4f6a8b0c1d3e5f7a",
}


def shown(indicator: dict[str, str], tlp: str = "amber") -> str:
    return f"{indicator['type'].upper()} {indicator['value']} TLP:{tlp.upper()}"


def test_a_slow_campaign_lists_every_indicator_and_its_pace(service: Service, open_board) -> None:
    board = open_board(service.url, service.key("supervisor", name="Alice"))
    page = board.page
    # Three organizations report the same exploit and payload weeks apart: never three within
    # the fast window, so the campaign is slow.
    now = datetime.now(UTC)
    for days, org, sector in (
        (30, "chem-a", "chemical"),
        (12, "grid-b", "energy"),
        (0, "water-c", "water"),
    ):
        detected = (now - timedelta(days=days)).isoformat()
        service.report(
            service.operator(org, sector),
            significant(detected_at=detected, indicators=[MOVEIT, PAYLOAD]),
        )

    campaign = page.locator("#campaigns-list > li")
    expect(campaign).to_have_count(1)
    expect(campaign).to_have_attribute("data-pace", "slow")
    expect(campaign.locator(".pace")).to_have_text("slow campaign")
    expect(campaign.locator(".badge")).to_have_text("YELLOW")
    expect(campaign.locator(".kind")).to_have_text("2 indicators")
    expect(campaign.locator(".indicators li")).to_have_text([shown(MOVEIT), shown(PAYLOAD)])
    expect(campaign).to_contain_text("3 organizations in 3 sectors")

    warning = page.locator('li.warning[data-kind="campaign"]')
    expect(warning).to_have_count(1)
    expect(warning.locator(".pace")).to_have_text("slow campaign")
    expect(warning.locator(".w-title")).to_contain_text("Slow campaign detected")
    # The warning names every indicator of the campaign, the one that opened it first.
    expect(warning.locator(".indicators li")).to_have_text([shown(MOVEIT), shown(PAYLOAD)])
    board.shot("slow-campaign")
    board.assert_clean()


def test_a_fast_campaign_says_so(service: Service, open_board) -> None:
    board = open_board(service.url, service.key("supervisor", name="Alice"))
    page = board.page
    ip = {"type": "ipv4", "value": CAMPAIGN_IP}
    for org, sector in (("chem-a", "chemical"), ("grid-b", "energy"), ("water-c", "water")):
        service.report(service.operator(org, sector), significant(indicators=[ip]))

    campaign = page.locator("#campaigns-list > li")
    expect(campaign).to_have_count(1)
    expect(campaign).to_have_attribute("data-pace", "fast")
    expect(campaign.locator(".pace")).to_have_text("fast campaign")
    expect(campaign.locator(".indicators li")).to_have_text([shown(ip)])
    warning = page.locator('li.warning[data-kind="campaign"]')
    expect(warning.locator(".pace")).to_have_text("fast campaign")
    expect(warning.locator(".indicators li")).to_have_text([shown(ip)])
    board.assert_clean()


def test_an_indicator_reported_under_tlp_red_is_withheld_from_responders(
    service: Service, open_board
) -> None:
    """The campaign still reaches the responder, counted in full, with the reason its indicator
    is not shown; the reporters' supervisor reads it, marked TLP:RED."""
    responder = open_board(service.url, service.key("responder", name="Rita"))
    ip = {"type": "ipv4", "value": CAMPAIGN_IP}
    for org in ("grid-a", "grid-b", "grid-c"):
        service.report(service.operator(org, "energy"), significant(indicators=[ip], tlp="red"))

    warning = responder.page.locator('li.warning[data-kind="campaign"]')
    expect(warning).to_have_count(1)
    expect(warning.locator(".w-title")).to_contain_text("withheld under TLP:RED")
    expect(warning.locator(".w-title")).not_to_contain_text(CAMPAIGN_IP)
    expect(warning.locator(".indicators li.withheld")).to_have_text(
        ["IPV4 TLP:RED an indicator withheld under TLP:RED, reported by 3 organizations"]
    )
    campaign = responder.page.locator("#campaigns-list > li")
    expect(campaign.locator(".kind")).to_have_text("1 indicator")
    expect(campaign.locator(".indicators li.withheld .tlp")).to_have_text("TLP:RED")
    expect(responder.page.locator("body")).not_to_contain_text(CAMPAIGN_IP)
    warning.scroll_into_view_if_needed()
    responder.shot("tlp-red-withheld")
    responder.assert_clean()

    supervisor = open_board(service.url, service.key("supervisor", name="Alice"))
    held = supervisor.page.locator('li.warning[data-kind="campaign"] .indicators li')
    expect(held).to_have_text([shown(ip, "red")])
    supervisor.assert_clean()
