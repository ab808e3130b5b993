"""Vulnerability warnings: the assets waiting to be matched against the advisories (after an
inventory change or an import), and what each asset was last found exposed to, with the
warning that said so, so a second import of the same files raises nothing new and a fixed
version withdraws its warning.

Revision ID: 0013_vulnerabilities
Revises: 0012_advisories
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_vulnerabilities"
down_revision = "0012_advisories"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "vulnerability_scans",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.String(64)),
        sa.Column("asset_id", sa.String(200)),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("requested_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "vulnerability_hits",
        sa.Column("org_id", sa.String(64), primary_key=True),
        sa.Column("asset_id", sa.String(200), primary_key=True),
        sa.Column("cve", sa.String(32), primary_key=True),
        sa.Column("source", sa.String(8), primary_key=True),
        sa.Column("advisory_id", sa.String(64), primary_key=True),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(300), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("warning_id", sa.BigInteger, nullable=False),
        sa.Column("found_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_vulnerability_hits_sector", "vulnerability_hits", ["sector"])
    op.create_index("ix_vulnerability_hits_warning_id", "vulnerability_hits", ["warning_id"])
    # Assets already registered are matched against what is already imported.
    op.execute(
        "INSERT INTO vulnerability_scans (org_id, asset_id, reason, requested_at) "
        "SELECT NULL, NULL, 'migration', CURRENT_TIMESTAMP "
        "WHERE EXISTS (SELECT 1 FROM assets)"
    )


def downgrade() -> None:
    op.drop_index("ix_vulnerability_hits_warning_id", table_name="vulnerability_hits")
    op.drop_index("ix_vulnerability_hits_sector", table_name="vulnerability_hits")
    op.drop_table("vulnerability_hits")
    op.drop_table("vulnerability_scans")
