"""A correlator that dies in the middle of a batch loses and duplicates nothing: the batch rolls
back and is replayed with the same result."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from awareness.correlator import rescore, steps
from awareness.correlator.state import Context
from awareness.db.engine import Database
from awareness.db.tables import correlator_state, reports, warnings
from awareness.settings import load_settings
from tests.conftest import World, settle
from tests.servers import ServerProcess, create_key, run_cli

RANSOM = {
    "category": "ransomware",
    "functional_impact": "denial_critical",
    "location": "critical_systems",
    "recoverability": "extended",
}


def _batch(start: datetime, count: int, orgs: int = 1) -> dict[str, Any]:
    return {
        "incidents": [
            {
                "detected_at": (start + timedelta(seconds=i)).isoformat(),
                **(
                    RANSOM
                    if i % 7 == 0
                    else {"category": "malware", "functional_impact": "minimal_critical"}
                ),
                "indicators": [{"type": "domain", "value": f"c2-{i % 3}.example.net"}],
            }
            for i in range(count)
        ]
    }


async def _assert_same_as_rebuilt(database: Database, tmp_path: Path) -> None:
    settings = load_settings(database_url=str(database.url.render_as_string(hide_password=False)))
    rebuilt = await rescore.rebuild(database, settings, scratch_dir=tmp_path, now=datetime.now(UTC))
    try:
        comparison = await rescore.compare(database, rebuilt)
    finally:
        await rebuilt.dispose()
    assert comparison.identical, "\n".join(comparison.lines())


async def _duplicates(database: Database) -> list[tuple[Any, ...]]:
    async with database.read() as conn:
        rows = await conn.execute(
            sa.select(warnings.c.kind, warnings.c.sector, warnings.c.created_at, warnings.c.title)
        )
        counted = Counter(tuple(row) for row in rows)
    return [row for row, n in counted.items() if n > 1]


async def test_crash_in_the_middle_of_a_batch(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    original = steps.incident
    calls = {"n": 0}

    async def dies_once(ctx: Context, *args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 25:
            raise RuntimeError("correlator killed mid-batch")
        await original(ctx, *args)

    monkeypatch.setattr(steps, "incident", dies_once)
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    for headers in (world.grid_north, world.grid_south, world.aqua):
        response = await client.post("/v1/incidents/batch", json=_batch(start, 40), headers=headers)
        assert response.status_code == 201
    for _ in range(3):
        await settle(app)
    assert calls["n"] > 120, "the batch was replayed after the crash"
    database = app.state.components.database
    assert await _duplicates(database) == []
    await _assert_same_as_rebuilt(database, tmp_path)


@pytest.mark.slow
async def test_sigkill_while_correlating(database_url: str, tmp_path: Path) -> None:
    run_cli(database_url, "migrate")
    for org, sector in (("e1", "energy"), ("e2", "energy"), ("w1", "water")):
        run_cli(database_url, "orgs", "create", org, "--name", org, "--sector", sector)
    keys = {
        org: create_key(database_url, "--role", "operator", "--org", org)
        for org in ("e1", "e2", "w1")
    }
    start = datetime.now(UTC) - timedelta(hours=2)
    ingest = ServerProcess(
        database_url, log_path=tmp_path / "ingest.log", AWARENESS_CORRELATOR__ENABLED="false"
    )
    with ingest:
        async with httpx.AsyncClient(base_url=ingest.url, timeout=60) as http:
            for round_ in range(4):
                for key in keys.values():
                    response = await http.post(
                        "/v1/incidents/batch",
                        json=_batch(start + timedelta(minutes=round_ * 10), 250),
                        headers={"Authorization": f"Bearer {key}"},
                    )
                    assert response.status_code == 201
    database = Database(database_url)
    try:
        async with database.read() as conn:
            total = (
                await conn.execute(sa.select(sa.func.count()).select_from(reports))
            ).scalar_one()
        assert total == 3000

        correlating = ServerProcess(
            database_url, log_path=tmp_path / "first.log", AWARENESS_CORRELATOR__BATCH_SIZE="100"
        ).start()
        await _wait_for_progress(database, lambda done: done > 0)
        correlating.kill()
        async with database.read() as conn:
            done = (await conn.execute(sa.select(correlator_state.c.report_id))).scalar()
        assert done is not None
        assert done < 3000, "killed mid-way"

        with ServerProcess(database_url, log_path=tmp_path / "second.log"):
            await _wait_for_progress(database, lambda done: done == 3000)
        assert await _duplicates(database) == []
        await _assert_same_as_rebuilt(database, tmp_path)
    finally:
        await database.dispose()


async def _wait_for_progress(database: Database, good: Any) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        async with database.read() as conn:
            done = (await conn.execute(sa.select(correlator_state.c.report_id))).scalar()
        if done is not None and good(done):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the correlator made no progress")
