"""The board's endpoints: warnings by `after`, sector, kind and limit, each role's scope,
acknowledgements, campaigns and sectors."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from awareness.auth.principal import Role
from awareness.clock import ManualClock
from tests.conftest import World, add_key, add_org, count_rows, incident, report_severe, settle


@pytest.fixture
async def raised(client: httpx.AsyncClient, world: World, app: FastAPI, clock: ManualClock) -> None:
    """Energy and water both raised to orange by a severe incident each."""
    await report_severe(client, world.grid_north, clock)
    await report_severe(client, world.aqua, clock)
    await settle(app)


async def test_sectors_lists_every_sector(
    client: httpx.AsyncClient, world: World, raised: None
) -> None:
    for headers in (world.grid_north, world.energy_responder, world.all_supervisor, world.admin):
        items = (await client.get("/v1/sectors", headers=headers)).json()["items"]
        assert len(items) == 16
        energy = next(i for i in items if i["sector"] == "energy")
        assert energy["level"] == "orange"
        assert energy["updated_at"] == "2026-03-02T09:00:00Z"
        assert len(energy["trend"]) == 24
    assert (await client.get("/v1/sectors")).status_code == 401
    assert (await client.get("/v1/sectors/space", headers=world.admin)).status_code == 404


async def test_warning_filters_and_paging(
    client: httpx.AsyncClient, world: World, raised: None
) -> None:
    everything = (await client.get("/v1/warnings?limit=1000", headers=world.all_supervisor)).json()
    seqs = [w["seq"] for w in everything["items"]]
    assert seqs == sorted(seqs)
    assert {w["sector"] for w in everything["items"]} >= {"energy", "water"}

    energy = (await client.get("/v1/warnings?sector=energy", headers=world.all_supervisor)).json()
    assert all("energy" in w["sectors"] for w in energy["items"])
    # water at orange is a risk to energy, which depends on it moderately: that warning
    # concerns energy too
    assert {(w["sector"], w["kind"]) for w in energy["items"]} == {
        ("energy", "sector_level"),
        ("energy", "dependency"),
        ("water", "dependency"),
    }

    later = (await client.get(f"/v1/warnings?after={seqs[1]}", headers=world.all_supervisor)).json()
    assert [w["seq"] for w in later["items"]] == seqs[2:]

    first = (await client.get("/v1/warnings?limit=2", headers=world.all_supervisor)).json()
    second = (
        await client.get(
            f"/v1/warnings?limit=2&cursor={first['next']}", headers=world.all_supervisor
        )
    ).json()
    assert [w["seq"] for w in first["items"] + second["items"]] == seqs[:4]

    newest = (
        await client.get("/v1/warnings?order=desc&limit=1", headers=world.all_supervisor)
    ).json()
    assert newest["items"][0]["seq"] == seqs[-1]

    none = (await client.get("/v1/warnings?kind=campaign", headers=world.all_supervisor)).json()
    assert none["items"] == []
    bad = await client.get("/v1/warnings?kind=gossip", headers=world.all_supervisor)
    assert bad.status_code == 422
    unknown = await client.get("/v1/warnings?sector=space", headers=world.all_supervisor)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "sector"


async def test_each_role_sees_its_scope(
    client: httpx.AsyncClient, world: World, raised: None, app: FastAPI
) -> None:
    responder = (await client.get("/v1/warnings", headers=world.energy_responder)).json()["items"]
    assert responder
    assert all("energy" in w["sectors"] for w in responder)
    # of water it sees only that water's level is a risk to energy (which depends on it)
    assert [(w["kind"], w["level"]) for w in responder if w["sector"] == "water"] == [
        ("dependency", "orange")
    ]

    operator = (await client.get("/v1/warnings", headers=world.aqua)).json()["items"]
    # Water rose once, on its own report: energy's level never raises it. Dependency warnings
    # go to supervisors and responders, not to operators.
    assert [(w["kind"], w["sector"], w["level"]) for w in operator] == [
        ("sector_level", "water", "orange"),
    ]

    water_only = await add_key(app, Role.responder, sectors=["water"])
    water = (await client.get("/v1/warnings", headers=water_only)).json()["items"]
    assert water
    assert all("water" in w["sectors"] for w in water)


async def test_acknowledge_records_who_and_when_once(
    client: httpx.AsyncClient, world: World, raised: None, app: FastAPI, clock: ManualClock
) -> None:
    warning = (
        await client.get("/v1/warnings?sector=energy", headers=world.energy_responder)
    ).json()["items"][0]
    events_before = await count_rows(app, "events")
    clock.advance(timedelta(minutes=5))
    acked = await client.post(f"/v1/warnings/{warning['id']}/ack", headers=world.energy_responder)
    assert acked.status_code == 200
    body = acked.json()
    assert body["acknowledged_at"] == "2026-03-02T09:05:00Z"
    assert "responder" in body["acknowledged_by"]
    assert await count_rows(app, "events") == events_before + 1

    clock.advance(timedelta(minutes=5))
    again = await client.post(f"/v1/warnings/{warning['id']}/ack", headers=world.all_supervisor)
    assert again.status_code == 200
    assert again.json()["acknowledged_at"] == "2026-03-02T09:05:00Z"
    assert again.json()["acknowledged_by"] == body["acknowledged_by"]
    assert await count_rows(app, "events") == events_before + 1

    listed = (
        await client.get("/v1/warnings?acknowledged=true", headers=world.all_supervisor)
    ).json()
    assert [w["id"] for w in listed["items"]] == [warning["id"]]


async def test_acknowledge_refusals(
    client: httpx.AsyncClient, world: World, raised: None, app: FastAPI
) -> None:
    water = next(
        w
        for w in (
            await client.get("/v1/warnings?sector=water", headers=world.all_supervisor)
        ).json()["items"]
        if w["sector"] == "water" and w["kind"] == "sector_level"
    )
    out_of_scope = await client.post(
        f"/v1/warnings/{water['id']}/ack", headers=world.energy_responder
    )
    assert out_of_scope.status_code == 404
    missing = await client.post("/v1/warnings/999999/ack", headers=world.energy_responder)
    assert missing.status_code == 404
    operator = await client.post(f"/v1/warnings/{water['id']}/ack", headers=world.aqua)
    assert operator.status_code == 403
    assert (await client.post(f"/v1/warnings/{water['id']}/ack")).status_code == 401
    listed = (
        await client.get("/v1/warnings?acknowledged=true", headers=world.all_supervisor)
    ).json()
    assert listed["items"] == []


async def test_campaigns_are_for_supervisors_and_responders(
    client: httpx.AsyncClient, world: World
) -> None:
    assert (await client.get("/v1/campaigns", headers=world.grid_north)).status_code == 403
    assert (await client.get("/v1/campaigns", headers=world.energy_responder)).json() == {
        "items": [],
        "next": None,
    }


async def test_a_sector_lists_only_the_campaigns_its_reader_may_see(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    """The sector view shows the campaigns `GET /v1/campaigns` would show the same key."""
    await add_org(app, "grid-east", "energy")
    east = await add_key(app, Role.operator, org="grid-east")
    c2 = [{"type": "domain", "value": "update-check.energy-portal.ru"}]
    for headers in (world.grid_north, world.grid_south, east):
        assert (await client.post("/v1/incidents", json=incident(indicators=c2),
                                  headers=headers)).status_code == 201  # fmt: skip
    await settle(app)
    water_only = await add_key(app, Role.responder, sectors=["water"])

    def campaigns(detail: httpx.Response) -> list[str]:
        assert detail.status_code == 200, detail.text
        return [c["indicator"]["value"] for c in detail.json()["campaigns"]]

    energy = "/v1/sectors/energy"
    assert campaigns(await client.get(energy, headers=world.energy_responder)) == [c2[0]["value"]]
    assert campaigns(await client.get(energy, headers=world.all_supervisor)) == [c2[0]["value"]]
    # refused /v1/campaigns (403) or out of scope there: none here either
    assert campaigns(await client.get(energy, headers=world.grid_north)) == []
    assert campaigns(await client.get(energy, headers=water_only)) == []
    assert (await client.get("/v1/campaigns", headers=water_only)).json()["items"] == []


async def test_levels_come_down_with_time(
    client: httpx.AsyncClient, world: World, raised: None, app: FastAPI, clock: ManualClock
) -> None:
    """De-escalation is time-driven: no report arrives, the level falls by itself, announced by a
    level event but no warning."""
    warnings_before = await count_rows(app, "warnings")
    clock.advance(timedelta(days=3))
    await settle(app)
    items = (await client.get("/v1/sectors", headers=world.all_supervisor)).json()["items"]
    levels = {i["sector"]: i["level"] for i in items}
    assert levels["energy"] == "none"
    assert levels["water"] == "none"
    assert await count_rows(app, "warnings") == warnings_before
    history = (await client.get("/v1/sectors/energy", headers=world.all_supervisor)).json()[
        "history"
    ]
    assert history[0]["level"] == "none"
    assert history[0]["previous_level"] in ("orange", "yellow", "blue")
