"""Reporting clocks: regimes assigned to organizations, the stages operators file, and reminders
sent. Incidents gain `aware_at` (when the operator became aware; existing ones: their
`detected_at`) and the operator's `significant` flag.

Revision ID: 0009_reporting_clocks
Revises: 0008_taxii_inbox
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_reporting_clocks"
down_revision = "0008_taxii_inbox"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("incidents", sa.Column("aware_at", UTC_TIME))
    op.add_column(
        "incidents",
        sa.Column("significant", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE incidents SET aware_at = detected_at")
    op.create_table(
        "org_regimes",
        sa.Column(
            "org_id",
            sa.String(64),
            sa.ForeignKey("organizations.id", name="fk_org_regimes_org_id_organizations"),
            primary_key=True,
        ),
        sa.Column("regime", sa.String(32), primary_key=True),
        sa.Column("assigned_at", UTC_TIME, nullable=False),
        sa.Column("assigned_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "incident_filings",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.BigInteger,
            sa.ForeignKey("incidents.id", name="fk_incident_filings_incident_id_incidents"),
            nullable=False,
        ),
        sa.Column("regime", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("fields", _json(), nullable=False),
        sa.Column("filed_at", UTC_TIME, nullable=False),
        sa.Column("filed_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_incident_filings_incident_id_id", "incident_filings", ["incident_id", "id"])
    op.create_table(
        "clock_reminders",
        sa.Column(
            "incident_id",
            sa.BigInteger,
            sa.ForeignKey("incidents.id", name="fk_clock_reminders_incident_id_incidents"),
            primary_key=True,
        ),
        sa.Column("regime", sa.String(32), primary_key=True),
        sa.Column("stage", sa.String(32), primary_key=True),
        sa.Column("percent", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("clock_reminders")
    op.drop_table("incident_filings")
    op.drop_table("org_regimes")
    for column in ("significant", "aware_at"):
        op.drop_column("incidents", column)
