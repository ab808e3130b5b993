"""A batch evaluated at once gives the same levels, level changes and warnings as the same
reports correlated one by one: the correlator reads and writes per batch, but each report is
still judged on what was reported before it, and nothing after."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.correlator import rescore
from awareness.db.tables import reports, warnings
from awareness.settings import Settings
from tests.conftest import PLC, add_key, add_org, make_settings
from tests.correlator.test_scenario import CAMPAIGN_IP, SEVERE


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Reports are only stored here; the rebuilds below correlate them."""
    return make_settings(database_url, correlator={"enabled": False})


async def _report(
    client: httpx.AsyncClient, clock: ManualClock, key: dict[str, str], **fields: object
) -> None:
    body = {"detected_at": clock.now().isoformat(), "category": "intrusion",
            "functional_impact": "minimal_critical", **fields}  # fmt: skip
    assert (await client.post("/v1/incidents", json=body, headers=key)).status_code == 201


async def test_one_batch_equals_one_report_at_a_time(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock, tmp_path: Path
) -> None:
    keys = {}
    for org, sector in [("e1", "energy"), ("e2", "energy"), ("e3", "energy"), ("e4", "energy"),
                        ("w1", "water"), ("w2", "water"), ("h1", "healthcare")]:  # fmt: skip
        await add_org(app, org, sector)
        keys[org] = await add_key(app, Role.operator, org=org)
    for org, asset in [("e1", "plc-1"), ("w2", "pump-plc"), ("h1", "bms-plc")]:
        body = {"asset_id": asset, **PLC}
        assert (await client.post("/v1/assets", json=body, headers=keys[org])).status_code == 201
    ip = [{"type": "ipv4", "value": CAMPAIGN_IP}]
    # The same indicator comes in from five organizations in two sectors, interleaved with
    # other reports, some severe, one on the PLC others run; then a quiet day, then more.
    for step, org in enumerate(["e1", "e2", "w1", "e3", "w2"]):
        clock.advance(timedelta(minutes=7))
        await _report(client, clock, keys[org], indicators=ip)
        await _report(client, clock, keys["e4"], indicators=[
            {"type": "domain", "value": f"n{step}.unrelated-host.net"}])  # fmt: skip
    await _report(client, clock, keys["e1"], affected_assets=["plc-1"], **SEVERE)
    await _report(client, clock, keys["e2"], **SEVERE)
    clock.advance(timedelta(days=1))
    await _report(client, clock, keys["h1"], indicators=ip)
    await _report(client, clock, keys["w1"], **SEVERE)

    components = app.state.components
    built = {}
    # One report a batch, the state read again for each; the same, each batch taking up the
    # state the previous one left (as the live correlator does); and all in one batch.
    # The last keeps two reporters from one batch to the next: most are read again.
    settings = components.settings
    forgetful = settings.model_copy(
        update={"correlator": settings.correlator.model_copy(update={"ledger_rows": 2})}
    )
    runs = {"alone": (1, False, settings), "carried": (1, True, settings),
            "one batch": (1000, True, settings), "forgetful": (1, True, forgetful)}  # fmt: skip
    for name, (size, carry, chosen) in runs.items():
        scratch = tmp_path / name.replace(" ", "-")
        scratch.mkdir()
        built[name] = await rescore.rebuild(
            components.database, chosen, scratch_dir=scratch, now=clock.now(),
            batch=size, carry=carry,
        )  # fmt: skip
    try:
        comparisons = [
            await rescore.compare(built[name], built["one batch"])
            for name in ("alone", "carried", "forgetful")
        ]
        async with built["one batch"].read() as conn:
            kinds = sorted((await conn.execute(sa.select(warnings.c.kind))).scalars())
            total = (await conn.execute(sa.select(sa.func.count()).select_from(reports))).scalar()
    finally:
        for database in built.values():
            await database.dispose()
    for comparison in comparisons:
        assert comparison.identical, "\n".join(comparison.lines())
    assert total == 17
    assert {"campaign", "exposure", "sector_level"} <= set(kinds), kinds
