"""The web board in a real browser: sign-in, sectors, live campaigns and acknowledgements, the
responder's alerts, and reconnection after a server restart (the operator's forms are in
test_forms.py)."""

from __future__ import annotations

import os
import re
import shutil
import time
from typing import Any

import pytest

from tests.browser.conftest import (
    CAMPAIGN_IP,
    DOCS,
    OFFLINE,
    REJECTED_401,
    Board,
    Service,
    severe,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect


CONTRAST_OF_BADGES = """() => {
  const luminance = (css) => {
    const [r, g, b] = css.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratios = {};
  for (const level of ["none", "blue", "yellow", "orange", "red"]) {
    const badge = document.createElement("span");
    badge.className = `badge level-${level}`;
    badge.textContent = level.toUpperCase();
    document.body.append(badge);
    const style = getComputedStyle(badge);
    const pair = [luminance(style.color), luminance(style.backgroundColor)];
    const [hi, lo] = pair.sort((a, b) => b - a);
    ratios[level] = (hi + 0.05) / (lo + 0.05);
    badge.remove();
  }
  return ratios;
}"""


def warning_items(board: Board, **attrs: str) -> Any:
    selector = "li.warning" + "".join(f'[data-{k}="{v}"]' for k, v in attrs.items())
    return board.page.locator(selector)


CAMPAIGN_INDICATORS = [{"type": "ipv4", "value": CAMPAIGN_IP}]
PAYLOAD_SHA256 = "5f1b2e0c9a7d4b3e8c6a2f1d0e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"


def make_campaign(
    service: Service, sectors: tuple[str, ...], indicators: list[dict[str, str]] | None = None
) -> str:
    """All but the last organization report the indicators (in one report each); returns the
    last one's key, whose report makes the campaign."""
    keys = [service.operator(f"org-{i}-{s}", s) for i, s in enumerate(sectors)]
    for key in keys[:-1]:
        service.report(key, severe(indicators=indicators or CAMPAIGN_INDICATORS))
    return keys[-1]


def test_sign_in_lists_every_sector_and_signs_out(service: Service, open_board) -> None:
    supervisor = service.key("supervisor", name="Alice")
    board = open_board(service.url, None)
    page = board.page

    page.get_by_label("API key").fill("aw_not_a_real_key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_contain_text("not accepted")
    board.shot("sign-in-refused")

    page.get_by_label("API key").fill(supervisor)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#who")).to_contain_text("Alice · supervisor")

    sectors = service.client(supervisor).get("/v1/sectors").json()["items"]
    tiles = page.locator(".tile")
    expect(tiles).to_have_count(len(sectors))
    for sector in sectors:
        tile = page.locator(f'.tile[data-sector="{sector["sector"]}"]')
        expect(tile).to_have_attribute("data-level", sector["level"])
        expect(tile.locator(".badge")).to_have_text(sector["level"].upper())
        expect(tile.locator("svg.spark")).to_have_count(1)
    expect(page.locator("#seq-status")).to_contain_text("up to date")
    expect(page.locator("#seq-status")).to_contain_text("warnings current")
    board.shot("signed-in-board")

    # Every level's word is readable on its colour (WCAG AA: 4.5 for normal text).
    ratios = page.evaluate(CONTRAST_OF_BADGES)
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios

    # Keyboard: tab to the first tile, a visible focus ring, Enter opens the sector view,
    # Escape closes it and gives the focus back.
    first = sectors[0]["sector"]
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.sector") == first:
            break
    else:
        pytest.fail("the first tile is not reachable with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    board.shot("keyboard-focus")
    page.keyboard.press("Enter")
    expect(page.locator("#sector-dialog")).to_be_visible()
    expect(page.locator("#sector-dialog .why")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#sector-dialog")).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.sector") == first

    # The key lives in this tab's session: a reload keeps it, signing out forgets it.
    page.reload()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    expect(page.locator(".tile")).to_have_count(0)
    board.assert_clean(REJECTED_401)  # the wrong key, refused at sign-in


def test_campaign_appears_live_and_acknowledgement_reaches_other_boards(
    service: Service, open_board
) -> None:
    alice = open_board(service.url, service.key("supervisor", name="Alice"))
    bob = open_board(service.url, service.key("supervisor", name="Bob"))
    expect(alice.page.locator("#campaigns-list > li")).to_have_count(0)
    alice.page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    last = make_campaign(service, ("energy", "energy", "water"))
    service.report(last, severe(indicators=[{"type": "ipv4", "value": CAMPAIGN_IP}]))
    # Within two seconds of the report that makes it, without a reload.
    campaign = alice.page.locator(f'#campaigns-list [data-indicator="{CAMPAIGN_IP}"]')
    expect(campaign).to_be_visible(timeout=2000)
    expect(campaign).to_contain_text("3 organizations")
    expect(campaign).to_contain_text("Energy")
    expect(campaign).to_contain_text("Water")
    warning = warning_items(alice, kind="campaign")
    expect(warning).to_have_count(1, timeout=2000)
    expect(alice.page.locator('.tile[data-sector="energy"]')).to_have_attribute(
        "data-level", "orange"
    )

    warning.get_by_role("button", name="Acknowledge").click()
    expect(warning.locator(".ack-status")).to_contain_text("Acknowledged by Alice")
    # The other board learns it from the feed, live.
    other = warning_items(bob, kind="campaign")
    expect(other.locator(".ack-status")).to_contain_text("Acknowledged by Alice", timeout=2000)
    expect(other.get_by_role("button", name="Acknowledge")).to_have_count(0)

    # Each warning is shown once, and the seq display caught up with the head.
    ids = alice.page.locator("li.warning").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(ids) == len(set(ids)) > 0
    expect(alice.page.locator("#seq-status")).to_contain_text("up to date")
    assert alice.page.evaluate("window.__sameDocument") is True
    alice.shot("campaign-acknowledged")
    bob.shot("campaign-acknowledged-other-board")

    # The sector view answers "why": the rules with their detail, incidents, the campaign.
    alice.page.locator('.tile[data-sector="energy"]').click()
    dialog = alice.page.locator("#sector-dialog")
    expect(dialog.locator(".why")).to_contain_text("Energy is orange because")
    expect(dialog.locator(".floors")).to_contain_text("Severe incident")
    expect(dialog.locator(".floors")).to_contain_text("severity ≥ 80")
    expect(dialog).to_contain_text(CAMPAIGN_IP)
    expect(dialog.locator("table")).to_contain_text("#")
    alice.shot("sector-view")
    alice.assert_clean()
    bob.assert_clean()


def test_responder_alerts_with_sound_and_notification(service: Service, open_board) -> None:
    recorder = """
      window.__notifications = [];
      window.Notification = class {
        static get permission() { return "granted"; }
        static requestPermission() { return Promise.resolve("granted"); }
        constructor(title, options) { window.__notifications.push({ title, ...options }); }
      };
      window.__beeps = 0;
      const make = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function () {
        window.__beeps += 1;
        return make.call(this);
      };
    """
    responder = service.key("responder", sectors=["energy"], name="Rita")
    board = open_board(service.url, responder, init_script=recorder)
    page = board.page
    expect(page.get_by_role("heading", name="Alert stream")).to_be_visible()
    expect(page.locator(".tile")).to_have_count(1)
    page.get_by_role("button", name="Enable sound and notifications").click()
    expect(page.locator("#alert-state")).to_contain_text("notifications on")

    service.report(service.operator("grid-north", "energy"), severe())
    service.report(service.operator("city-water", "water"), severe())
    alert = warning_items(board, kind="sector_level", sector="energy")
    expect(alert).to_have_count(1)
    expect(page.locator("#alert-last")).to_contain_text("orange warning")
    notes = page.evaluate("window.__notifications")
    assert any(n["title"] == "ORANGE: Energy" for n in notes), notes
    sounded = page.evaluate("window.__beeps")
    state = page.locator("#alert-state").inner_text()
    assert sounded >= 1 or "sound off" in state, (sounded, state)
    # Out of scope: water's own escalation never reaches an energy responder; that energy
    # depends on water does, as a dependency warning naming energy among the dependents.
    page.wait_for_timeout(1000)
    expect(warning_items(board, kind="sector_level", sector="water")).to_have_count(0)
    upstream = warning_items(board, kind="dependency", sector="water")
    expect(upstream).to_have_count(1)
    expect(upstream.locator(".w-title")).to_have_text(re.compile(r"^Water is orange"))
    expect(upstream.locator('.dependents[data-strength="moderate"] .mine')).to_have_text("Energy")

    alert.get_by_role("button", name="Acknowledge").click()
    expect(alert.locator(".ack-status")).to_contain_text("Acknowledged by Rita")
    board.shot("responder")
    board.assert_clean()


def test_silent_feed_marks_the_board_stale(service: Service, open_board) -> None:
    board = open_board(service.url, service.key("supervisor"), viewport=(390, 844))
    page = board.page
    banner = page.locator("#stale-banner")
    page.wait_for_timeout(3500)  # a few heartbeats teach the board the keep-alive
    expect(banner).to_be_hidden()
    service.pause()
    try:
        expect(banner).to_be_visible(timeout=6000)
        expect(banner).to_contain_text("gone quiet")
        expect(page.locator("#connection")).to_have_attribute("data-state", "silent")
        board.shot("stale-silent-390x844")
    finally:
        service.resume()
    expect(banner).to_be_hidden(timeout=10_000)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    board.assert_clean(*OFFLINE)


def test_reconnects_after_restart_and_shows_what_happened_meanwhile(
    service: Service, open_board
) -> None:
    keys = {org: service.operator(org, "energy") for org in ("north", "south", "east")}
    board = open_board(service.url, service.key("supervisor", name="Alice"))
    page = board.page
    banner = page.locator("#stale-banner")
    energy = page.locator('.tile[data-sector="energy"]')
    expect(energy).to_have_attribute("data-level", "none")
    seq_before = int(page.locator("#seq-status").get_attribute("data-seq") or 0)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    service.stop()
    expect(banner).to_be_visible(timeout=5000)
    expect(banner).to_contain_text("disconnected")
    expect(page.locator("#connection")).to_have_attribute("data-state", "waiting")
    board.shot("stale-while-down")

    # Meanwhile another process on the same database takes a report: energy turns orange.
    another = service.another_process()
    try:
        service.report(keys["north"], severe(), base_url=another.url)
        with service.client(keys["north"], another.url) as probe:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                items = probe.get("/v1/warnings").json()["items"]
                if any(w["sector"] == "energy" and w["level"] == "orange" for w in items):
                    break
                time.sleep(0.2)
            else:
                pytest.fail("the other process never raised energy")
    finally:
        another.stop()

    # The board's own server comes back on the same port; a report right after escalates
    # energy to red (three of three organizations).
    service.restart_same_port()
    service.report(keys["south"], severe())
    service.report(keys["east"], severe())

    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=15_000)
    expect(banner).to_be_hidden()
    notice = page.locator("#notice")
    expect(notice).to_contain_text("Reconnected")
    expect(notice).to_contain_text(f"resuming after seq {seq_before}")
    # Counted as they were replayed: level changes and warnings that happened meanwhile.
    expect(notice).to_contain_text(re.compile(r"caught up on \d+ events"))
    expect(notice).to_contain_text("level change")
    expect(notice).to_contain_text(re.compile(r"\d+ warnings?\b"))
    expect(energy).to_have_attribute("data-level", "red", timeout=5000)
    missed = warning_items(board, sector="energy").filter(has_text="none to orange")
    expect(missed).to_have_count(1)
    expect(missed).to_have_class(re.compile(r"\breplayed\b"))
    expect(missed).to_contain_text("while offline")
    expect(warning_items(board, sector="energy").filter(has_text="to red")).to_have_count(1)
    ids = page.locator("li.warning").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(ids) == len(set(ids)), "a warning is shown twice"
    expect(page.locator("#seq-status")).to_contain_text("up to date")
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    board.shot("reconnected")
    board.assert_clean(*OFFLINE)


def test_screenshots_of_an_interesting_board(service: Service, open_board) -> None:
    """The board at 1280x800 and phone size, with a campaign of two indicators, orange and red
    sectors, the impact on the sectors that depend on them and some warnings.
    `AWARENESS_UPDATE_DOCS_SCREENSHOT=1` also writes docs/board.png."""
    supervisor = service.key("supervisor", name="Alice")
    indicators = [*CAMPAIGN_INDICATORS, {"type": "sha256", "value": PAYLOAD_SHA256}]
    last = make_campaign(service, ("energy", "energy", "water"), indicators)
    service.report(last, severe(indicators=indicators))
    service.report(service.operator("grid-east", "energy"), severe())
    service.report(
        service.operator("metro-rail", "transportation"),
        severe(
            category="phishing",
            functional_impact="minimal_critical",
            location="business_network",
            information_impact="credential_compromise",
            recoverability="supplemented",
        ),
    )
    with service.client(supervisor) as client:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            levels = {s["sector"]: s["level"] for s in client.get("/v1/sectors").json()["items"]}
            if levels["energy"] == "red":
                break
            time.sleep(0.2)
        campaign = client.get("/v1/warnings", params={"kind": "campaign"}).json()["items"][0]
        client.post(f"/v1/warnings/{campaign['id']}/ack")
        newest = client.get("/v1/warnings", params={"order": "desc", "limit": 1}).json()
        client.post(f"/v1/warnings/{newest['items'][0]['id']}/ack")

    wide = open_board(service.url, supervisor)
    expect(wide.page.locator('.tile[data-sector="energy"]')).to_have_attribute("data-level", "red")
    campaigns = wide.page.locator("#campaigns-list > li")
    expect(campaigns).to_have_count(1)
    expect(campaigns.locator(".indicators li")).to_have_count(2)
    # Water is orange by its own reports; what energy's red means for it is a line beneath.
    water = wide.page.locator('.tile[data-sector="water"]')
    expect(water).to_have_attribute("data-level", "orange")
    expect(water.locator(".tile-dep").first).to_have_text("depends on energy: red, strong")
    wide.page.mouse.move(0, 0)
    path = wide.shot("board-1280x800")
    if os.environ.get("AWARENESS_UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copy(path, DOCS / "board.png")
    wide.page.locator('.tile[data-sector="energy"]').click()
    expect(wide.page.locator("#sector-dialog .floors")).to_be_visible()
    wide.shot("sector-energy-1280x800")
    wide.page.keyboard.press("Escape")
    water.click()
    expect(wide.page.locator("#sector-dialog .impact")).to_contain_text("Energy is red")
    wide.shot("sector-water-1280x800")

    phone = open_board(service.url, supervisor, viewport=(390, 844))
    expect(phone.page.locator(".tile")).to_have_count(16)
    phone.shot("board-390x844")
    phone.shot("board-390x844-full", full_page=True)
    phone.page.locator('.tile[data-sector="energy"]').click()
    expect(phone.page.locator("#sector-dialog .floors")).to_be_visible()
    phone.shot("sector-energy-390x844")
    wide.assert_clean()
    phone.assert_clean()
