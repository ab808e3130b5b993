"""The demo's scenario played in an instant through the API, on both databases and under both
sector profiles (us-ppd21 and cn-cii): the campaign escalates its sector, warns the operators
running the exploited product elsewhere, pulls dependent sectors up, and everything calms down
afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from awareness.api.app import create_app
from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.demo.cast import cast, exploited_product
from awareness.demo.run import demo_settings
from awareness.demo.scenario import Scenario, Timing
from tests.conftest import START, add_key, add_org, make_settings, settle

# The sector the campaign strikes, and one that depends on it strongly, in each profile.
PROFILES = {"us-ppd21": "water", "cn-cii": "water_conservancy"}


@pytest.fixture(params=sorted(PROFILES))
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def demo_app(database_url: str, clock: ManualClock, profile: str) -> AsyncIterator[FastAPI]:
    app = create_app(demo_settings(make_settings(database_url, profile=profile)), clock=clock)
    async with LifespanManager(app):
        yield app


async def test_the_demo_escalates_warns_and_calms(
    demo_app: FastAPI, clock: ManualClock, profile: str
) -> None:
    dependent = PROFILES[profile]
    exploited = exploited_product()
    operators = cast(seed=7, exploited=exploited, profile=profile)
    keys = {}
    for operator in operators:
        await add_org(demo_app, operator.org_id, operator.sector)
        keys[operator.org_id] = await add_key(demo_app, Role.operator, org=operator.org_id)
    cert = await add_key(demo_app, Role.supervisor)

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))
        await settle(demo_app)

    transport = httpx.ASGITransport(app=demo_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
        lines: list[str] = []
        scenario = Scenario(
            http, operators=operators, keys=keys, exploited=exploited, now=clock.now,
            sleep=sleep, say=lines.append, timing=Timing(), seed=7,
        )  # fmt: skip
        await scenario.register()
        await scenario.noise(Timing().lead_in)
        await scenario.campaign("energy")
        await settle(demo_app)

        levels = await _levels(http, cert)
        assert levels["energy"] == "red"
        assert levels[dependent] == "none", "a dependent sector is told, its level does not move"
        assert set(levels) == set(demo_app.state.components.settings.sectors.sectors)
        sectors = (await http.get("/v1/sectors", headers=cert)).json()["items"]
        water = next(item for item in sectors if item["sector"] == dependent)
        assert water["dependency_risk"] == [
            {"sector": "energy", "level": "red", "strength": "strong"}
        ]
        warnings = (await http.get("/v1/warnings?limit=1000", headers=cert)).json()["items"]
        assert [w["level"] for w in warnings if w["kind"] == "dependency"] == ["orange", "red"]
        campaigns = [w for w in warnings if w["kind"] == "campaign"]
        assert campaigns
        assert campaigns[0]["evidence"]["indicator"]["type"] == "ipv4"
        (intrusion,) = (await http.get("/v1/campaigns", headers=cert)).json()["items"]
        assert [i["type"] for i in intrusion["indicators"]] == ["ipv4", "cve"]
        exposed = {org for w in warnings if w["kind"] == "exposure" for org in w["target_orgs"]}
        runners = {
            o.org_id for o in operators if o.asset_running(exploited) and o.sector != "energy"
        }
        assert exposed
        assert exposed <= runners | {o.org_id for o in operators if o.sector == "energy"}
        assert runners & exposed, "operators running the exploited product elsewhere are warned"

        await scenario.noise(Timing().calm)
        await settle(demo_app)
        calm = await _levels(http, cert)
        assert calm["energy"] in ("none", "blue"), calm
        assert all(level in ("none", "blue") for level in calm.values()), calm
    assert clock.now() > START


async def _levels(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    items = (await http.get("/v1/sectors", headers=headers)).json()["items"]
    return {item["sector"]: item["level"] for item in items}
