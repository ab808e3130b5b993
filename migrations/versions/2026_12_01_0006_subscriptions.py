"""The response: subscriptions deliver warnings to webhooks, PagerDuty, Slack and mail, each with
its own cursor in the event log and every attempt kept for its health page; warnings carry a
state (new, acknowledged, responding, resolved), an assignee and an escalation tier, and every
action on one is kept for its timeline. Warnings already acknowledged become `acknowledged`,
with that acknowledgement as the first entry of their timeline.

Revision ID: 0006_subscriptions
Revises: 0005_signal_not_noise
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_subscriptions"
down_revision = "0005_signal_not_noise"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column(
        "warnings",
        sa.Column("state", sa.String(16), nullable=False, server_default=sa.text("'new'")),
    )
    op.add_column("warnings", sa.Column("assignee", sa.String(200)))
    op.add_column("warnings", sa.Column("resolved_at", UTC_TIME))
    op.add_column(
        "warnings",
        sa.Column("escalated_tier", sa.Integer, nullable=False, server_default=sa.text("1")),
    )
    op.create_table(
        "warning_actions",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column(
            "warning_id",
            sa.BigInteger,
            sa.ForeignKey("warnings.id", name="fk_warning_actions_warning_id_warnings"),
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(200)),
        sa.Column("note", sa.Text),
        sa.Column("tier", sa.Integer),
    )
    op.create_index("ix_warning_actions_warning_id_id", "warning_actions", ["warning_id", "id"])
    op.execute("UPDATE warnings SET state = 'acknowledged' WHERE acknowledged_at IS NOT NULL")
    op.execute(
        "INSERT INTO warning_actions (warning_id, seq, at, actor, action) "
        "SELECT w.id, (SELECT min(e.seq) FROM events e WHERE e.warning_id = w.id "
        "AND e.type = 'ack'), w.acknowledged_at, w.acknowledged_by, 'acknowledged' "
        "FROM warnings w WHERE w.acknowledged_at IS NOT NULL ORDER BY w.id"
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(2048), nullable=False),
        sa.Column("credential", sa.Text),
        sa.Column("sectors", _json()),
        sa.Column("kinds", _json()),
        sa.Column("min_level", sa.String(8), nullable=False),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("digest_minutes", sa.Integer, nullable=False),
        sa.Column("digest_pending", _json()),
        sa.Column("digest_due_at", UTC_TIME),
        sa.Column(
            "owner_key_id",
            sa.BigInteger,
            sa.ForeignKey("api_keys.id", name="fk_subscriptions_owner_key_id_api_keys"),
            nullable=False,
        ),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTC_TIME),
        sa.Column("failing_since", UTC_TIME),
        sa.Column("last_success_at", UTC_TIME),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("disabled_at", UTC_TIME),
        sa.Column("disabled_reason", sa.String(500)),
        sa.Column("deleted_at", UTC_TIME),
    )
    op.create_index("ix_subscriptions_owner_key_id", "subscriptions", ["owner_key_id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            sa.BigInteger,
            sa.ForeignKey(
                "subscriptions.id", name="fk_delivery_attempts_subscription_id_subscriptions"
            ),
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.String(500)),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("next_attempt_at", UTC_TIME),
    )
    op.create_index(
        "ix_delivery_attempts_subscription_id_id",
        "delivery_attempts",
        ["subscription_id", "id"],
    )
    op.create_index("ix_delivery_attempts_at", "delivery_attempts", ["at"])


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_table("subscriptions")
    op.drop_table("warning_actions")
    for column in ("escalated_tier", "resolved_at", "assignee", "state"):
        op.drop_column("warnings", column)
