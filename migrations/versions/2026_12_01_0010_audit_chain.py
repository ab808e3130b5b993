"""The audit trail as a hash chain: each record carries the SHA-256 of the one before
(`prev_hash`, unique so the chain cannot fork) and its own over its fields and that hash; the
anchor remembers where the chain starts once retention removed its oldest records. Records
already there are hashed in id order, so an old trail verifies too.

Revision ID: 0010_audit_chain
Revises: 0009_reporting_clocks
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from awareness.auth.chain import GENESIS, digest
from awareness.db.types import BigIntId, JSONValue, UTCDateTime

revision = "0010_audit_chain"
down_revision = "0009_reporting_clocks"
branch_labels = None
depends_on = None

# The records as they are read back for hashing: the same types as the service reads them, so
# the hash covers the same values `awareness audit verify` will see.
_records = sa.table(
    "audit_log",
    sa.column("id", BigIntId),
    sa.column("at", UTCDateTime),
    sa.column("actor", sa.String),
    sa.column("org_id", sa.String),
    sa.column("action", sa.String),
    sa.column("target", sa.String),
    sa.column("details", JSONValue),
    sa.column("request_id", sa.String),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64)))
        batch.add_column(sa.Column("hash", sa.String(64)))
    connection = op.get_bind()
    previous = GENESIS
    rows = connection.execute(sa.select(_records).order_by(_records.c.id)).mappings().all()
    for row in rows:
        own = digest(row, previous)
        connection.execute(
            _records.update().where(_records.c.id == row["id"]).values(prev_hash=previous, hash=own)
        )
        previous = own
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_audit_log_prev_hash", ["prev_hash"])
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("last_id", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("purged", sa.BigInteger, nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_anchor"),
    )


def downgrade() -> None:
    op.drop_table("audit_anchor")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint("uq_audit_log_prev_hash", type_="unique")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
