"""Correlation: the correlator's cursor and state, incident scores, campaigns, the replayed
inventory, exposure bookkeeping, warnings and the event log.

Revision ID: 0002_correlation
Revises: 0001_foundation
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_correlation"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
ORG_ID = sa.String(64)


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "correlator_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("xact", sa.BigInteger, nullable=False),
        sa.Column("report_id", sa.BigInteger, nullable=False),
        sa.Column("tick_at", UTC_TIME),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "sector_states",
        sa.Column("sector", sa.String(64), primary_key=True),
        sa.Column("score_state", _json(), nullable=False),
        sa.Column("window_state", _json(), nullable=False),
        sa.Column("level_state", _json(), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("own_level", sa.String(8), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("evaluated_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "incident_scores",
        sa.Column(
            "incident_id",
            sa.BigInteger,
            sa.ForeignKey("incidents.id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("severity", sa.Float, nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("indicator_type", sa.String(8), nullable=False),
        sa.Column("indicator_value", sa.String(2048), nullable=False),
        sa.Column("announced", _json()),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("org_count", sa.Integer, nullable=False),
        sa.Column("sectors", _json(), nullable=False),
        sa.Column("max_severity", sa.Float, nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("first_seen", UTC_TIME, nullable=False),
        sa.Column("last_seen", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.UniqueConstraint("indicator_type", "indicator_value"),
    )
    op.create_index("ix_campaigns_active", "campaigns", ["active"])
    op.create_table(
        "indicator_orgs",
        sa.Column("indicator_type", sa.String(8), primary_key=True),
        sa.Column("indicator_value", sa.String(2048), primary_key=True),
        sa.Column("org_id", ORG_ID, primary_key=True),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("first_seen", UTC_TIME, nullable=False),
        sa.Column("last_seen", UTC_TIME, nullable=False),
        sa.Column("strongest", _json(), nullable=False),
    )
    op.create_index(
        "ix_indicator_orgs_indicator_type_indicator_value_last_seen",
        "indicator_orgs",
        ["indicator_type", "indicator_value", "last_seen"],
    )
    op.create_table(
        "inventory",
        sa.Column("org_id", ORG_ID, primary_key=True),
        sa.Column("asset_id", sa.String(200), primary_key=True),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("vendor", sa.String(200)),
        sa.Column("product", sa.String(200)),
        sa.Column("product_key", sa.String(402)),
        sa.Column("cves", _json(), nullable=False),
    )
    op.create_index("ix_inventory_product_key", "inventory", ["product_key"])
    op.create_table(
        "inventory_cves",
        sa.Column("cve", sa.String(32), primary_key=True),
        sa.Column("org_id", ORG_ID, primary_key=True),
        sa.Column("asset_id", sa.String(200), primary_key=True),
    )
    op.create_table(
        "exposure_sources",
        sa.Column("match_key", sa.String(420), primary_key=True),
        sa.Column("incident_id", sa.BigInteger, nullable=False),
        sa.Column("org_id", ORG_ID, nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("severity", sa.Float, nullable=False),
        sa.Column("detected_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "exposure_notices",
        sa.Column("match_key", sa.String(420), primary_key=True),
        sa.Column("org_id", ORG_ID, primary_key=True),
        sa.Column("warned_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "warnings",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("seq", sa.BigInteger),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("sectors", _json(), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("target_orgs", _json()),
        sa.Column("campaign_id", sa.BigInteger, sa.ForeignKey("campaigns.id")),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("acknowledged_at", UTC_TIME),
        sa.Column("acknowledged_by", sa.String(200)),
    )
    op.create_index("ix_warnings_seq", "warnings", ["seq"])
    op.create_index("ix_warnings_campaign_id", "warnings", ["campaign_id"])
    op.create_table(
        "events",
        sa.Column("seq", _id(), primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("warning_id", sa.BigInteger, sa.ForeignKey("warnings.id")),
        sa.Column("data", _json(), nullable=False),
        sa.Column("audience", _json(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_sector_seq", "events", ["sector", "seq"])
    op.create_table(
        "event_sectors",
        sa.Column("sector", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
    )
    op.create_table(
        "event_targets",
        sa.Column("org_id", ORG_ID, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
    )


def downgrade() -> None:
    for table in (
        "event_targets",
        "event_sectors",
        "events",
        "warnings",
        "exposure_notices",
        "exposure_sources",
        "inventory_cves",
        "inventory",
        "indicator_orgs",
        "campaigns",
        "incident_scores",
        "sector_states",
        "correlator_state",
    ):
        op.drop_table(table)
