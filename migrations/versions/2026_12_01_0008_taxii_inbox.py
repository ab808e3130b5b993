"""The TAXII 2.1 writable collection of each operator: every STIX object (by id and version)
that went into a report, so a repost stores nothing new, and the status resource of each POST.

Revision ID: 0008_taxii_inbox
Revises: 0007_tlp_markings
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_taxii_inbox"
down_revision = "0007_tlp_markings"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "stix_objects",
        sa.Column(
            "org_id",
            sa.String(64),
            sa.ForeignKey("organizations.id", name="fk_stix_objects_org_id_organizations"),
            nullable=False,
        ),
        sa.Column("stix_id", sa.String(300), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column(
            "incident_id",
            sa.BigInteger,
            sa.ForeignKey("incidents.id", name="fk_stix_objects_incident_id_incidents"),
            nullable=False,
        ),
        sa.Column("status_id", sa.String(36), nullable=False),
        sa.Column("stored_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("org_id", "stix_id", "version", name="pk_stix_objects"),
    )
    op.create_table(
        "taxii_statuses",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column(
            "org_id",
            sa.String(64),
            sa.ForeignKey("organizations.id", name="fk_taxii_statuses_org_id_organizations"),
            nullable=False,
        ),
        sa.Column(
            "key_id",
            sa.BigInteger,
            sa.ForeignKey("api_keys.id", name="fk_taxii_statuses_key_id_api_keys"),
            nullable=False,
        ),
        sa.Column("request_timestamp", UTC_TIME, nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_taxii_statuses"),
    )


def downgrade() -> None:
    op.drop_table("taxii_statuses")
    op.drop_table("stix_objects")
