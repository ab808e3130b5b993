"""Feed tickets: single-use, short-lived credentials for browsers opening the live feed.

Revision ID: 0003_feed_tickets
Revises: 0002_correlation
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_feed_tickets"
down_revision = "0002_correlation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tickets",
        sa.Column("ticket_hash", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.BigInteger, sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_feed_tickets_expires_at", "feed_tickets", ["expires_at"])


def downgrade() -> None:
    op.drop_table("feed_tickets")
