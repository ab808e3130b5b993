"""Migration 0005 converts what the dependency floor left behind: a level only a dependency held
falls to the sector's own level (and the boards are told), dependency floors leave the evidence,
existing campaigns list their indicator and are fast; and it can be undone."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from awareness.db.engine import Database
from awareness.db.migrate import upgrade_to_head
from awareness.db.tables import (
    campaign_indicators,
    campaigns,
    events,
    organizations,
    sector_states,
    warnings,
)
from tests.db.conftest import OLD_SECTOR_STATES, run_alembic

AT = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
SINCE = {"since": "2026-11-29T07:00:00Z"}
OLD_CAMPAIGNS = sa.table(
    "campaigns",
    *(
        sa.column(name)
        for name in (
            "id",
            "indicator_type",
            "indicator_value",
            "active",
            "org_count",
            "max_severity",
            "level",
        )
    ),
    sa.column("announced", sa.JSON),
    sa.column("sectors", sa.JSON),
    *(sa.column(n, sa.DateTime(timezone=True)) for n in ("first_seen", "last_seen", "updated_at")),
)
OLD_WARNINGS = sa.table(
    "warnings",
    *(sa.column(name) for name in ("id", "seq", "kind", "sector", "level", "title", "campaign_id")),
    sa.column("sectors", sa.JSON),
    sa.column("evidence", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def floor(rule: str, level: str) -> dict[str, object]:
    return {"rule": rule, "level": level, "detail": rule, "evidence": {}}


def state(sector: str, level: str, own: str, floors: list[dict[str, object]]) -> dict[str, object]:
    return {
        "sector": sector, "level": level, "own_level": own, "score": 12.0, "score_state": {},
        "window_state": {}, "level_state": {"level": level} | SINCE, "evaluated_at": AT,
        "evidence": {"sector": sector, "level": level, "score": 12.0, "floors": floors},
    }  # fmt: skip


async def test_levels_only_a_dependency_held_fall_and_campaigns_list_indicators(
    empty_database_url: str,
) -> None:
    database = Database(empty_database_url)
    try:
        await run_alembic(database, command.upgrade, "0004_consumers_and_utc_z")
        async with database.write() as conn:
            await conn.execute(
                organizations.insert().values(
                    id="grid", name="Grid", sector="energy", created_at=AT
                )
            )
            await conn.execute(OLD_SECTOR_STATES.insert(), [
                state("energy", "red", "red", [floor("breadth_wide", "red")]),
                # orange only because energy was red: falls to its own level
                state("water", "orange", "none", [floor("dependency", "orange")]),
                # yellow by its own significant incident as well: stays
                state("healthcare", "yellow", "yellow",
                      [floor("significant_incident", "yellow"), floor("dependency", "yellow")]),
            ])  # fmt: skip
            await conn.execute(
                OLD_CAMPAIGNS.insert().values(
                    id=1, indicator_type="ipv4", indicator_value="185.220.101.47",
                    announced={"org_count": 3, "sectors": ["energy"]}, active=True,
                    org_count=3, sectors=["energy"], max_severity=50.0, level="yellow",
                    first_seen=AT, last_seen=AT, updated_at=AT,
                )
            )  # fmt: skip
            await conn.execute(
                OLD_WARNINGS.insert().values(
                    id=1, seq=None, kind="campaign", sector="energy", sectors=["energy"],
                    level="yellow", title="Campaign detected", campaign_id=1, created_at=AT,
                    evidence={"indicator": {"type": "ipv4", "value": "185.220.101.47"}},
                )
            )  # fmt: skip

        await upgrade_to_head(database)

        async with database.read() as conn:
            rows = {
                row["sector"]: row
                for row in (await conn.execute(sa.select(sector_states))).mappings()
            }
            assert (rows["water"]["level"], rows["water"]["level_state"]["level"]) == (
                "none",
                "none",
            )
            assert rows["water"]["evidence"]["floors"] == []
            assert rows["healthcare"]["level"] == "yellow"
            assert [f["rule"] for f in rows["healthcare"]["evidence"]["floors"]] == [
                "significant_incident"
            ]
            assert rows["energy"]["level"] == "red"
            assert rows["energy"]["dependency_announced"] == "red"
            assert rows["water"]["dependency_announced"] == "none"
            told = (await conn.execute(sa.select(events))).mappings().all()
            assert [(e["type"], e["sector"], e["data"]["level"], e["data"]["previous_level"])
                    for e in told] == [("sector_level", "water", "none", "orange")]  # fmt: skip
            assert told[0]["data"]["rescore"] is True
            members = (await conn.execute(sa.select(campaign_indicators))).mappings().all()
            assert [(m["indicator_value"], m["campaign_id"]) for m in members] == [
                ("185.220.101.47", 1)
            ]
            assert (await conn.execute(sa.select(campaigns.c.pace))).scalar_one() == "fast"
            warning = (await conn.execute(sa.select(warnings))).mappings().one()
            assert warning["pace"] == "fast"
            assert warning["indicators"] == [{"type": "ipv4", "value": "185.220.101.47"}]

        await run_alembic(database, command.downgrade, "0004_consumers_and_utc_z")
        async with database.read() as conn:
            back = dict(
                (
                    await conn.execute(
                        sa.select(OLD_SECTOR_STATES.c.sector, OLD_SECTOR_STATES.c.own_level)
                    )
                ).all()
            )
            assert back == {"energy": "red", "water": "none", "healthcare": "yellow"}
    finally:
        await database.dispose()
