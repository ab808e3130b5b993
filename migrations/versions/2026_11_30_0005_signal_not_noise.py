"""Dependencies become impact instead of threat, campaigns gather the indicators of one intrusion
set and gain a pace, and indicators carry the known-benign list they are on.

Stored sector levels that only a dependency held are brought down to the sector's own level (a
`sector_level` event tells every board), and the dependency floors leave the stored evidence.
Each existing campaign keeps its indicator as its first one and is fast.

Revision ID: 0005_signal_not_noise
Revises: 0004_consumers_and_utc_z
Create Date: 2026-11-30
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_signal_not_noise"
down_revision = "0004_consumers_and_utc_z"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
LEVELS = ("none", "blue", "yellow", "orange", "red")
RISK_LEVEL = "orange"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (SQLite has had DROP COLUMN since 3.35): a batch
    # rebuild of a table other tables reference would trip SQLite's foreign keys.
    op.add_column("indicators", sa.Column("benign", sa.String(200)))
    op.add_column(
        "indicator_orgs",
        sa.Column("peak", sa.Float, nullable=False, server_default=sa.text("0")),
    )
    _peaks()
    op.add_column(
        "campaigns",
        sa.Column("pace", sa.String(4), nullable=False, server_default=sa.text("'fast'")),
    )
    op.add_column("campaigns", sa.Column("last_fast_at", UTC_TIME))
    op.add_column("campaigns", sa.Column("facts_until", UTC_TIME))
    op.create_table(
        "campaign_indicators",
        sa.Column("indicator_type", sa.String(8), nullable=False),
        sa.Column("indicator_value", sa.String(2048), nullable=False),
        sa.Column(
            "campaign_id",
            sa.BigInteger,
            sa.ForeignKey("campaigns.id", name="fk_campaign_indicators_campaign_id_campaigns"),
            nullable=False,
        ),
        sa.Column("joined_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("indicator_type", "indicator_value", name="pk_campaign_indicators"),
        sa.Index("ix_campaign_indicators_campaign_id", "campaign_id"),
    )
    op.add_column("warnings", sa.Column("pace", sa.String(4)))
    op.add_column("warnings", sa.Column("indicators", _json()))
    op.add_column(
        "sector_states",
        sa.Column(
            "dependency_announced", sa.String(8), nullable=False, server_default=sa.text("'none'")
        ),
    )
    connection = op.get_bind()
    _campaign_indicators(connection)
    _campaign_warnings(connection)
    _sector_levels(connection)
    _drop(("sector_states", "own_level"))


def downgrade() -> None:
    op.add_column(
        "sector_states",
        sa.Column("own_level", sa.String(8), nullable=False, server_default=sa.text("'none'")),
    )
    op.execute("UPDATE sector_states SET own_level = level")
    op.drop_table("campaign_indicators")
    _drop(
        ("sector_states", "dependency_announced"),
        ("warnings", "indicators"),
        ("warnings", "pace"),
        ("campaigns", "facts_until"),
        ("campaigns", "last_fast_at"),
        ("campaigns", "pace"),
        ("indicators", "benign"),
        ("indicator_orgs", "peak"),
    )


def _drop(*columns: tuple[str, str]) -> None:
    for table, column in columns:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def _peaks() -> None:
    """Each organization's strongest report of an indicator, from the recent ones it kept."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE indicator_orgs SET peak = coalesce((SELECT max((e->>1)::float)"
            " FROM jsonb_array_elements(strongest) AS e), 0)"
        )
    else:
        op.execute(
            "UPDATE indicator_orgs SET peak = coalesce((SELECT max(json_extract(e.value, '$[1]'))"
            " FROM json_each(strongest) AS e), 0)"
        )


def _campaign_indicators(connection: sa.Connection) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO campaign_indicators"
            " (indicator_type, indicator_value, campaign_id, joined_at)"
            " SELECT indicator_type, indicator_value, id, first_seen FROM campaigns"
        )
    )


def _campaign_warnings(connection: sa.Connection) -> None:
    table = sa.table(
        "warnings",
        sa.column("id"),
        sa.column("kind"),
        sa.column("evidence", _json()),
        sa.column("pace"),
        sa.column("indicators", _json()),
    )
    rows = connection.execute(
        sa.select(table.c.id, table.c.evidence).where(table.c.kind == "campaign")
    ).all()
    for row in rows:
        indicator = (row.evidence or {}).get("indicator")
        connection.execute(
            table.update()
            .where(table.c.id == row.id)
            .values(pace="fast", indicators=[indicator] if indicator else [])
        )


def _sector_levels(connection: sa.Connection) -> None:
    """Drop the dependency floors from each sector's evidence; a level that only they held
    falls to the sector's own level, announced by a `sector_level` event like rescore's."""
    states = sa.table(
        "sector_states",
        sa.column("sector"),
        sa.column("level"),
        sa.column("own_level"),
        sa.column("level_state", _json()),
        sa.column("evidence", _json()),
        sa.column("score"),
        sa.column("evaluated_at", UTC_TIME),
        sa.column("dependency_announced"),
    )
    for row in connection.execute(sa.select(states)).all():
        evidence = dict(row.evidence or {})
        floors = list(evidence.get("floors", []))
        own = [f for f in floors if f.get("rule") != "dependency"]
        level = row.level
        if LEVELS.index(row.own_level) < LEVELS.index(level) and any(
            f.get("rule") == "dependency" and f.get("level") == level for f in floors
        ):
            level = row.own_level
        evaluated: datetime = row.evaluated_at
        if isinstance(evaluated, str):
            evaluated = datetime.fromisoformat(evaluated)
        if evaluated.tzinfo is None:
            evaluated = evaluated.replace(tzinfo=UTC)
        at = evaluated.astimezone(UTC).isoformat().replace("+00:00", "Z")
        evidence.update(floors=own, level=level)
        values: dict[str, Any] = {
            "evidence": evidence,
            "dependency_announced": level
            if LEVELS.index(level) >= LEVELS.index(RISK_LEVEL)
            else "none",
        }
        if level != row.level:
            evidence["previous_level"] = row.level
            values |= {"level": level, "level_state": {"level": level, "since": at}}
            _announce(connection, row.sector, level, row.level, row.score, at, evidence, evaluated)
        connection.execute(states.update().where(states.c.sector == row.sector).values(values))


def _announce(
    connection: sa.Connection,
    sector: str,
    level: str,
    previous: str,
    score: float,
    at: str,
    evidence: dict[str, Any],
    moment: datetime,
) -> None:
    events = sa.table(
        "events",
        sa.column("seq"),
        sa.column("type"),
        sa.column("kind"),
        sa.column("sector"),
        sa.column("warning_id"),
        sa.column("data", _json()),
        sa.column("audience", _json()),
        sa.column("created_at", UTC_TIME),
    )
    data = {
        "sector": sector,
        "level": level,
        "previous_level": previous,
        "score": round(score, 2),
        "at": at,
        "evidence": evidence,
        "rescore": True,
        "dependency_risk": [],
    }
    if connection.dialect.name == "sqlite":
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    seq = connection.execute(
        events.insert()
        .values(
            type="sector_level",
            kind="sector_level",
            sector=sector,
            warning_id=None,
            data=data,
            audience={"sectors": [sector], "targets": []},
            created_at=moment,
        )
        .returning(events.c.seq)
    ).scalar_one()
    connection.execute(
        sa.text("INSERT INTO event_sectors (sector, seq) VALUES (:sector, :seq)"),
        {"sector": sector, "seq": seq},
    )
