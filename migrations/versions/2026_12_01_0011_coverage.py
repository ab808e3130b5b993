"""Coverage: an index on reports by organization, kind and time, so each operator's last
inventory and last report are one index look-up each, whatever the history's size.

Revision ID: 0011_coverage
Revises: 0010_audit_chain
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0011_coverage"
down_revision = "0010_audit_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Built in the migration's transaction: on a large PostgreSQL history this holds writes to
    # `reports` while it builds (seconds per million rows); run `awareness migrate` before the
    # replicas are started again.
    op.create_index(
        "ix_reports_org_id_kind_received_at", "reports", ["org_id", "kind", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_reports_org_id_kind_received_at", table_name="reports")
