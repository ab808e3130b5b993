"""The response to a warning on the board, in a real browser: assigning, notes, resolving and the
timeline, seen live on a second board; the Mine, Unassigned and Open filters; and the Deliveries
panel with a subscription that delivers and one its target disabled."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from tests.browser.conftest import ARTIFACTS, Board, Service, severe
from tests.servers import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect


@dataclass
class Receiver:
    """A webhook target on loopback: each path answers its scripted status (200 unless told),
    and every request is counted per path."""

    url: str = ""
    status: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        path = scope["path"]
        self.received[path] = self.received.get(path, 0) + 1
        status = self.status.get(path, 200)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    port = free_port()
    config = uvicorn.Config(
        found.app, host="127.0.0.1", port=port, lifespan="off", log_config=None, interface="asgi3"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the receiver did not start"
        time.sleep(0.02)
    found.url = f"http://127.0.0.1:{port}"
    try:
        yield found
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def hasty_service(tmp_path: Path, template_db: tuple[Path, str]) -> Iterator[Service]:
    """A service that escalates an unacknowledged orange or red warning after about 2 s."""
    template, admin = template_db
    running = Service(tmp_path, template, admin)
    running.server.env["AWARENESS_DELIVERY__ESCALATE_AFTER_MINUTES"] = json.dumps(
        {"orange": 0.03, "red": 0.03}
    )
    try:
        yield running.start()
    finally:
        running.close()


def wait_for(what: str, probe: Any, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"never happened: {what}")


def settled_warnings(client: httpx.Client) -> list[dict[str, Any]]:
    """Every warning once the correlator has raised all it will (the list stays the same)."""
    previous: list[int] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        items = client.get("/v1/warnings", params={"limit": 200}).json()["items"]
        ids = [w["id"] for w in items]
        if ids and ids == previous:
            return items
        previous = ids
        time.sleep(0.7)
    pytest.fail("the warnings never settled")


def energy_warning(board: Board) -> Any:
    return board.page.locator('li.warning[data-kind="sector_level"][data-sector="energy"]')


def timeline_kinds(item: Any) -> list[str]:
    return item.locator(".timeline > li").evaluate_all("els => els.map(e => e.dataset.kind)")


def test_assign_note_resolve_and_timeline_reach_every_board(service: Service, open_board) -> None:
    ana_key = service.key("supervisor", name="Ana")
    bob_key = service.key("supervisor", name="Bob")
    service.report(service.operator("grid-north", "energy"), severe())
    ana = open_board(service.url, ana_key)
    bob = open_board(service.url, bob_key)
    page = ana.page
    mine = energy_warning(ana)
    theirs = energy_warning(bob)
    expect(mine.locator(".state")).to_have_text("New")
    expect(theirs.locator(".state")).to_have_text("New")

    # Assign to me: responding, and acknowledged by the same step; Bob's board hears it live.
    mine.get_by_role("button", name="Assign to me").click()
    expect(mine.locator(".state")).to_have_text("Responding — Ana")
    expect(mine).to_have_attribute("data-state", "responding")
    expect(mine.locator(".ack-status")).to_contain_text("Acknowledged by Ana")
    expect(mine.get_by_role("button", name="Assign to me")).to_be_hidden()
    # The button that had the focus is gone: the focus went to the warning's state, not away.
    assert page.evaluate("document.activeElement.className") == "state state-responding"
    expect(theirs.locator(".state")).to_have_text("Responding — Ana", timeout=2000)
    expect(theirs.locator(".ack-status")).to_contain_text("Acknowledged by Ana")

    # A note, by keyboard from its button.
    mine.get_by_role("button", name="Add note").focus()
    page.keyboard.press("Enter")
    expect(mine.get_by_label("Note", exact=True)).to_be_focused()
    page.keyboard.type("Isolated the substation HMI; vendor on site at 14:00.")
    mine.get_by_role("button", name="Save note").click()
    expect(mine.locator(".w-done")).to_have_text("Note added.")
    expect(mine.get_by_label("Note", exact=True)).to_be_hidden()

    # The timeline, oldest first.
    mine.get_by_role("button", name="Timeline").click()
    expect(mine.get_by_role("button", name="Timeline")).to_have_attribute("aria-expanded", "true")
    expect(mine.locator(".timeline > li")).to_have_count(3)
    assert timeline_kinds(mine) == ["raised", "assigned", "note"]
    expect(mine.locator(".timeline > li").nth(0)).to_contain_text("Raised")
    expect(mine.locator(".timeline > li").nth(1)).to_contain_text("Assigned to Ana")
    expect(mine.locator(".timeline > li").nth(1)).to_contain_text("by Ana (supervisor, key")
    expect(mine.locator(".timeline > li").nth(2)).to_contain_text("vendor on site at 14:00")

    # While Ana types a note, Bob hands the warning over to Carol: Ana's board shows it, and
    # keeps her focus and what she typed.
    mine.get_by_role("button", name="Add note").click()
    draft = mine.get_by_label("Note", exact=True)
    draft.fill("half-written")
    with bob.page.expect_response(re.compile(r"/assign$")):
        theirs.get_by_role("button", name="Assign…").click()
        theirs.get_by_label("Assignee").fill("Carol")
        theirs.get_by_label("Note (optional)").fill("Carol has the night shift.")
        theirs.get_by_role("button", name="Assign", exact=True).click()
    expect(mine.locator(".state")).to_have_text("Responding — Carol", timeout=2000)
    expect(draft).to_be_focused()
    expect(draft).to_have_value("half-written")
    # Ana's open timeline follows the other board's step.
    expect(mine.locator(".timeline > li")).to_have_count(4)
    expect(mine.locator(".timeline > li").nth(3)).to_contain_text("Carol has the night shift.")
    mine.get_by_role("button", name="Cancel").click()
    expect(mine.get_by_role("button", name="Add note")).to_be_focused()
    ana.page.mouse.move(0, 0)
    mine.scroll_into_view_if_needed()
    ana.shot("response-controls")

    # Resolving needs a note; the refusal is said next to the control.
    mine.get_by_role("button", name="Resolve…").click()
    mine.get_by_role("button", name="Resolve", exact=True).click()
    expect(mine.get_by_role("alert").filter(has_text="Say how it was resolved.")).to_be_visible()
    expect(mine.get_by_label("Resolution note")).to_have_attribute("aria-invalid", "true")
    expect(mine.get_by_label("Resolution note")).to_be_focused()
    ana.shot("response-resolve-refused")
    mine.get_by_label("Resolution note").fill("Firmware restored from the signed image.")
    mine.get_by_role("button", name="Resolve", exact=True).click()
    expect(mine.locator(".state")).to_have_text("Resolved")
    expect(mine.locator(".ack-status")).to_contain_text("Resolved at")
    for name in ("Assign to me", "Assign…", "Resolve…"):
        expect(mine.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(mine.get_by_role("button", name="Add note")).to_be_visible()
    expect(theirs.locator(".state")).to_have_text("Resolved", timeout=2000)
    expect(theirs.get_by_role("button", name="Resolve…")).to_be_hidden()
    expect(mine.locator(".timeline > li")).to_have_count(5)
    assert timeline_kinds(mine) == ["raised", "assigned", "note", "assigned", "resolved"]
    expect(mine.locator(".timeline > li").nth(4)).to_contain_text("Firmware restored")

    # Bob's board, opened afresh, shows the same from the service.
    bob.page.reload()
    expect(theirs.locator(".state")).to_have_text("Resolved")
    theirs.get_by_role("button", name="Timeline").click()
    expect(theirs.locator(".timeline > li")).to_have_count(5)
    mine.scroll_into_view_if_needed()
    ana.shot("response-resolved-timeline")
    ana.assert_clean()
    bob.assert_clean()


def test_mine_unassigned_and_open_filters(service: Service, open_board) -> None:
    ana_key = service.key("supervisor", name="Ana")
    service.report(service.operator("grid-north", "energy"), severe())
    service.report(service.operator("metro-rail", "transportation"), severe())
    client = service.client(service.admin_key)
    warnings = settled_warnings(client)
    assert len(warnings) >= 4, [w["title"] for w in warnings]
    first, second, third, fourth = (w["id"] for w in warnings[:4])
    steps = [
        (f"/v1/warnings/{first}/assign", {"assignee": "Ana"}),
        (f"/v1/warnings/{second}/assign", {"assignee": "Bob"}),
        (f"/v1/warnings/{third}/resolve", {"note": "a false positive"}),
        (f"/v1/warnings/{fourth}/ack", None),
    ]
    for path, body in steps:
        assert client.post(path, json=body).status_code == 200

    board = open_board(service.url, ana_key)
    page = board.page
    items = page.locator("li.warning")
    expect(items).to_have_count(len(warnings))

    def shown() -> set[int]:
        ids = items.evaluate_all("els => els.map(e => Number(e.dataset.id))")
        return set(ids)

    def expect_shown(expected: set[int]) -> None:
        expect(items).to_have_count(len(expected))
        assert shown() == expected

    everyone = {w["id"] for w in warnings}
    mine_box = page.get_by_label("Mine", exact=True)
    unassigned_box = page.get_by_label("Unassigned", exact=True)
    open_box = page.get_by_label("Open", exact=True)

    # Each filter asks the service for older matches too, with state= and assignee=.
    with page.expect_request(re.compile(r"/v1/warnings\?.*assignee=Ana")):
        mine_box.check()
    expect_shown({first})
    expect(items.first.locator(".state")).to_have_text("Responding — Ana")
    mine_box.uncheck()

    with page.expect_request(re.compile(r"/v1/warnings\?.*state=new&state=acknowledged")):
        unassigned_box.check()
    expect_shown(everyone - {first, second, third})
    states = items.evaluate_all("els => els.map(e => e.dataset.state)")
    assert set(states) <= {"new", "acknowledged"}, states
    assert "acknowledged" in states, states
    unassigned_box.uncheck()

    with page.expect_request(re.compile(r"state=new&state=acknowledged&state=responding")):
        open_box.check()
    expect_shown(everyone - {third})
    # Mine and Open together: my open ones.
    mine_box.check()
    expect_shown({first})
    # Resolving mine elsewhere takes it out of the open ones, live.
    assert client.post(f"/v1/warnings/{first}/resolve", json={"note": "done"}).status_code == 200
    expect(items).to_have_count(0)
    expect(page.locator("#warnings-panel .empty")).to_be_visible()
    open_box.uncheck()
    expect_shown({first})
    expect(items.first.locator(".state")).to_have_text("Resolved")
    mine_box.uncheck()
    expect_shown(everyone)
    board.assert_clean()


def test_deliveries_panel_shows_health_and_enables_a_disabled_subscription(
    service: Service, open_board, receiver: Receiver
) -> None:
    ana_key = service.key("supervisor", name="Ana")
    ana = service.client(ana_key)
    receiver.status["/gone"] = 410
    created = {}
    for name, path in (("SOC webhook", "/ok"), ("Retired hook", "/gone")):
        answer = ana.post(
            "/v1/subscriptions",
            json={"name": name, "channel": "webhook", "target": receiver.url + path},
        )
        assert answer.status_code == 201, answer.text
        created[name] = answer.json()["id"]
    service.report(service.operator("grid-north", "energy"), severe())

    def subscription(name: str) -> dict[str, Any]:
        answer = ana.get(f"/v1/subscriptions/{created[name]}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    wait_for("a delivery to the webhook", lambda: subscription("SOC webhook")["last_success_at"])
    wait_for("the 410 disabling", lambda: subscription("Retired hook")["state"] == "disabled")

    board = open_board(service.url, ana_key)
    page = board.page
    panel = page.locator("#deliveries-panel")
    expect(panel.get_by_role("heading", name="Deliveries")).to_be_visible()
    ok = panel.locator(f'tr[data-subscription="{created["SOC webhook"]}"]')
    gone = panel.locator(f'tr[data-subscription="{created["Retired hook"]}"]')
    expect(panel.locator("#deliveries-summary")).to_contain_text("2 subscriptions · 1 disabled")

    cells = ok.locator("td, th")
    expect(cells.nth(0)).to_have_text("SOC webhook")
    expect(cells.nth(1)).to_have_text("Webhook")
    expect(cells.nth(2)).to_have_text(receiver.url + "/ok")
    expect(cells.nth(3)).to_have_text("1")
    expect(cells.nth(4)).to_have_text("Active")
    expect(cells.nth(5)).to_have_text(re.compile(r"^(\d+ sec ago|now)$"))
    expect(cells.nth(6)).to_have_text("0")
    expect(gone).to_have_attribute("data-state", "disabled")
    expect(gone.locator("td").nth(3)).to_contain_text("Disabled")
    expect(gone.locator("td").nth(3)).to_contain_text("410 Gone")
    expect(gone.locator("td").nth(4)).to_have_text("never")

    # Each row shows its recent attempts.
    ok.get_by_role("button", name="Attempts").click()
    attempts = panel.locator(f"#deliveries-{created['SOC webhook']}-attempts")
    expect(attempts.locator('tr[data-outcome="delivered"]').first).to_contain_text("HTTP 200")
    gone.get_by_role("button", name="Attempts").click()
    refused = panel.locator(f"#deliveries-{created['Retired hook']}-attempts")
    expect(refused.locator("tbody tr").first).to_contain_text("HTTP 410")
    expect(refused.locator("tbody tr").first).to_contain_text("disabled")
    panel.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    board.shot("deliveries-panel")
    panel.screenshot(path=str(ARTIFACTS / "deliveries-panel-only.png"))

    # The warning's timeline names the deliveries the caller manages.
    warning = energy_warning(board)
    warning.get_by_role("button", name="Timeline").click()
    delivered = warning.locator('.timeline > li[data-kind="delivery"]').filter(
        has_text="SOC webhook"
    )
    expect(delivered).to_contain_text("(Webhook), attempt 1: delivered (HTTP 200)")
    expect(
        warning.locator('.timeline > li[data-kind="delivery"]').filter(has_text="Retired hook")
    ).to_contain_text("(HTTP 410)")

    # The target is back: Enable resumes the subscription, which delivers what it missed.
    receiver.status["/gone"] = 200
    enable = gone.get_by_role("button", name="Enable")
    enable.focus()
    page.keyboard.press("Enter")
    expect(gone).not_to_have_attribute("data-state", "disabled")
    expect(gone.get_by_role("button", name="Enable")).to_be_hidden()
    assert page.evaluate("document.activeElement.textContent") in ("Active", "Failing")
    wait_for("the missed events delivered", lambda: subscription("Retired hook")["backlog"] == 0)
    panel.get_by_role("button", name="Refresh").click()
    expect(gone).to_have_attribute("data-state", "active")
    expect(gone.locator("td").nth(4)).to_have_text(re.compile(r"^(\d+ sec ago|now)$"))
    expect(panel.locator("#deliveries-summary")).to_contain_text("2 subscriptions · none failing")
    assert receiver.received["/gone"] >= 2
    board.assert_clean()


def test_responder_sees_only_its_own_subscriptions(
    service: Service, open_board, receiver: Receiver
) -> None:
    rita_key = service.key("responder", name="Rita", sectors=["energy"])
    for key, name in ((service.admin_key, "Admin's hook"), (rita_key, "Rita's pager")):
        answer = service.client(key).post(
            "/v1/subscriptions",
            json={"name": name, "channel": "webhook", "target": receiver.url + "/ok"},
        )
        assert answer.status_code == 201, answer.text

    board = open_board(service.url, rita_key)
    rows = board.page.locator("#deliveries-table tbody > tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Rita's pager")
    expect(board.page.locator("#deliveries-panel")).to_contain_text("Your subscriptions")
    # Hidden, it is not refreshed; shown again, it is at once.
    toggle = board.page.locator("#deliveries-panel").get_by_role("button", name="Hide")
    toggle.click()
    expect(board.page.locator("#deliveries-body")).to_be_hidden()
    with board.page.expect_request(re.compile(r"/v1/subscriptions\?")):
        board.page.locator("#deliveries-panel").get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    board.shot("deliveries-responder")
    board.assert_clean()


def test_escalation_shows_live_and_on_the_timeline(
    hasty_service: Service, open_board, receiver: Receiver
) -> None:
    service = hasty_service
    ana_key = service.key("supervisor", name="Ana")
    for tier in (1, 2):
        answer = service.client(ana_key).post(
            "/v1/subscriptions",
            json={"name": f"tier {tier}", "channel": "webhook", "tier": tier,
                  "target": f"{receiver.url}/tier{tier}"},
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
    board = open_board(service.url, ana_key)
    service.report(service.operator("grid-north", "energy"), severe())
    warning = energy_warning(board)
    expect(warning.locator(".state")).to_have_text("New")
    expect(warning.locator(".tag-escalated")).to_have_text("escalated to tier 2", timeout=8000)
    warning.get_by_role("button", name="Timeline").click()
    escalated = warning.locator('.timeline > li[data-kind="escalated"]')
    expect(escalated).to_contain_text("Escalated to tier 2")
    # Taking it on stops the escalation and keeps the tier it reached.
    warning.get_by_role("button", name="Assign to me").click()
    expect(warning.locator(".state")).to_have_text("Responding — Ana")
    expect(warning.locator(".tag-escalated")).to_have_text("escalated to tier 2")
    board.assert_clean()


def test_operators_get_no_response_controls(service: Service, open_board) -> None:
    operator = service.operator("grid-north", "energy")
    service.report(operator, severe())
    board = open_board(service.url, operator)
    warning = energy_warning(board)
    expect(warning.locator(".state")).to_have_text("New")
    expect(warning.get_by_role("button", name="Assign to me")).to_have_count(0)
    expect(warning.get_by_role("button", name="Timeline")).to_have_count(0)
    expect(board.page.locator("#deliveries-panel")).to_have_count(0)
    board.assert_clean()
