"""`awareness audit verify`: an intact chain verifies with its count; a record edited or deleted
with direct SQL is named, with what is wrong; retention keeps the rest verifiable; trails
written before the chain existed are hashed by the migration and verify too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from awareness.auth import audit, chain
from awareness.db.engine import Database
from tests.db.conftest import run_alembic
from tests.servers import run_cli

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    opened = Database(database_url)
    try:
        yield opened
    finally:
        await opened.dispose()


async def append(database: Database, count: int, *, start: datetime = START) -> None:
    """`count` records, a minute apart, of the kinds the service writes."""
    async with database.write() as conn:
        for n in range(count):
            await audit.record(
                conn, at=start + timedelta(minutes=n), actor=f"key:{n % 3 + 1}",
                action="export.read", target="warnings", org_id=None,
                details={"route": "atom", "count": n, "note": "ünïcode ✓"},
            )  # fmt: skip


async def execute(database: Database, statement: str) -> None:
    async with database.write() as conn:
        await conn.execute(sa.text(statement))


def verify(database_url: str) -> tuple[int, str, str]:
    result = run_cli(database_url, "audit", "verify", check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout, result.stderr


async def test_an_intact_chain_verifies_with_its_count(
    database: Database, database_url: str
) -> None:
    code, out, _ = verify(database_url)
    assert (code, out.strip().startswith("audit trail intact: 0 records")) == (0, True)
    await append(database, 5)
    code, out, err = verify(database_url)
    assert code == 0, err
    assert "intact: 5 records" in out


async def test_a_record_edited_with_sql_is_named(database: Database, database_url: str) -> None:
    await append(database, 5)
    await execute(database, "UPDATE audit_log SET actor = 'key:99' WHERE id = 3")
    code, out, err = verify(database_url)
    assert code == 1
    assert out == ""
    assert err.strip() == (
        "error: audit record 3 is broken: its hash does not match its content "
        "(2 records before it are intact)"
    )


async def test_a_record_rehashed_after_editing_breaks_the_next_link(
    database: Database, database_url: str
) -> None:
    await append(database, 4)
    await execute(database, "UPDATE audit_log SET hash = '" + "f" * 64 + "' WHERE id = 2")
    code, _, err = verify(database_url)
    assert code == 1
    assert "audit record 2 is broken: its hash does not match its content" in err


async def test_a_record_deleted_in_the_middle_is_detected(
    database: Database, database_url: str
) -> None:
    await append(database, 5)
    await execute(database, "DELETE FROM audit_log WHERE id = 3")
    code, _, err = verify(database_url)
    assert code == 1
    assert "audit record 4 is broken: its previous hash does not match the hash of record 2" in err


async def test_the_first_record_deleted_is_detected(database: Database, database_url: str) -> None:
    await append(database, 3)
    await execute(database, "DELETE FROM audit_log WHERE id = 1")
    code, _, err = verify(database_url)
    assert code == 1
    assert "audit record 2 is broken: its previous hash does not match the genesis" in err


async def test_retention_keeps_the_chain_verifiable(database: Database, database_url: str) -> None:
    await append(database, 6)
    async with database.write() as conn:
        removed = await audit.purge_before(
            conn, before=START + timedelta(minutes=4), now=START + timedelta(days=400)
        )
    assert removed == 4
    code, out, err = verify(database_url)
    assert code == 0, err
    assert "intact: 2 records after the anchor at record 4" in out
    # New records chain on; a second purge moves the anchor on.
    await append(database, 2, start=START + timedelta(hours=1))
    async with database.write() as conn:
        removed = await audit.purge_before(
            conn, before=START + timedelta(minutes=30), now=START + timedelta(days=401)
        )
    assert removed == 2
    code, out, err = verify(database_url)
    assert (code, "intact: 2 records after the anchor at record 6" in out) == (0, True), err
    # Deleting the record after the anchor, by hand, is not retention: it is detected.
    await execute(database, "DELETE FROM audit_log WHERE id = 7")
    code, _, err = verify(database_url)
    assert code == 1
    assert "record 8 is broken: its previous hash does not match the anchor" in err


async def test_retention_removes_only_a_prefix(database: Database) -> None:
    """A record stamped earlier than one before it (a refusal tally stamped with its window's
    start) does not make retention cut a hole in the chain."""
    await append(database, 2)
    await append(database, 1, start=START - timedelta(days=1))
    async with database.write() as conn:
        removed = await audit.purge_before(conn, before=START, now=START)
    assert removed == 0
    assert (await chain.verify(database)).intact


async def test_verify_reports_progress_page_by_page(database: Database) -> None:
    await append(database, 5)
    seen: list[tuple[int, int]] = []
    verdict = await chain.verify(database, page=2, progress=lambda *p: seen.append(p))
    assert (verdict.checked, verdict.intact) == (5, True)
    assert seen == [(2, 5), (4, 5), (5, 5)]


async def test_records_written_before_the_chain_are_hashed_by_the_migration(
    database: Database, database_url: str
) -> None:
    await run_alembic(database, command.downgrade, "0009_reporting_clocks")
    old = sa.table(
        "audit_log", *(sa.column(name) for name in ("at", "actor", "action", "target")),
        sa.column("details", sa.JSON),
    )  # fmt: skip
    async with database.engine.begin() as conn:
        for n in range(3):
            moment = START + timedelta(seconds=n, microseconds=n * 7)
            stamp = moment if conn.dialect.name == "postgresql" else moment.replace(tzinfo=None)
            await conn.execute(
                old.insert().values(
                    at=stamp, actor="cli", action="key.create", target=f"key:{n + 1}",
                    details={"role": "admin", "sectors": None} if n else None,
                )
            )  # fmt: skip
    await run_alembic(database, command.upgrade, "head")
    await append(database, 1)
    code, out, err = verify(database_url)
    assert code == 0, err
    assert "intact: 4 records" in out
    await execute(database, "UPDATE audit_log SET target = 'key:9' WHERE id = 2")
    code, _, err = verify(database_url)
    assert (code, "audit record 2 is broken" in err) == (1, True)


async def test_concurrent_appends_never_fork_the_chain(database: Database) -> None:
    """Export reads from many requests at once: each waits for the chain's lock, so every
    record names the one before it."""
    import asyncio

    await asyncio.gather(
        *(
            audit.record_read(
                database, at=START, actor=f"key:{n}", route="misp/event", collection="misp",
                count=1,
            )
            for n in range(20)
        )
    )  # fmt: skip
    verdict = await chain.verify(database)
    assert (verdict.intact, verdict.checked) == (True, 20)
