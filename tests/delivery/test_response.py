"""Organizing the response: a warning goes new -> acknowledged -> responding -> resolved, each
step kept on its timeline, told to every board and (resolution) to PagerDuty; an unacknowledged
red warning escalates to the next tier's subscriptions and stops when acknowledged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from awareness.auth.principal import Role
from awareness.clock import ManualClock
from tests.conftest import SEVERE, World, add_key, add_org, incident, settle
from tests.delivery.conftest import Receiver, attempts_of, subscribe
from tests.delivery.test_channels import ROUTING_KEY, events_api_v2
from tests.delivery.test_webhooks import raise_warning, warnings_as
from tests.feed.conftest import open_feed, served


async def red_warning(
    client: httpx.AsyncClient, app: FastAPI, world: World, clock: ManualClock
) -> dict[str, Any]:
    """Three operators of the energy sector hit hard at once: energy goes red."""
    await add_org(app, "grid-east", "energy")
    east = await add_key(app, Role.operator, org="grid-east")
    for headers in (world.grid_north, world.grid_south, east):
        body = incident(**SEVERE, detected_at=clock.now().isoformat())
        assert (await client.post("/v1/incidents", json=body, headers=headers)).status_code == 201
    await settle(app)
    listed = await warnings_as(client, world.admin)
    (red,) = [w for w in listed if w["kind"] == "sector_level" and w["level"] == "red"]
    return red


async def test_assign_note_resolve_with_the_timeline_and_the_feed(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await raise_warning(client, app, world.grid_north, clock)
    (warning, _) = await warnings_as(client, world.energy_supervisor)
    assert (warning["state"], warning["assignee"]) == ("new", None)
    base = f"/v1/warnings/{warning['id']}"
    who = world.energy_responder
    async with served(app) as host:
        feed, socket = await open_feed(host, world.energy_supervisor)
        async with socket:
            await feed.frame()
            clock.advance(timedelta(minutes=1))
            assigned = await client.post(
                f"{base}/assign", json={"assignee": "Ana (SOC)", "note": "isolating"}, headers=who
            )
            assert assigned.status_code == 200, assigned.text
            assert assigned.json()["state"] == "responding"
            assert assigned.json()["assignee"] == "Ana (SOC)"
            assert assigned.json()["acknowledged_at"] == "2026-03-02T09:01:00Z"
            clock.advance(timedelta(minutes=1))
            noted = await client.post(f"{base}/notes", json={"text": "VPN cut"}, headers=who)
            assert noted.status_code == 201
            clock.advance(timedelta(minutes=1))
            resolved = await client.post(
                f"{base}/resolve", json={"note": "restored from backup"}, headers=who
            )
            assert resolved.json()["state"] == "resolved"
            assert resolved.json()["resolved_at"] == "2026-03-02T09:03:00Z"
            frames = [f for f in await feed.events(3) if f["type"] == "response"]
    assert [f["data"]["action"] for f in frames] == ["assigned", "note", "resolved"]
    assert frames[0]["data"]["assignee"] == "Ana (SOC)"

    # Resolving again changes nothing; a resolved warning takes notes, not assignments.
    again = await client.post(f"{base}/resolve", json={"note": "twice"}, headers=who)
    assert again.status_code == 200
    assert again.json()["resolved_at"] == "2026-03-02T09:03:00Z"
    late = await client.post(f"{base}/assign", json={"assignee": "Bo"}, headers=who)
    assert late.status_code == 409
    assert (await client.post(f"{base}/notes", json={"text": "postmortem"}, headers=who)).is_success

    timeline = (await client.get(f"{base}/timeline", headers=world.energy_supervisor)).json()
    assert [(e["kind"], e.get("note")) for e in timeline] == [
        ("raised", None),
        ("assigned", "isolating"),
        ("note", "VPN cut"),
        ("resolved", "restored from backup"),
        ("note", "postmortem"),
    ]
    assert timeline[1]["assignee"] == "Ana (SOC)"
    assert "responder" in timeline[1]["actor"]
    listed = await client.get("/v1/warnings?state=resolved&assignee=Ana (SOC)", headers=world.admin)
    assert [w["id"] for w in listed.json()["items"]] == [warning["id"]]
    opened = await client.get("/v1/warnings?state=new&state=acknowledged", headers=world.admin)
    assert warning["id"] not in [w["id"] for w in opened.json()["items"]]


async def test_bad_lifecycle_bodies_name_their_field(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await raise_warning(client, app, world.grid_north, clock)
    base = "/v1/warnings/1"
    for path, body, field in (
        ("assign", {}, "assignee"),
        ("assign", {"assignee": ""}, "assignee"),
        ("assign", {"assignee": "x" * 201}, "assignee"),
        ("resolve", {}, "note"),
        ("notes", {"text": ""}, "text"),
        ("notes", {"text": "x", "colour": "red"}, "colour"),
    ):
        answer = await client.post(f"{base}/{path}", json=body, headers=world.admin)
        assert answer.status_code == 422, (path, body)
        assert field in {e["field"] for e in answer.json()["errors"]}
    timeline = (await client.get(f"{base}/timeline", headers=world.admin)).json()
    assert [e["kind"] for e in timeline] == ["raised"]


async def test_an_unacknowledged_red_warning_escalates_and_an_ack_stops_it(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    only_red = {"kinds": ["sector_level"], "min_level": "red"}
    tier = {}
    for n in (1, 2, 3):
        created = await subscribe(
            client, world.admin, target=f"{receiver.url}/tier{n}", tier=n, **only_red
        )
        tier[n] = created["id"]
    red = await red_warning(client, app, world, clock)
    (first,) = await receiver.wait_for(1)
    assert first.path == "/hook/tier1"
    clock.advance(timedelta(minutes=4))
    assert await receiver.quiet() == 1, [(r.path, r.json()) for r in receiver.requests]

    clock.advance(timedelta(minutes=1, seconds=1))
    _, second = await receiver.wait_for(2)
    assert second.path == "/hook/tier2"
    data = second.json()["data"]
    assert (data["id"], data["escalated_tier"], data["state"]) == (red["id"], 2, "new")
    assert second.headers["webhook-id"] != first.headers["webhook-id"]

    acked = await client.post(f"/v1/warnings/{red['id']}/ack", headers=world.energy_responder)
    assert acked.json()["state"] == "acknowledged"
    clock.advance(timedelta(minutes=30))
    assert await receiver.quiet() == 2  # tier 3 is never told
    timeline = (await client.get(f"/v1/warnings/{red['id']}/timeline", headers=world.admin)).json()
    kinds = [e["kind"] for e in timeline]
    assert kinds[:1] == ["raised"]
    assert next(e for e in timeline if e["kind"] == "escalated")["tier"] == 2
    assert kinds.index("escalated") < kinds.index("acknowledged")
    deliveries = [e for e in timeline if e["kind"] == "delivery"]
    assert {(d["subscription_id"], d["outcome"]) for d in deliveries} == {
        (tier[1], "delivered"),
        (tier[2], "delivered"),
    }


async def test_pagerduty_resolves_what_it_triggered(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    receiver.answer_body = lambda r: {"status": "success", "dedup_key": r.json()["dedup_key"]}
    created = await subscribe(
        client, world.admin, channel="pagerduty", target=receiver.url, routing_key=ROUTING_KEY,
        kinds=["sector_level"],
    )  # fmt: skip
    await raise_warning(client, app, world.grid_north, clock)
    await receiver.wait_for(1)
    (warning,) = [w for w in await warnings_as(client, world.admin) if w["kind"] == "sector_level"]
    resolved = await client.post(
        f"/v1/warnings/{warning['id']}/resolve", json={"note": "done"}, headers=world.admin
    )
    assert resolved.status_code == 200
    got = await receiver.wait_for(2)
    actions = [events_api_v2(r)["event_action"] for r in got]
    assert actions == ["trigger", "resolve"]
    assert {r.json()["dedup_key"] for r in got} == {str(warning["id"])}
    await attempts_of(client, world.admin, created["id"], 2)
