"""An acknowledged report survives the process being killed, and concurrent writers never see
"database is locked": real server processes, real databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.servers import ServerProcess, create_key, run_cli

pytestmark = pytest.mark.slow


def _now_incident(**fields: object) -> dict[str, object]:
    return {
        "detected_at": datetime.now(UTC).isoformat(),
        "category": "ransomware",
        "functional_impact": "denial_critical",
        **fields,
    }


def _register(database_url: str) -> dict[str, str]:
    run_cli(database_url, "migrate")
    run_cli(database_url, "orgs", "create", "grid-north", "--name", "GN", "--sector", "energy")
    key = create_key(database_url, "--role", "operator", "--org", "grid-north")
    return {"Authorization": f"Bearer {key}"}


def test_acknowledged_reports_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    headers = _register(database_url)
    server = ServerProcess(database_url, log_path=tmp_path / "server.log").start()
    acknowledged: dict[int, str] = {}
    try:
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
            for i in range(20):
                response = client.post("/v1/incidents", json=_now_incident(reference=f"r{i}"))
                assert response.status_code == 201
                acknowledged[response.json()["id"]] = f"r{i}"
            batch = client.post(
                "/v1/incidents/batch",
                json={"incidents": [_now_incident(reference=f"b{i}") for i in range(50)]},
            )
            assert batch.status_code == 201
            acknowledged |= {id_: f"b{i}" for i, id_ in enumerate(batch.json()["ids"])}
    finally:
        server.kill()

    with (
        ServerProcess(database_url, log_path=tmp_path / "server2.log") as restarted,
        httpx.Client(base_url=restarted.url, headers=headers, timeout=10) as client,
    ):
        for incident_id, reference in acknowledged.items():
            got = client.get(f"/v1/incidents/{incident_id}")
            assert got.status_code == 200
            assert got.json()["reference"] == reference


async def test_concurrent_writers_across_processes(database_url: str, tmp_path: Path) -> None:
    """Two server processes on one database, forty concurrent writers: every write is
    acknowledged and stored, none fails with a lock error."""
    headers = _register(database_url)
    with (
        ServerProcess(database_url, log_path=tmp_path / "a.log") as first,
        ServerProcess(database_url, log_path=tmp_path / "b.log") as second,
    ):
        async with httpx.AsyncClient(headers=headers, timeout=60) as client:

            async def write(i: int) -> httpx.Response:
                server = first if i % 2 else second
                if i % 5 == 0:
                    return await client.post(
                        f"{server.url}/v1/assets", json={"asset_id": f"asset-{i}"}
                    )
                return await client.post(f"{server.url}/v1/incidents", json=_now_incident())

            responses = await asyncio.gather(*(write(i) for i in range(40)))
            assert sorted({r.status_code for r in responses}) == [201], [
                r.text for r in responses if r.status_code != 201
            ]
            listed = await client.get(f"{first.url}/v1/incidents?limit=1000")
            assert len(listed.json()["items"]) == 32
            assets = await client.get(f"{second.url}/v1/assets?limit=1000")
            assert len(assets.json()["items"]) == 8
    for log in ("a.log", "b.log"):
        assert "locked" not in (tmp_path / log).read_text()
