"""Times stored before the API wrote `Z` (events, warnings, sector evidence, idempotency answers)
read as the API writes them once the database is migrated, and nothing else changes."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from awareness.db.engine import Database
from awareness.db.tables import events, idempotency_keys, organizations, warnings
from tests.db.conftest import OLD_SECTOR_STATES, run_alembic

AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
OLD = "2026-11-27T08:00:00+00:00"
OLD_FRACTION = "2026-11-27T08:00:00.250000+00:00"
EVIDENCE = {
    "at": OLD,
    "summary": "detected 2026-11-27T08:00:00+00:00 by the night shift",  # prose stays prose
    "floors": [{"evidence": {"first_seen": OLD_FRACTION, "offset": "2026-11-27T10:00:00+02:00"}}],
}


async def test_stored_times_are_rewritten_to_z(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        await run_alembic(database, command.upgrade, "0003_feed_tickets")
        async with database.write() as conn:
            await conn.execute(
                organizations.insert().values(
                    id="grid", name="Grid", sector="energy", created_at=AT
                )
            )
            await conn.execute(
                warnings.insert().values(
                    id=1, seq=1, kind="sector_level", sector="energy", sectors=["energy"],
                    level="orange", title="energy raised", evidence=EVIDENCE, created_at=AT,
                )
            )  # fmt: skip
            await conn.execute(
                events.insert().values(
                    seq=1, type="warning", kind="sector_level", sector="energy", warning_id=1,
                    data={"id": 1, "created_at": OLD, "evidence": EVIDENCE},
                    audience={"sectors": ["energy"], "targets": []}, created_at=AT,
                )
            )  # fmt: skip
            await conn.execute(
                OLD_SECTOR_STATES.insert().values(
                    sector="energy", score_state={}, window_state={},
                    level_state={"level": "orange", "since": OLD_FRACTION}, level="orange",
                    own_level="orange", score=64.0, evidence=EVIDENCE, evaluated_at=AT,
                )
            )  # fmt: skip
            await conn.execute(
                idempotency_keys.insert().values(
                    org_id="grid", key="k-1", request_hash="h", status_code=201,
                    response={"id": 7, "received_at": OLD}, created_at=AT,
                )
            )  # fmt: skip

        await run_alembic(database, command.upgrade, "0004_consumers_and_utc_z")

        expected = {
            "at": "2026-11-27T08:00:00Z",
            "summary": EVIDENCE["summary"],
            "floors": [
                {
                    "evidence": {
                        "first_seen": "2026-11-27T08:00:00.250000Z",
                        "offset": "2026-11-27T10:00:00+02:00",
                    }
                }
            ],
        }
        async with database.read() as conn:
            assert (await conn.execute(sa.select(warnings.c.evidence))).scalar_one() == expected
            assert (await conn.execute(sa.select(events.c.data))).scalar_one() == {
                "id": 1,
                "created_at": "2026-11-27T08:00:00Z",
                "evidence": expected,
            }
            state = (await conn.execute(sa.select(OLD_SECTOR_STATES))).mappings().one()
            assert state["evidence"] == expected
            assert state["level_state"] == {
                "level": "orange",
                "since": "2026-11-27T08:00:00.250000Z",
            }
            assert (await conn.execute(sa.select(idempotency_keys.c.response))).scalar_one() == {
                "id": 7,
                "received_at": "2026-11-27T08:00:00Z",
            }
    finally:
        await database.dispose()
