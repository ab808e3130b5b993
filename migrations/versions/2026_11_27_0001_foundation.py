"""Foundation: organizations, API keys, the report log, incidents, indicators, assets,
idempotency records and the audit trail.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
ORG_ID = sa.String(64)


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "organizations",
        sa.Column("id", ORG_ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("region", sa.String(100)),
        sa.Column("created_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_organizations_sector", "organizations", ["sector"])

    op.create_table(
        "api_keys",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id")),
        sa.Column("sectors", _json()),
        sa.Column("name", sa.String(200)),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_api_keys_org_id", "api_keys", ["org_id"])

    # On PostgreSQL every report row records its transaction id, which the correlator uses to
    # never pass over a report whose transaction commits after a later one's.
    xact_default = sa.text("(pg_current_xact_id()::text)::bigint") if postgres else sa.text("0")
    op.create_table(
        "reports",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("xact", sa.BigInteger, nullable=False, server_default=xact_default),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("key_id", sa.BigInteger, sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.Column("request_id", sa.String(64)),
    )
    op.create_index("ix_reports_xact_id", "reports", ["xact", "id"])

    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger, sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.Column("detected_at", UTC_TIME, nullable=False),
        sa.Column("occurred_at", UTC_TIME),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("functional_impact", sa.String(32), nullable=False),
        sa.Column("information_impact", sa.String(32), nullable=False),
        sa.Column("recoverability", sa.String(32), nullable=False),
        sa.Column("location", sa.String(32), nullable=False),
        sa.Column("asset_criticality", sa.String(16)),
        sa.Column("summary", sa.Text),
        sa.Column("tlp", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(200)),
    )
    op.create_index("ix_incidents_org_id_id", "incidents", ["org_id", "id"])
    op.create_index("ix_incidents_sector_id", "incidents", ["sector", "id"])
    op.create_index("ix_incidents_detected_at", "incidents", ["detected_at"])

    op.create_table(
        "indicators",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("org_id", ORG_ID, nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("value", sa.String(2048), nullable=False),
        sa.Column("detected_at", UTC_TIME, nullable=False),
    )
    op.create_index(
        "ix_indicators_type_value_detected_at", "indicators", ["type", "value", "detected_at"]
    )
    op.create_index("ix_indicators_detected_at", "indicators", ["detected_at"])
    op.create_index("ix_indicators_incident_id", "indicators", ["incident_id"])

    op.create_table(
        "assets",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("asset_id", sa.String(200), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("vendor", sa.String(200)),
        sa.Column("product", sa.String(200)),
        sa.Column("version", sa.String(100)),
        sa.Column("criticality", sa.String(16), nullable=False),
        sa.Column("internet_exposed", sa.Boolean, nullable=False),
        sa.Column("cves", _json(), nullable=False),
        sa.Column("location", sa.String(32), nullable=False),
        sa.Column("product_key", sa.String(402)),
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.UniqueConstraint("org_id", "asset_id"),
    )
    op.create_index("ix_assets_sector_id", "assets", ["sector", "id"])
    op.create_index("ix_assets_product_key", "assets", ["product_key"])

    op.create_table(
        "asset_reports",
        sa.Column("id", sa.BigInteger, sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("asset_pk", sa.BigInteger, sa.ForeignKey("assets.id"), nullable=False),
        sa.Column("org_id", ORG_ID, nullable=False),
        sa.Column("product_key", sa.String(402)),
        sa.Column("data", _json(), nullable=False),
    )

    op.create_table(
        "incident_assets",
        sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("asset_pk", sa.BigInteger, sa.ForeignKey("assets.id"), primary_key=True),
        sa.Column("product_key", sa.String(402)),
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("response", _json(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])

    op.create_table(
        "audit_log",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("org_id", ORG_ID),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200)),
        sa.Column("details", _json()),
        sa.Column("request_id", sa.String(64)),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "idempotency_keys",
        "incident_assets",
        "asset_reports",
        "assets",
        "indicators",
        "incidents",
        "reports",
        "api_keys",
        "organizations",
    ):
        op.drop_table(table)
