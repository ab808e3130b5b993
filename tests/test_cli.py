"""The `awareness` command as a user types it, against a real database."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from subprocess import CompletedProcess

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from awareness.api.app import create_app
from awareness.db.engine import Database
from awareness.db.migrate import current_revision, head_revision, upgrade_to_head
from tests.conftest import (
    PostgresDatabases,
    asyncpg_url,
    incident,
    make_settings,
    run_sync,
    sqlalchemy_url,
)
from tests.db.conftest import run_alembic
from tests.servers import create_key, free_port, run_cli


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


# Every command that opens the database, as a user would first type it.
DATABASE_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("orgs", "create", "grid-north", "--name", "Grid North", "--sector", "energy"),
    ("orgs", "list"),
    ("keys", "create", "--role", "admin"),
    ("keys", "revoke", "1"),
    ("rescore",),
    ("audit", "verify"),
    ("feeds", "import", "kev", "known_exploited_vulnerabilities.json"),
    ("feeds", "import", "csaf", "advisories"),
)
MIGRATE_FIRST = 'run "awareness migrate" first'
CHECK_URL = "check that it is running and that AWARENESS_DATABASE_URL points at it"


def schema_changers() -> tuple[tuple[str, ...], ...]:
    """The commands that migrate before anything else (`serve` on a port of its own, should it
    ever get as far as listening)."""
    return (("migrate",), ("serve", "--port", str(free_port())))


def run_each(
    database_url: str, commands: Sequence[tuple[str, ...]]
) -> dict[tuple[str, ...], CompletedProcess[str]]:
    """All at once, each a process of its own: none gets past its first look at the database,
    so none waits for another, and the suite waits for the slowest rather than the sum."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        results = pool.map(lambda args: run_cli(database_url, *args, check=False), commands)
        return dict(zip(commands, results, strict=True))


def one_error_line(args: tuple[str, ...], result: CompletedProcess[str]) -> str:
    """Asserts the command failed as a user should see it: exit 1, nothing on stdout, no
    traceback, a single line on stderr; returns that line."""
    shown = (
        f"awareness {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    )
    assert result.returncode == 1, shown
    assert "Traceback" not in result.stdout + result.stderr, shown
    assert result.stdout == "", shown
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, shown
    assert lines[0].startswith("error: "), shown
    return lines[0]


def shown_url(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


def table_names(database_url: str) -> list[str] | None:
    """The database's tables; None for a SQLite file that is not there (looking would create
    it)."""
    path = make_url(database_url).database or ""
    if database_url.startswith("sqlite") and not Path(path).exists():
        return None

    async def names() -> list[str]:
        database = Database(database_url)
        try:
            async with database.engine.connect() as conn:
                return await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        finally:
            await database.dispose()

    return run_sync(names)


def revision_of(database_url: str) -> str | None:
    async def read() -> str | None:
        database = Database(database_url)
        try:
            return await current_revision(database)
        finally:
            await database.dispose()

    return run_sync(read)


@pytest.fixture(params=["sqlite-no-file", "sqlite-empty-file", "postgresql"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database no `awareness migrate` has touched: a SQLite file not there yet, one that is
    there but empty (created by hand, say), an empty PostgreSQL database."""
    if request.param == "postgresql":
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        return databases.create(migrate=False)
    path = tmp_path / "awareness.db"
    if request.param == "sqlite-empty-file":
        path.touch()
    return f"sqlite+aiosqlite:///{path}"


def test_an_unmigrated_database_is_left_alone_and_migrate_is_named(unmigrated_url: str) -> None:
    """No command but `migrate` and `serve` creates a schema, not even one that writes: a
    mistyped URL must not quietly become a new, empty database."""
    before = table_names(unmigrated_url)
    expected = (
        f"error: the database at {shown_url(unmigrated_url)} has no schema yet: {MIGRATE_FIRST}"
    )
    for args, result in run_each(unmigrated_url, DATABASE_COMMANDS).items():
        assert one_error_line(args, result) == expected
    assert table_names(unmigrated_url) == before

    run_cli(unmigrated_url, "migrate")
    assert revision_of(unmigrated_url) == head_revision()


OLDER = "0004_consumers_and_utc_z"
UNKNOWN = "ffff_from_a_newer_awareness"


@pytest.mark.parametrize("revision", [OLDER, UNKNOWN])
async def test_a_schema_not_at_head_is_left_alone(empty_database_url: str, revision: str) -> None:
    """An older schema names `awareness migrate`; one this version does not know (a newer
    awareness migrated it, or the URL is wrong) cannot be mended by migrating, so `migrate` and
    `serve` refuse it too and name what to do instead. Either way the schema stays as it was.
    The unknown revision runs a read, a write and the two that migrate, not every command:
    they all pass the same check, which the older revision runs every command through."""
    database = Database(empty_database_url)
    try:
        if revision == OLDER:
            await run_alembic(database, command.upgrade, OLDER)
        else:
            await upgrade_to_head(database)
            async with database.write() as conn:
                await conn.execute(
                    sa.text("UPDATE alembic_version SET version_num = :revision"),
                    {"revision": UNKNOWN},
                )
    finally:
        await database.dispose()
    url = shown_url(empty_database_url)
    if revision == OLDER:
        commands = DATABASE_COMMANDS
        expected = (
            f"error: the database at {url} is at schema revision {OLDER}, not {head_revision()}: "
            f"{MIGRATE_FIRST}"
        )
    else:
        commands = (("orgs", "list"), ("keys", "create", "--role", "admin"), *schema_changers())
        expected = (
            f"error: the database at {url} is at schema revision {UNKNOWN}, which this awareness "
            f"(newest {head_revision()}) does not know: run the version that migrated it, or "
            "check AWARENESS_DATABASE_URL"
        )
    for args, result in run_each(empty_database_url, commands).items():
        assert one_error_line(args, result) == expected
    assert revision_of(empty_database_url) == revision


@pytest.mark.parametrize(
    "where", ["postgresql-refused", "postgresql-no-database", "sqlite-no-directory"]
)
def test_an_unreachable_database_is_one_line_naming_it(
    where: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Nothing listening, a server without that database, a directory that is not there: each
    command says which URL (never its password) and what to check, in one line; `settings`,
    which does not open the database, still shows the URL the others would use."""
    if where == "postgresql-refused":
        database_url = "postgresql+asyncpg://awareness:s3cret@127.0.0.1:1/none"
    elif where == "postgresql-no-database":
        admin: str = request.getfixturevalue("postgres_admin_url")
        missing = make_url(sqlalchemy_url(asyncpg_url(admin, "awareness_not_there")))
        database_url = missing.set(password="s3cret").render_as_string(hide_password=False)
    else:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'not-there' / 'awareness.db'}"
    results = run_each(database_url, (*DATABASE_COMMANDS, *schema_changers(), ("settings",)))
    shown = results.pop(("settings",))
    assert shown.returncode == 0, shown.stderr
    assert shown_url(database_url) in shown.stdout
    assert "s3cret" not in shown.stdout + shown.stderr
    start = f"error: cannot use the database at {shown_url(database_url)} ("
    for args, result in results.items():
        line = one_error_line(args, result)
        assert line.startswith(start), line
        assert line.endswith(f"): {CHECK_URL}"), line
        assert "s3cret" not in line
    assert not (tmp_path / "not-there").exists()
