"""Known-exploited vulnerabilities and ICS advisories: CISA's KEV catalogue one row per CVE, and
CSAF advisories with the products they name, each with the normalized vendor and product keys
the matcher looks assets up by, and the digest a re-import compares.

Revision ID: 0012_advisories
Revises: 0011_coverage
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_advisories"
down_revision = "0011_coverage"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "advisories",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("published", UTC_TIME, nullable=False),
        sa.Column("updated", UTC_TIME, nullable=False),
        sa.Column("criticality", sa.String(16), nullable=False),
        sa.Column("cves", _json(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("aliases_digest", sa.String(16), nullable=False),
        sa.Column("imported_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "advisory_products",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column(
            "advisory_id",
            sa.String(64),
            sa.ForeignKey("advisories.id", name="fk_advisory_products_advisory_id_advisories"),
            nullable=False,
        ),
        sa.Column("vendor", sa.Text, nullable=False),
        sa.Column("product", sa.Text, nullable=False),
        sa.Column("versions", sa.Text),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("cves", _json(), nullable=False),
        sa.Column("remediation", sa.Text),
        sa.Column("vendor_key", sa.Text, nullable=False),
        sa.Column("product_key", sa.Text, nullable=False),
    )
    op.create_index("ix_advisory_products_advisory_id", "advisory_products", ["advisory_id"])
    op.create_index(
        "ix_advisory_products_vendor_key_product_key",
        "advisory_products",
        ["vendor_key", "product_key"],
    )
    op.create_table(
        "kev_entries",
        sa.Column("cve", sa.String(32), primary_key=True),
        sa.Column("vendor", sa.Text, nullable=False),
        sa.Column("product", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("date_added", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("ransomware", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("vendor_key", sa.Text, nullable=False),
        sa.Column("product_key", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("aliases_digest", sa.String(16), nullable=False),
        sa.Column("imported_at", UTC_TIME, nullable=False),
    )
    op.create_index(
        "ix_kev_entries_vendor_key_product_key", "kev_entries", ["vendor_key", "product_key"]
    )
    op.create_index("ix_kev_entries_date_added", "kev_entries", ["date_added"])


def downgrade() -> None:
    op.drop_table("kev_entries")
    op.drop_table("advisory_products")
    op.drop_table("advisories")
