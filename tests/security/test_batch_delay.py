"""One operator's largest batch holds back another operator's campaign warning by seconds, not
minutes: reports are correlated in the order they were acknowledged, so the caps on indicators
per incident and per batch are what bound the wait."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI

from awareness.auth.principal import Role
from awareness.settings import LimitSettings
from tests.conftest import World, add_key, add_org, incident, settle

CAMPAIGN = "c2.grid-intrusion.net"
DELAY_BOUND_SECONDS = 5.0


def _largest_batch() -> dict[str, object]:
    """As many incidents as a batch takes, with every indicator the batch cap allows, each
    distinct and each able to make a campaign (no reserved or benign names)."""
    limits = LimitSettings()
    items = limits.max_batch_items
    per = limits.max_indicators_per_batch // items
    assert per * items == limits.max_indicators_per_batch
    return {
        "incidents": [
            incident(
                indicators=[{"type": "domain", "value": f"n{i}-{j}.bulk.net"} for j in range(per)]
            )
            for i in range(items)
        ]
    }


async def _campaign_warning(client: httpx.AsyncClient, reader: dict[str, str]) -> float:
    """Seconds until the campaign warning is listed."""
    started = time.monotonic()
    while time.monotonic() - started < 60:
        listed = await client.get("/v1/warnings?kind=campaign", headers=reader)
        if any(CAMPAIGN in str(w) for w in listed.json()["items"]):
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    pytest.fail("no campaign warning within a minute")


async def test_the_largest_batch_delays_a_campaign_warning_by_seconds(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    await add_org(app, "grid-east", "energy")
    east = await add_key(app, Role.operator, org="grid-east")
    await add_org(app, "bulk", "energy")
    bulk = await add_key(app, Role.operator, org="bulk")
    seen = incident(indicators=[{"type": "domain", "value": CAMPAIGN}])
    for operator in (world.grid_north, world.grid_south):
        assert (await client.post("/v1/incidents", json=seen, headers=operator)).status_code == 201
    await settle(app)

    batch = await client.post("/v1/incidents/batch", json=_largest_batch(), headers=bulk)
    assert batch.status_code == 201, batch.text
    # The third organization completes the campaign just behind the batch.
    assert (await client.post("/v1/incidents", json=seen, headers=east)).status_code == 201
    waited = await _campaign_warning(client, world.energy_supervisor)
    assert waited < DELAY_BOUND_SECONDS, f"the warning waited {waited:.1f} s behind one batch"


async def test_a_batch_over_the_indicator_cap_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    cap = LimitSettings().max_indicators_per_batch

    def three(i: int) -> list[dict[str, str]]:
        return [{"type": "domain", "value": f"m{i}-{j}.bulk-upload.net"} for j in range(3)]

    over = {"incidents": [incident(indicators=three(i)) for i in range(cap // 3 + 1)]}
    refused = await client.post("/v1/incidents/batch", json=over, headers=world.grid_north)
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["field"] == "incidents"
    assert f"at most {cap} indicators per batch" in error["message"]
