"""PagerDuty, Slack and mail as their receivers see them: every field the PagerDuty Events API v2
requires (trigger on a warning, acknowledge on its ack, one dedup key), Slack's text and blocks
with a link to the board, and a real SMTP server (aiosmtpd) receiving plain text and HTML."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from awareness.clock import ManualClock
from awareness.settings import Settings
from tests.conftest import TEST_SECRETS_KEY, World, make_settings
from tests.delivery.conftest import Inbox, Received, Receiver, attempts_of, subscribe
from tests.delivery.test_webhooks import raise_warning, warnings_as


@pytest.fixture
def settings(database_url: str, smtp_server: tuple[Inbox, int]) -> Settings:
    """Mail goes to the test's SMTP server; links point at a public address."""
    return make_settings(
        database_url,
        delivery={
            "allow_private_targets": True, "secrets_key": TEST_SECRETS_KEY, "poll_seconds": 0.2,
            "public_url": "https://awareness.example.org",
            "smtp": {"host": "127.0.0.1", "port": smtp_server[1], "security": "none",
                     "sender": "awareness@example.org"},
        },
    )  # fmt: skip


ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"  # 32 characters, as PagerDuty issues them
SEVERITIES = {"critical", "error", "warning", "info"}


def events_api_v2(request: Received) -> dict[str, Any]:
    """What PagerDuty's Events API v2 refuses with 400, checked field by field."""
    event = request.json()
    assert request.headers["content-type"] == "application/json"
    assert event["routing_key"] == ROUTING_KEY
    assert event["event_action"] in {"trigger", "acknowledge", "resolve"}
    assert isinstance(event["dedup_key"], str)
    assert 0 < len(event["dedup_key"]) <= 255
    if event["event_action"] == "trigger":
        payload = event["payload"]
        assert 0 < len(payload["summary"]) <= 1024
        assert payload["source"]
        assert payload["severity"] in SEVERITIES
        datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
        for link in event.get("links", []):
            assert link["href"].startswith("http")
    else:
        assert set(event) == {"routing_key", "event_action", "dedup_key"}
    return event


async def test_pagerduty_triggers_then_acknowledges_one_alert(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    receiver.answer_body = lambda r: {
        "status": "success", "message": "Event processed", "dedup_key": r.json()["dedup_key"],
    }  # fmt: skip
    receiver.script = [(202, {}), (202, {})]
    created = await subscribe(
        client, world.energy_responder, channel="pagerduty", target=receiver.url,
        routing_key=ROUTING_KEY, kinds=["sector_level"],
    )  # fmt: skip
    assert created["secret"] is None
    assert "routing_key" not in created
    await raise_warning(client, app, world.grid_north, clock)
    (trigger,) = await receiver.wait_for(1)
    event = events_api_v2(trigger)
    (warning,) = [w for w in await warnings_as(client, world.admin) if w["kind"] == "sector_level"]
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == str(warning["id"])
    assert event["payload"]["severity"] == "error"  # orange
    assert event["payload"]["summary"] == warning["title"]
    assert event["links"][0]["href"].endswith(f"#warning-{warning['id']}")

    acked = await client.post(f"/v1/warnings/{warning['id']}/ack", headers=world.energy_responder)
    assert acked.status_code == 200
    _, ack = await receiver.wait_for(2)
    assert events_api_v2(ack) == {
        "routing_key": ROUTING_KEY, "event_action": "acknowledge", "dedup_key": str(warning["id"]),
    }  # fmt: skip
    attempts = await attempts_of(client, world.energy_responder, created["id"], 2)
    assert [a["status_code"] for a in attempts] == [202, 202]


async def test_slack_gets_text_blocks_and_a_link_to_the_board(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    await subscribe(
        client, world.admin, channel="slack", target=receiver.url, kinds=["sector_level"]
    )
    await raise_warning(client, app, world.grid_north, clock)
    (got,) = await receiver.wait_for(1)
    message = got.json()
    (warning,) = [w for w in await warnings_as(client, world.admin) if w["kind"] == "sector_level"]
    link = f"https://awareness.example.org/#warning-{warning['id']}"
    assert message["text"].startswith("ORANGE · sector level · energy raised")
    assert f"<{link}|" in message["text"]
    assert [block["type"] for block in message["blocks"]] == ["section", "context", "actions"]
    assert message["blocks"][2]["elements"][0]["url"] == link


async def test_mail_arrives_as_plain_text_and_html(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    clock: ManualClock,
    smtp_server: tuple[Inbox, int],
) -> None:
    inbox, _ = smtp_server
    await subscribe(
        client, world.energy_supervisor, channel="email", target="soc@example.org",
        kinds=["sector_level"],
    )  # fmt: skip
    await raise_warning(client, app, world.grid_north, clock)
    (message,) = await inbox.wait_for(1)
    (warning,) = [w for w in await warnings_as(client, world.admin) if w["kind"] == "sector_level"]
    assert message["X-Envelope-To"] == "soc@example.org"
    assert message["From"] == "awareness@example.org"
    assert message["Subject"].startswith("[awareness] ORANGE · sector level · energy raised")
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    link = f"https://awareness.example.org/#warning-{warning['id']}"
    assert warning["title"] in plain.get_content()
    assert link in plain.get_content()
    assert f"href='{link}'" in html.get_content()
