"""The operator's forms in a real browser: built from the service's vocabulary, the service's
own messages next to each field, and a good report accepted once."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.browser.conftest import CAMPAIGN_IP, OFFLINE, REJECTED_422, Service, severe

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect


def test_operator_form_shows_the_servers_messages_and_accepts_a_good_report(
    service: Service, open_board
) -> None:
    operator = service.operator("city-water", "water")
    board = open_board(service.url, operator)
    page = board.page
    expect(page.locator("#who")).to_contain_text("operator · city-water")
    form = page.locator("#incident-form")

    form.get_by_label("Detected at").fill("2099-01-01T00:00")
    form.get_by_label("Category").select_option("ransomware")
    form.get_by_label("Functional impact").select_option("denial_critical")
    form.get_by_label("Indicators").fill("ipv4 999.1.2.3")
    form.get_by_role("button", name="Submit incident").click()
    detected_error = page.locator("#incident-detected_at-error")
    expect(detected_error).to_contain_text("more than 5 minutes in the future")
    expect(form.get_by_label("Detected at")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#incident-indicators-error")).to_contain_text("line 1:")
    # The message is the server's own, word for word.
    body = {
        "detected_at": "2099-01-01T00:00:00.000Z",
        "category": "ransomware",
        "functional_impact": "denial_critical",
        "indicators": [{"type": "ipv4", "value": "999.1.2.3"}],
    }
    answer = service.client(operator).post("/v1/incidents", json=body)
    assert answer.status_code == 422
    server_messages = {e["field"]: e["message"] for e in answer.json()["errors"]}
    indicator_message = server_messages["indicators[0].value"]
    expect(page.locator("#incident-indicators-error")).to_have_text(f"line 1: {indicator_message}")
    board.shot("operator-rejected")

    now = time.strftime("%Y-%m-%dT%H:%M", time.gmtime())
    form.get_by_label("Detected at").fill(now)
    form.get_by_label("Indicators").fill(CAMPAIGN_IP)
    form.get_by_role("button", name="Submit incident").click()
    expect(page.locator("#incident-form-status")).to_contain_text("recorded")
    expect(detected_error).to_be_hidden()
    incident_id = page.locator("#incident-form-status").inner_text().split("#")[1].split(" ")[0]
    expect(page.locator(f'#own-incidents tr[data-incident="{incident_id}"]')).to_contain_text(
        CAMPAIGN_IP
    )

    assets = page.locator("#asset-form")
    assets.get_by_label("Asset ID").fill("scada-1")
    assets.get_by_label("CVEs").fill("CVE-nope")
    assets.get_by_role("button", name="Save asset").click()
    expect(page.locator("#asset-cves-error")).not_to_be_empty()
    assets.get_by_label("CVEs").fill("CVE-2023-1234")
    assets.get_by_label("Vendor").fill("Siemens")
    assets.get_by_label("Product").fill("WinCC")
    assets.get_by_label("Reachable from the internet").check()
    assets.get_by_role("button", name="Save asset").click()
    expect(page.locator("#asset-form-status")).to_contain_text("Asset scada-1 added")
    expect(page.locator('#own-assets tr[data-asset="scada-1"]')).to_contain_text("CVE-2023-1234")

    # Another organization's incident involves that CVE: an exposure warning addressed to
    # this one, listed first.
    elsewhere = service.operator("grid-north", "energy")
    service.report(
        elsewhere,
        severe(category="intrusion", indicators=[{"type": "cve", "value": "CVE-2023-1234"}]),
    )
    first = page.locator("#warnings-operator-list li.warning").first
    expect(first).to_have_attribute("data-kind", "exposure", timeout=5000)
    expect(first).to_contain_text("Your assets involved: scada-1")
    board.shot("operator-view", full_page=True)
    board.assert_clean(REJECTED_422)


def test_own_reports_mark_the_indicators_on_a_known_benign_list(
    service: Service, open_board
) -> None:
    operator = service.operator("city-water", "water")
    board = open_board(service.url, operator)
    page = board.page
    form = page.locator("#incident-form")
    form.get_by_label("Category").select_option("intrusion")
    form.get_by_label("Functional impact").select_option("minimal_critical")
    form.get_by_label("Indicators").fill(f"ipv4 8.8.8.8\n{CAMPAIGN_IP}")
    form.get_by_role("button", name="Submit incident").click()
    expect(page.locator("#incident-form-status")).to_contain_text("recorded")

    stored = service.client(operator).get("/v1/incidents").json()["items"][0]
    lists = {i["value"]: i["known_benign"] for i in stored["indicators"]}
    assert lists[CAMPAIGN_IP] is None
    assert lists["8.8.8.8"], lists  # a public DNS resolver
    row = page.locator(f'#own-incidents tr[data-incident="{stored["id"]}"]')
    expect(row.locator('li[data-value="8.8.8.8"] .benign')).to_have_text(
        f"known benign: {lists['8.8.8.8']}"
    )
    expect(row.locator(f'li[data-value="{CAMPAIGN_IP}"]')).to_have_text(f"IPV4 {CAMPAIGN_IP}")
    expect(row.locator(f'li[data-value="{CAMPAIGN_IP}"] .benign')).to_have_count(0)
    row.evaluate("el => el.scrollIntoView({ block: 'center' })")
    board.shot("operator-known-benign")
    board.assert_clean()


def test_forms_and_filters_are_built_from_the_servers_vocabulary(
    service: Service, open_board
) -> None:
    # The server's order differs from the lists the board once copied (location "unknown" and
    # asset kind "other" come last), so a board with its own lists fails here.
    vocabulary = httpx.get(f"{service.url}/v1/vocabulary", timeout=10).json()
    defaults = {
        (form, name): choice["default"]
        for form in ("incident", "asset")
        for name, choice in vocabulary[form].items()
    }
    assert defaults[("incident", "tlp")] == "amber"
    assert defaults[("incident", "information_impact")] == "none"
    assert defaults[("incident", "category")] is None
    assert defaults[("asset", "kind")] == "other"
    assert defaults[("asset", "criticality")] == "medium"

    board = open_board(service.url, service.operator("city-water", "water"))
    page = board.page
    expect(page.locator("#incident-form")).to_be_visible()
    for (form, name), default in defaults.items():
        select = page.locator(f"#{form}-{name}")
        options = select.locator("option").evaluate_all("els => els.map((e) => e.value)")
        # A field without a default starts blank: the operator must choose.
        blank = [""] if default is None else []
        assert options == blank + vocabulary[form][name]["values"], (form, name)
        expect(select).to_have_value(default or "")
    kinds = page.locator("#warnings-operator-kind option").evaluate_all(
        "els => els.map((e) => e.value)"
    )
    assert kinds == ["", *vocabulary["warning_kinds"]]
    board.shot("operator-form-defaults")
    board.assert_clean()

    # Without the vocabulary the page says what to do instead of showing a broken form.
    board.context.route("**/v1/vocabulary", lambda route: route.abort("connectionrefused"))
    page.reload()
    expect(page.locator("#start-error")).to_contain_text("Reload the page")
    expect(page.locator("#sign-in")).to_be_hidden()
    expect(page.locator("#incident-form")).to_have_count(0)
    board.shot("vocabulary-unreachable")
    board.assert_clean(*OFFLINE)
