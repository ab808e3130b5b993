"""TLP 2.0 enforced: each warning keeps, beside its text, the markings of the items it names
(per indicator, the TLPs and sectors of the reports that shared it, and how many organizations),
so every read shows a reader only what a report's TLP lets reach it. The event log keeps them in
its `audience`, never in the data a reader receives.

Revision ID: 0007_tlp_markings
Revises: 0006_subscriptions
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_tlp_markings"
down_revision = "0006_subscriptions"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("warnings", sa.Column("markings", _json()))


def downgrade() -> None:
    op.drop_column("warnings", "markings")
