"""Reporting clocks end to end, on both databases: regimes assigned by an admin, clocks on every
incident, stages filed by the operator, reminders in the event log at 75 % and at the deadline
(exactly once), and the supervisor's overdue list, all on the test's manual clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from awareness.clock import ManualClock
from awareness.db.tables import events
from tests.conftest import SEVERE, World, incident, settle
from tests.feed.conftest import open_feed, served

EARLY = {"stage": "early_warning", "suspected_malicious": True, "cross_border": False}


async def assign(client: httpx.AsyncClient, world: World, org: str, *regimes: str) -> None:
    answer = await client.put(
        f"/v1/orgs/{org}/regimes", json={"regimes": list(regimes)}, headers=world.admin
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"org_id": org, "regimes": sorted(regimes)}


async def report(
    client: httpx.AsyncClient, headers: dict[str, str], clock: ManualClock, **fields: Any
) -> int:
    body = incident(**(SEVERE | fields), detected_at=clock.now().isoformat())
    answer = await client.post("/v1/incidents", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def clocks(client: httpx.AsyncClient, headers: dict[str, str], incident_id: int) -> dict:
    answer = await client.get(f"/v1/incidents/{incident_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return {(c["regime"], c["stage"]): c for c in answer.json()["clocks"]}


async def reminders(app: FastAPI) -> list[dict[str, Any]]:
    runner = app.state.components.reminders
    await runner.settle()
    async with app.state.components.database.read() as conn:
        query = sa.select(events).where(events.c.type == "reminder").order_by(events.c.seq)
        return [dict(row) for row in (await conn.execute(query)).mappings()]


async def test_a_nis2_incident_from_its_report_to_overdue(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await assign(client, world, "grid-north", "nis2")
    start = clock.now()
    incident_id = await report(client, world.grid_north, clock)

    shown = await clocks(client, world.grid_north, incident_id)
    early, notification = shown[("nis2", "early_warning")], shown[("nis2", "notification")]
    assert early["due_at"] == (start + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert notification["due_at"] == (start + timedelta(hours=72)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (early["state"], notification["state"]) == ("pending", "pending")
    assert shown[("nis2", "final_report")]["state"] == "pending"
    # The supervisor of its sector sees the same clocks; the list shows them too.
    assert await clocks(client, world.energy_supervisor, incident_id) == shown
    listed = await client.get("/v1/incidents", headers=world.grid_north)
    assert listed.json()["items"][0]["clocks"] == list(shown.values())

    # A stage missing a field is refused, naming it; nothing is filed.
    path = f"/v1/incidents/{incident_id}/updates"
    refused = await client.post(
        path, json={"stage": "early_warning", "suspected_malicious": True}, headers=world.grid_north
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["cross_border"]
    unknown = await client.post(path, json={"stage": "postcard"}, headers=world.grid_north)
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["stage"]

    # Another organization's operator finds no such incident; other roles may not file.
    assert (await client.post(path, json=EARLY, headers=world.grid_south)).status_code == 404
    assert (await client.post(path, json=EARLY, headers=world.energy_supervisor)).status_code == 403

    clock.advance(timedelta(hours=3))
    key = {"Idempotency-Key": "grid-north-ew-1"}
    filed = await client.post(path, json=EARLY, headers=world.grid_north | key)
    assert filed.status_code == 201, filed.text
    assert filed.json()["clock"]["state"] == "met"
    again = await client.post(path, json=EARLY, headers=world.grid_north | key)
    assert (again.status_code, again.json()) == (201, filed.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    shown = await clocks(client, world.grid_north, incident_id)
    assert shown[("nis2", "early_warning")]["state"] == "met"
    assert shown[("nis2", "early_warning")]["filed_at"] == filed.json()["filed_at"]

    # Just before 75 % of the notification's 72 hours: no reminder yet.
    clock.set(start + timedelta(hours=53, minutes=59))
    assert await reminders(app) == []
    clock.set(start + timedelta(hours=54))
    sent = await reminders(app)
    assert [(e["data"]["stage"], e["data"]["percent"]) for e in sent] == [("notification", 75)]
    assert sent[0]["data"]["incident_id"] == incident_id
    assert sent[0]["audience"] == {"sectors": ["energy"], "targets": ["grid-north"]}
    # Sent once: the next rounds send nothing more.
    assert len(await reminders(app)) == 1

    overdue = await client.get("/v1/clocks/overdue", headers=world.energy_supervisor)
    assert overdue.json() == {"items": []}
    clock.set(start + timedelta(hours=72, minutes=1))
    sent = await reminders(app)
    assert [(e["data"]["stage"], e["data"]["percent"]) for e in sent] == [
        ("notification", 75),
        ("notification", 100),
    ]
    shown = await clocks(client, world.grid_north, incident_id)
    assert shown[("nis2", "notification")]["state"] == "overdue"

    for headers in (world.energy_supervisor, world.all_supervisor, world.admin, world.grid_north):
        overdue = await client.get("/v1/clocks/overdue", headers=headers)
        assert overdue.status_code == 200, overdue.text
        items = overdue.json()["items"]
        assert [(i["incident_id"], i["org_id"], i["stage"]) for i in items] == [
            (incident_id, "grid-north", "notification")
        ]
    for headers in (world.grid_south, world.aqua):
        assert (await client.get("/v1/clocks/overdue", headers=headers)).json() == {"items": []}
    assert (
        await client.get("/v1/clocks/overdue", headers=world.energy_responder)
    ).status_code == 403

    # Filed late: met late, and off the overdue list.
    late = {"stage": "notification", "severity": "high", "impact": "x", "indicators": []}
    assert (await client.post(path, json=late, headers=world.grid_north)).status_code == 201
    shown = await clocks(client, world.grid_north, incident_id)
    assert shown[("nis2", "notification")]["state"] == "met_late"
    overdue = await client.get("/v1/clocks/overdue", headers=world.energy_supervisor)
    assert overdue.json() == {"items": []}


async def test_reminders_reach_the_operator_and_its_supervisors_on_the_feed(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await assign(client, world, "grid-north", "nis2")
    start = clock.now()
    incident_id = await report(client, world.grid_north, clock)
    await settle(app)
    async with served(app) as base:
        feeds = {}
        for name in ("grid_north", "energy_supervisor", "grid_south", "energy_responder"):
            feed, socket = await open_feed(base, getattr(world, name))
            feeds[name] = (feed, await socket.__aenter__())
        try:
            for feed, _ in feeds.values():
                assert (await feed.frame())["type"] == "connected"
            clock.set(start + timedelta(hours=18))  # 75 % of the early warning's 24 hours
            await reminders(app)
            await settle(app)
            for name, (feed, _) in feeds.items():
                frames = [f for f in await feed.quiet(1.0) if f["type"] == "reminder"]
                if name in ("grid_south", "energy_responder"):
                    assert frames == [], name
                    continue
                assert len(frames) == 1, name
                data = frames[0]["data"]
                assert data["incident_id"] == incident_id
                assert (data["stage"], data["percent"]) == ("early_warning", 75)
        finally:
            for _, socket in feeds.values():
                await socket.__aexit__(None, None, None)


async def test_a_china_cii_incident_has_its_one_hour_clock(
    client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await assign(client, world, "aqua", "china_cii")
    aware = clock.now() - timedelta(minutes=20)
    incident_id = await report(client, world.aqua, clock, aware_at=aware.isoformat())
    shown = await clocks(client, world.aqua, incident_id)
    assert list(shown) == [("china_cii", "initial_report")]
    clock_ = shown[("china_cii", "initial_report")]
    assert clock_["due_at"] == (aware + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert clock_["fields"] == ["system", "incident_type", "harm", "measures"]
    answer = await client.get(f"/v1/incidents/{incident_id}", headers=world.aqua)
    assert answer.json()["aware_at"] == aware.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_minor_incidents_are_reportable_only_when_flagged(
    client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await assign(client, world, "grid-north", "nis2")
    minor = {"detected_at": clock.now().isoformat()}
    plain = await client.post("/v1/incidents", json=incident(**minor), headers=world.grid_north)
    flagged = await client.post(
        "/v1/incidents", json=incident(**minor, significant=True), headers=world.grid_north
    )
    plain_id, flagged_id = plain.json()["id"], flagged.json()["id"]
    assert await clocks(client, world.grid_north, plain_id) == {}
    assert len(await clocks(client, world.grid_north, flagged_id)) == 3
    refused = await client.post(
        f"/v1/incidents/{plain_id}/updates", json=EARLY, headers=world.grid_north
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "stage"


async def test_unknown_regimes_are_refused_naming_the_field(
    client: httpx.AsyncClient, world: World
) -> None:
    answer = await client.put(
        "/v1/orgs/grid-north/regimes", json={"regimes": ["nis2", "gdpr"]}, headers=world.admin
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["regimes[1]"]
    missing = await client.put(
        "/v1/orgs/nobody/regimes", json={"regimes": ["nis2"]}, headers=world.admin
    )
    assert missing.status_code == 404
    await assign(client, world, "grid-north", "nis2", "circia")
    await assign(client, world, "grid-north")
