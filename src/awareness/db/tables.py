"""Table definitions. Migrations in `migrations/` create them; these objects only build queries,
and a test checks that the two agree."""

from __future__ import annotations

import sqlalchemy as sa

from awareness.db.types import BigIntId, JSONValue, UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ORG_ID = sa.String(64)

organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", ORG_ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("sector", sa.String(64), nullable=False, index=True),
    sa.Column("region", sa.String(100)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    # The first characters of the key, kept so people can tell keys apart; never enough to use.
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), index=True),
    # NULL means every sector; only supervisors and responders carry a list.
    sa.Column("sectors", JSONValue),
    sa.Column("name", sa.String(200)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
)

# Every accepted report, incident or asset, in one id space: the correlator follows this table.
# `xact` is the writing transaction's id on PostgreSQL (0 on SQLite, whose writers are serial):
# ids are drawn before commit, so only (xact, id) order with a visibility horizon never skips a
# report that commits late. The row is also the audit record of who wrote the report.
reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("xact", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("key_id", sa.BigInteger, sa.ForeignKey("api_keys.id"), nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("request_id", sa.String(64)),
    sa.Index("ix_reports_xact_id", "xact", "id"),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column(
        "id", sa.BigInteger, sa.ForeignKey("reports.id"), primary_key=True, autoincrement=False
    ),
    sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("sector", sa.String(64), nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("detected_at", UTCDateTime, nullable=False),
    sa.Column("occurred_at", UTCDateTime),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("functional_impact", sa.String(32), nullable=False),
    sa.Column("information_impact", sa.String(32), nullable=False),
    sa.Column("recoverability", sa.String(32), nullable=False),
    sa.Column("location", sa.String(32), nullable=False),
    # Highest criticality among the affected assets when the report arrived (NULL: none named).
    sa.Column("asset_criticality", sa.String(16)),
    sa.Column("summary", sa.Text),
    sa.Column("tlp", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(200)),
    sa.Index("ix_incidents_org_id_id", "org_id", "id"),
    sa.Index("ix_incidents_sector_id", "sector", "id"),
    sa.Index("ix_incidents_detected_at", "detected_at"),
)

indicators = sa.Table(
    "indicators",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("org_id", ORG_ID, nullable=False),
    sa.Column("sector", sa.String(64), nullable=False),
    sa.Column("type", sa.String(8), nullable=False),
    sa.Column("value", sa.String(2048), nullable=False),
    sa.Column("detected_at", UTCDateTime, nullable=False),
    sa.Index("ix_indicators_type_value_detected_at", "type", "value", "detected_at"),
    sa.Index("ix_indicators_detected_at", "detected_at"),
    sa.Index("ix_indicators_incident_id", "incident_id"),
)

assets = sa.Table(
    "assets",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
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
    sa.Column("cves", JSONValue, nullable=False),
    sa.Column("location", sa.String(32), nullable=False),
    # casefolded vendor and product without spaces: what exposure matching compares.
    sa.Column("product_key", sa.String(402)),
    sa.Column("report_id", sa.BigInteger, sa.ForeignKey("reports.id"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("org_id", "asset_id"),
    sa.Index("ix_assets_sector_id", "sector", "id"),
    sa.Index("ix_assets_product_key", "product_key"),
)

# One row per asset report, as it was: what the correlator replays, whatever the asset became.
asset_reports = sa.Table(
    "asset_reports",
    metadata,
    sa.Column(
        "id", sa.BigInteger, sa.ForeignKey("reports.id"), primary_key=True, autoincrement=False
    ),
    sa.Column("asset_pk", sa.BigInteger, sa.ForeignKey("assets.id"), nullable=False),
    sa.Column("org_id", ORG_ID, nullable=False),
    sa.Column("product_key", sa.String(402)),
    sa.Column("data", JSONValue, nullable=False),
)

incident_assets = sa.Table(
    "incident_assets",
    metadata,
    sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("asset_pk", sa.BigInteger, sa.ForeignKey("assets.id"), primary_key=True),
    sa.Column("product_key", sa.String(402)),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("response", JSONValue, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_idempotency_keys_created_at", "created_at"),
)

# Writes that are not reports (organizations, keys, acknowledgements): who did what, when.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("org_id", ORG_ID),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(200)),
    sa.Column("details", JSONValue),
    sa.Column("request_id", sa.String(64)),
    sa.Index("ix_audit_log_at", "at"),
)
