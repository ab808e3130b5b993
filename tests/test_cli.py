"""The `awareness` command as a user types it, against a real database."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from awareness.api.app import create_app
from tests.conftest import incident, make_settings
from tests.servers import create_key, run_cli


async def test_register_an_org_and_use_its_key(database_url: str) -> None:
    created = run_cli(
        database_url, "orgs", "create", "grid-north", "--name", "Grid North", "--sector", "energy",
        "--region", "north",
    )  # fmt: skip
    assert "grid-north" in created.stdout
    key = create_key(database_url, "--role", "operator", "--org", "grid-north", "--name", "scada")
    assert key.startswith("aw_")
    assert len(key) > 40

    listed = run_cli(database_url, "orgs", "list")
    assert "grid-north\tenergy\tGrid North\tnorth" in listed.stdout

    app = create_app(make_settings(database_url))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/v1/incidents",
                json=incident(detected_at="2026-01-01T00:00:00Z"),
                headers={"Authorization": f"Bearer {key}"},
            )
    assert response.status_code == 201


async def test_keys_for_each_role(database_url: str) -> None:
    run_cli(database_url, "orgs", "create", "aqua", "--name", "Aqua", "--sector", "water")
    keys = {
        create_key(database_url, "--role", "supervisor", "--sector", "water", "--sector", "energy"),
        create_key(database_url, "--role", "responder"),
        create_key(database_url, "--role", "admin"),
        create_key(database_url, "--role", "operator", "--org", "aqua"),
    }
    assert len(keys) == 4


async def test_mistakes_say_what_to_fix(database_url: str) -> None:
    no_org = run_cli(database_url, "keys", "create", "--role", "operator", check=False)
    assert no_org.returncode == 2
    assert "--org" in no_org.stderr
    assert no_org.stdout == ""

    bad_sector = run_cli(
        database_url, "orgs", "create", "x", "--name", "X", "--sector", "space", check=False
    )
    assert bad_sector.returncode == 2
    assert "unknown sector 'space'" in bad_sector.stderr

    run_cli(database_url, "orgs", "create", "x", "--name", "X", "--sector", "dams")
    again = run_cli(
        database_url, "orgs", "create", "x", "--name", "X", "--sector", "dams", check=False
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_unreachable_database_is_explained() -> None:
    result = run_cli("postgresql+asyncpg://postgres@127.0.0.1:1/none", "migrate", check=False)
    assert result.returncode == 1
    assert "cannot use the database" in result.stderr
    assert "AWARENESS_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_setting_is_named(tmp_path: object) -> None:
    import subprocess
    import sys

    from tests.servers import cli_env

    env = cli_env("sqlite+aiosqlite:////tmp/x.db", AWARENESS_LIMITS__MAX_BATCH_ITEMS="5000")
    result = subprocess.run(
        [sys.executable, "-m", "awareness.cli", "migrate"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "AWARENESS_LIMITS__MAX_BATCH_ITEMS" in result.stderr
