"""`awareness rescore`: rebuild from the reports alone, backtest other weights, replace."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from awareness.api.app import create_app
from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.paths import resource_dir
from tests.conftest import START, add_key, add_org, make_settings, settle
from tests.servers import run_cli

SEVERE = {
    "detected_at": START.isoformat(),
    "category": "ransomware",
    "functional_impact": "denial_critical",
    "location": "critical_systems",
    "recoverability": "extended",
}


async def _history(database_url: str) -> None:
    app = create_app(make_settings(database_url), clock=ManualClock(START))
    async with LifespanManager(app):
        await add_org(app, "grid", "energy")
        key = await add_key(app, Role.operator, org="grid")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post("/v1/incidents", json=SEVERE, headers=key)
            assert response.status_code == 201
        await settle(app)


async def test_rescore_commands(database_url: str, tmp_path: Path) -> None:
    await _history(database_url)

    same = run_cli(database_url, "rescore", "--dry-run")
    assert "same levels, level changes and warnings" in same.stdout
    # What the history costs in attention, per sector and kind, live and rebuilt.
    assert "warnings per sector and kind (live -> rebuilt):" in same.stdout
    assert re.search(r"^  energy\s+sector_level\s+1 -> 1$", same.stdout, re.M), same.stdout
    assert re.search(r"^  total\s+1 -> 1 \(1\.00 -> 1\.00 per report\)$", same.stdout, re.M)

    other = tmp_path / "config"
    shutil.copytree(resource_dir("config"), other)
    scoring = other / "scoring.toml"
    text = scoring.read_text()
    # The incident's severity is about 69: a significant-incident floor at 75 no longer holds.
    assert "\nsignificant_severity = 60 " in text
    scoring.write_text(text.replace("\nsignificant_severity = 60 ", "\nsignificant_severity = 75 "))
    backtest = run_cli(database_url, "rescore", "--config", str(other), "--dry-run")
    assert "energy: level now yellow -> blue" in backtest.stdout
    assert "only live" in backtest.stdout
    assert re.search(r"^  energy\s+sector_level\s+1 -> 1$", backtest.stdout, re.M)

    replaced = run_cli(database_url, "rescore", "--config", str(other))
    assert "live state replaced" in replaced.stdout
    assert "energy: yellow -> blue" in replaced.stdout
    again = run_cli(database_url, "rescore", "--config", str(other), "--dry-run")
    assert "energy: level now" not in again.stdout
