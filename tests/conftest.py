"""Shared fixtures. Every storage and API test runs twice: on embedded SQLite and on a real
PostgreSQL, each migrated by the real Alembic chain.

PostgreSQL: `AWARENESS_TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/test),
a database the tests may create other databases from. Without a reachable server the
PostgreSQL half is skipped with a message; `AWARENESS_REQUIRE_POSTGRES=1` makes it a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from awareness.api.app import create_app
from awareness.auth import keys, orgs
from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.db.engine import Database
from awareness.db.migrate import upgrade_to_head
from awareness.db.tables import metadata
from awareness.settings import Settings, load_settings

T = TypeVar("T")
PG_URL = os.environ.get(
    "AWARENESS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
).replace("postgresql+asyncpg://", "postgresql://")
REQUIRE_PG = os.environ.get("AWARENESS_REQUIRE_POSTGRES") == "1"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEST_SECRETS_KEY = "p3bOyUgs8i9xD1lqvF0Zk4n7bHdtUQ5Dk3iJXoWb7cE="


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Runs a coroutine to completion on a private loop in its own thread, so session set-up
    never touches the event loop pytest-asyncio gives each test."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(factory()))  # type: ignore[arg-type]
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def asyncpg_url(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + database


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    async def probe() -> None:
        conn = await asyncpg.connect(PG_URL, timeout=3)
        await conn.close()

    try:
        run_sync(probe)
    except Exception as exc:
        message = (
            f"PostgreSQL is not reachable at {PG_URL} ({type(exc).__name__}: {exc}). "
            "Start PostgreSQL, or point AWARENESS_TEST_POSTGRES_URL at one, to run the "
            "PostgreSQL half of the suite."
        )
        if REQUIRE_PG:
            pytest.fail(message + " AWARENESS_REQUIRE_POSTGRES=1 makes this mandatory.")
        pytest.skip(message)
    return PG_URL


class PostgresDatabases:
    """Creates throw-away databases on the test server and drops them at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def create(self, *, migrate: bool) -> str:
        name = f"awareness_test_{uuid.uuid4().hex[:12]}"

        async def make() -> None:
            conn = await asyncpg.connect(self.admin_url)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        run_sync(make)
        self.created.append(name)
        url = sqlalchemy_url(asyncpg_url(self.admin_url, name))
        if migrate:
            run_sync(lambda: _migrate(url))
        return url

    def drop_all(self) -> None:
        async def drop() -> None:
            conn = await asyncpg.connect(self.admin_url)
            try:
                for name in self.created:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        run_sync(drop)


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await upgrade_to_head(database)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def postgres_databases(postgres_admin_url: str) -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(postgres_admin_url)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def postgres_shared(postgres_databases: PostgresDatabases) -> str:
    """One migrated database for the session; each test starts from empty tables."""
    return postgres_databases.create(migrate=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "awareness.db"
    run_sync(lambda: _migrate(f"sqlite+aiosqlite:///{path}"))
    return path


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


async def empty_database(request: pytest.FixtureRequest, directory: Path) -> str:
    """A migrated database with empty tables, of the kind `request.param` names: a copy of the
    SQLite template in `directory`, or the session's PostgreSQL database truncated."""
    if request.param == "sqlite":
        path = directory / "awareness.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_shared")
    await _truncate(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return await empty_database(request, tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    overrides.setdefault("log", {"access": False})
    overrides.setdefault("limits", {"requests_per_second": 0})
    # Tests send unknown keys on purpose, all from one address; tests/security throttles.
    overrides.setdefault("auth", {"failures_per_second": 0})
    # Tests move the clock themselves: time-driven evaluations may run up to its present.
    overrides.setdefault(
        "correlator", {"tick_grace_seconds": 0, "poll_seconds": 0.2, "retry_seconds": 0.05}
    )
    overrides.setdefault("feed", {"keepalive_seconds": 0.3, "poll_seconds": 0.5})
    # Test receivers listen on loopback; subscription secrets are sealed with a fixed test key.
    overrides.setdefault(
        "delivery",
        {"allow_private_targets": True, "secrets_key": TEST_SECRETS_KEY, "poll_seconds": 0.2},
    )
    return load_settings(database_url=database_url, **overrides)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@dataclass
class World:
    """Organizations and one key per kind of caller, as headers ready to send."""

    grid_north: dict[str, str]  # operator, energy
    grid_south: dict[str, str]  # operator, energy
    aqua: dict[str, str]  # operator, water
    energy_supervisor: dict[str, str]
    all_supervisor: dict[str, str]
    energy_responder: dict[str, str]
    admin: dict[str, str]


async def add_org(app: FastAPI, org_id: str, sector: str) -> None:
    components = app.state.components
    async with components.database.write() as conn:
        await orgs.create_org(
            conn,
            org_id=org_id,
            name=org_id.title(),
            sector=sector,
            region=None,
            known_sectors=components.settings.sectors.sectors,
            now=components.clock.now(),
            actor="test",
        )


async def add_key(
    app: FastAPI, role: Role, *, org: str | None = None, sectors: list[str] | None = None
) -> dict[str, str]:
    components = app.state.components
    async with components.database.write() as conn:
        created = await keys.create_key(
            conn,
            role=role,
            org_id=org,
            sectors=sectors,
            name=None,
            known_sectors=components.settings.sectors.sectors,
            now=components.clock.now(),
            actor="test",
        )
    return {"Authorization": f"Bearer {created.key}"}


@pytest.fixture
async def world(app: FastAPI) -> World:
    await add_org(app, "grid-north", "energy")
    await add_org(app, "grid-south", "energy")
    await add_org(app, "aqua", "water")
    return World(
        grid_north=await add_key(app, Role.operator, org="grid-north"),
        grid_south=await add_key(app, Role.operator, org="grid-south"),
        aqua=await add_key(app, Role.operator, org="aqua"),
        energy_supervisor=await add_key(app, Role.supervisor, sectors=["energy"]),
        all_supervisor=await add_key(app, Role.supervisor),
        energy_responder=await add_key(app, Role.responder, sectors=["energy"]),
        admin=await add_key(app, Role.admin),
    )


async def settle(app: FastAPI) -> None:
    """Wait until the correlator has processed every committed report, the matcher every asset
    and import, and the broadcaster has handed every event they appended to the feed's
    clients."""
    components = app.state.components
    assert components.correlator is not None
    await components.correlator.settle()
    if components.vulnerabilities is not None:
        await components.vulnerabilities.settle()
    await components.feed.settle()


async def count_rows(app: FastAPI, table: str) -> int:
    import sqlalchemy as sa

    async with app.state.components.database.read() as conn:
        return (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()


# A critical PLC, as operators declare one in their asset inventory.
PLC = {"kind": "plc", "vendor": "Siemens", "product": "SIMATIC S7-1500", "criticality": "critical"}

# An incident severe enough (severity about 92) to raise its sector to orange on its own.
SEVERE = {
    "category": "ransomware",
    "functional_impact": "denial_critical",
    "location": "safety_systems",
    "information_impact": "destruction_critical",
    "recoverability": "not_recoverable",
}


async def report_severe(
    client: httpx.AsyncClient, headers: dict[str, str], clock: ManualClock
) -> None:
    body = incident(**SEVERE, detected_at=clock.now().isoformat())
    assert (await client.post("/v1/incidents", json=body, headers=headers)).status_code == 201


def incident(**fields: Any) -> dict[str, Any]:
    """A valid incident body, detected a minute before the test clock's start."""
    body: dict[str, Any] = {
        "detected_at": "2026-03-02T08:59:00Z",
        "category": "intrusion",
        "functional_impact": "minimal_critical",
    }
    body.update(fields)
    return body


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no schema at all, for migration tests."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return databases.create(migrate=False)
