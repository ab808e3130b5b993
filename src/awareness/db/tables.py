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
    # Coverage: each organization's last report of a kind is one index look-up.
    sa.Index("ix_reports_org_id_kind_received_at", "org_id", "kind", "received_at"),
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
    # When the operator became aware of it: reporting clocks start here (NULL: detected_at).
    sa.Column("aware_at", UTCDateTime),
    # The operator's own judgement that the incident is significant (reportable) under its
    # regimes, whatever its severity.
    sa.Column("significant", sa.Boolean, nullable=False, server_default=sa.false()),
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
    # The known-benign list it was on when reported (MISP warninglists), or NULL.
    sa.Column("benign", sa.String(200)),
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

# Who did what, when: administration, the response to warnings, subscriptions, export reads,
# refused authentications. Append-only and hash-chained (auth/chain.py): `hash` covers the
# record's fields and `prev_hash`, the hash of the record before; a unique `prev_hash` means
# the chain cannot fork even if two appends raced.
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
    sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_log_at", "at"),
)

# Where the audit chain starts once retention removed its oldest records: the id and hash of
# the last one removed. One row, absent until the first purge.
audit_anchor = sa.Table(
    "audit_anchor",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_id", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("purged", sa.BigInteger, nullable=False),
    sa.Column("moved_at", UTCDateTime, nullable=False),
)


# ---- Derived state: written only by the correlator (and rebuilt by `awareness rescore`). ----

# Where the correlator is in the report log, and up to which minute boundary it has evaluated
# time-driven changes. One row.
correlator_state = sa.Table(
    "correlator_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("xact", sa.BigInteger, nullable=False),
    sa.Column("report_id", sa.BigInteger, nullable=False),
    sa.Column("tick_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Per sector: the incremental score, the recent-incident window, the level with its hysteresis.
sector_states = sa.Table(
    "sector_states",
    metadata,
    sa.Column("sector", sa.String(64), primary_key=True),
    sa.Column("score_state", JSONValue, nullable=False),
    sa.Column("window_state", JSONValue, nullable=False),
    sa.Column("level_state", JSONValue, nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
    # The highest level announced to its dependents since it was last below the risk level.
    sa.Column("dependency_announced", sa.String(8), nullable=False, server_default="none"),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("evidence", JSONValue, nullable=False),
    sa.Column("evaluated_at", UTCDateTime, nullable=False),
)

incident_scores = sa.Table(
    "incident_scores",
    metadata,
    sa.Column(
        "incident_id",
        sa.BigInteger,
        sa.ForeignKey("incidents.id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("severity", sa.Float, nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    # The indicator that opened it; campaign_indicators lists every one.
    sa.Column("indicator_type", sa.String(8), nullable=False),
    sa.Column("indicator_value", sa.String(2048), nullable=False),
    # What has been announced (organization count, sectors); NULL once the campaign is over.
    sa.Column("announced", JSONValue),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("org_count", sa.Integer, nullable=False),
    sa.Column("sectors", JSONValue, nullable=False),
    sa.Column("max_severity", sa.Float, nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # fast or slow (docs/scoring.md section 4), and when the fast window last saw it: a
    # campaign that was fast ends with that window instead of lingering as a slow one.
    sa.Column("pace", sa.String(4), nullable=False, server_default="fast"),
    sa.Column("last_fast_at", UTCDateTime),
    # Until when its stored facts hold without a new sighting: the first moment a sighting
    # leaves a window. Before then, its floors come from this row alone. NULL: recompute.
    sa.Column("facts_until", UTCDateTime),
    sa.UniqueConstraint("indicator_type", "indicator_value"),
    sa.Index("ix_campaigns_active", "active"),
)

# Which campaign each indicator belongs to: the one it opened, or the one it joined because
# organizations reported it in the same incidents as that campaign's indicators.
campaign_indicators = sa.Table(
    "campaign_indicators",
    metadata,
    sa.Column("indicator_type", sa.String(8), primary_key=True),
    sa.Column("indicator_value", sa.String(2048), primary_key=True),
    sa.Column("campaign_id", sa.BigInteger, sa.ForeignKey("campaigns.id"), nullable=False),
    sa.Column("joined_at", UTCDateTime, nullable=False),
    sa.Index("ix_campaign_indicators_campaign_id", "campaign_id"),
)

# Per indicator and organization: when it reported the indicator and its strongest recent
# reports, so campaign checks read one row per organization, never every past sighting.
indicator_orgs = sa.Table(
    "indicator_orgs",
    metadata,
    sa.Column("indicator_type", sa.String(8), primary_key=True),
    sa.Column("indicator_value", sa.String(2048), primary_key=True),
    sa.Column("org_id", ORG_ID, primary_key=True),
    sa.Column("sector", sa.String(64), nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    # Its strongest report since first_seen, and [[detected_at, severity], ...] of the fast
    # window: no entry both older and weaker than another one.
    sa.Column("peak", sa.Float, nullable=False, server_default="0"),
    sa.Column("strongest", JSONValue, nullable=False),
    # Who reported it recently: a range on this index, however many reported it once.
    sa.Index(
        "ix_indicator_orgs_indicator_type_indicator_value_last_seen",
        "indicator_type",
        "indicator_value",
        "last_seen",
    ),
)

# The inventory as the correlator has replayed it from asset reports, in log order.
inventory = sa.Table(
    "inventory",
    metadata,
    sa.Column("org_id", ORG_ID, primary_key=True),
    sa.Column("asset_id", sa.String(200), primary_key=True),
    sa.Column("sector", sa.String(64), nullable=False),
    sa.Column("vendor", sa.String(200)),
    sa.Column("product", sa.String(200)),
    sa.Column("product_key", sa.String(402)),
    sa.Column("cves", JSONValue, nullable=False),
    sa.Index("ix_inventory_product_key", "product_key"),
)

inventory_cves = sa.Table(
    "inventory_cves",
    metadata,
    sa.Column("cve", sa.String(32), primary_key=True),
    sa.Column("org_id", ORG_ID, primary_key=True),
    sa.Column("asset_id", sa.String(200), primary_key=True),
)

# The latest incident that involved a product or CVE ("product:<key>" / "cve:<id>"), so an
# asset reported afterwards is flagged at once.
exposure_sources = sa.Table(
    "exposure_sources",
    metadata,
    sa.Column("match_key", sa.String(420), primary_key=True),
    sa.Column("incident_id", sa.BigInteger, nullable=False),
    sa.Column("org_id", ORG_ID, nullable=False),
    sa.Column("sector", sa.String(64), nullable=False),
    sa.Column("severity", sa.Float, nullable=False),
    sa.Column("detected_at", UTCDateTime, nullable=False),
)

# When each organization was last warned about each product or CVE (one warning per 7 days).
exposure_notices = sa.Table(
    "exposure_notices",
    metadata,
    # Match key first: the look-up is "who among these organizations was warned about it".
    sa.Column("match_key", sa.String(420), primary_key=True),
    sa.Column("org_id", ORG_ID, primary_key=True),
    sa.Column("warned_at", UTCDateTime, nullable=False),
)

warnings = sa.Table(
    "warnings",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("seq", sa.BigInteger),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("sector", sa.String(64), nullable=False),
    sa.Column("sectors", JSONValue, nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("evidence", JSONValue, nullable=False),
    # Exposure warnings: the organizations it is addressed to. NULL: everyone in scope.
    sa.Column("target_orgs", JSONValue),
    sa.Column("campaign_id", sa.BigInteger, sa.ForeignKey("campaigns.id")),
    # Campaign warnings: fast or slow, and the campaign's indicators when it was raised.
    sa.Column("pace", sa.String(4)),
    sa.Column("indicators", JSONValue),
    # TLP: per item it names, who the reports that shared it let see it (eventlog.tlp.Marking).
    sa.Column("markings", JSONValue),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("acknowledged_at", UTCDateTime),
    sa.Column("acknowledged_by", sa.String(200)),
    # The response: new, acknowledged, responding (assigned) or resolved.
    sa.Column("state", sa.String(16), nullable=False, server_default=sa.text("'new'")),
    sa.Column("assignee", sa.String(200)),
    sa.Column("resolved_at", UTCDateTime),
    # The last escalation tier told (1: only the first tier's subscriptions).
    sa.Column("escalated_tier", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Index("ix_warnings_seq", "seq"),
    sa.Index("ix_warnings_campaign_id", "campaign_id"),
)

# The event log the feed reads: every level change, warning and acknowledgement, with a
# strictly increasing `seq` (never reused: SQLite AUTOINCREMENT, a PostgreSQL identity).
events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("type", sa.String(16), nullable=False),
    # sector_level, campaign or exposure: what `kind=` filters on, for every type of event.
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("sector", sa.String(64), nullable=False),
    sa.Column("warning_id", sa.BigInteger, sa.ForeignKey("warnings.id")),
    sa.Column("data", JSONValue, nullable=False),
    # The sectors and organizations it concerns, as in event_sectors and event_targets: the
    # broadcaster reads them with the event in one query.
    sa.Column("audience", JSONValue, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # A sector's level history (the sector view) reads this, newest first.
    sa.Index("ix_events_sector_seq", "sector", "seq"),
    sqlite_autoincrement=True,
)

# Who may see an event: the sectors it concerns, and for addressed warnings the organizations.
event_sectors = sa.Table(
    "event_sectors",
    metadata,
    sa.Column("sector", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
)

event_targets = sa.Table(
    "event_targets",
    metadata,
    sa.Column("org_id", ORG_ID, primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
)


# Where each durable consumer of the event log is: the last `seq` it handled, written in the same
# transaction as what it did with the events.
consumer_cursors = sa.Table(
    "consumer_cursors",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


# Single-use, short-lived tickets that let a browser open the feed without putting its API key
# in a URL: only the hash is kept, like API keys.
feed_tickets = sa.Table(
    "feed_tickets",
    metadata,
    sa.Column("ticket_hash", sa.String(64), primary_key=True),
    sa.Column("key_id", sa.BigInteger, sa.ForeignKey("api_keys.id"), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime),
    sa.Index("ix_feed_tickets_expires_at", "expires_at"),
)


# What was done about a warning, in order: acknowledged, assigned, resolved, noted, escalated.
warning_actions = sa.Table(
    "warning_actions",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("warning_id", sa.BigInteger, sa.ForeignKey("warnings.id"), nullable=False),
    # The event that told the feed.
    sa.Column("seq", sa.BigInteger),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("assignee", sa.String(200)),
    sa.Column("note", sa.Text),
    sa.Column("tier", sa.Integer),
    sa.Index("ix_warning_actions_warning_id_id", "warning_id", "id"),
)


# ---- Deliveries: warnings pushed to where responders are (webhooks, PagerDuty, Slack, mail). ----

# Where a subscription sends, what it wants, and its own cursor in the event log: `position` is
# the last seq it has handled (delivered, or passed over as not its own). The event after it is
# retried, with back-off, until it is delivered; nothing later goes first.
subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    # A URL (webhook, Slack, the PagerDuty Events API) or a mail address.
    sa.Column("target", sa.String(2048), nullable=False),
    # The webhook signing secret or the PagerDuty routing key, encrypted (delivery.secrets).
    sa.Column("credential", sa.Text),
    # NULL: every sector the owner may see.
    sa.Column("sectors", JSONValue),
    # NULL: every kind of warning.
    sa.Column("kinds", JSONValue),
    sa.Column("min_level", sa.String(8), nullable=False),
    sa.Column("tier", sa.Integer, nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("digest_minutes", sa.Integer, nullable=False),
    # Digest mode: the seqs of the warnings below `min_level` gathered since the last digest,
    # and when the next digest is due.
    sa.Column("digest_pending", JSONValue),
    sa.Column("digest_due_at", UTCDateTime),
    # The key whose scope it delivers within, and who may manage it besides admins.
    sa.Column("owner_key_id", sa.BigInteger, sa.ForeignKey("api_keys.id"), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    # Attempts at the event after `position`, and when the next one is due (NULL: now).
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime),
    # The first failure since the last success: failing for too long disables it.
    sa.Column("failing_since", UTCDateTime),
    sa.Column("last_success_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("disabled_at", UTCDateTime),
    sa.Column("disabled_reason", sa.String(500)),
    sa.Column("deleted_at", UTCDateTime),
    sa.Index("ix_subscriptions_owner_key_id", "owner_key_id"),
)

# Every attempt at delivering an event to a subscription: the health page and
# `GET /v1/subscriptions/{id}/deliveries` read it.
delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("subscription_id", sa.BigInteger, sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    # What the receiver sees on every attempt at this event (Standard Webhooks `webhook-id`).
    sa.Column("message_id", sa.String(64), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    # delivered, failed or disabled (the answer ended the subscription).
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.String(500)),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime),
    sa.Index("ix_delivery_attempts_subscription_id_id", "subscription_id", "id"),
    sa.Index("ix_delivery_attempts_at", "at"),
)


# ---- The TAXII 2.1 writable collection of each operator (`exchange/inbox.py`). ----

# Every STIX object (by id and version) an organization posted that went into a report: a repost
# of the same version stores nothing new, forever (not the 24 hours of an Idempotency-Key).
# Written in the same transaction as the report it went into.
stix_objects = sa.Table(
    "stix_objects",
    metadata,
    sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("stix_id", sa.String(300), primary_key=True),
    # `modified` (else `created`) as a canonical UTC time; "" for objects without one (SCOs).
    sa.Column("version", sa.String(32), primary_key=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("status_id", sa.String(36), nullable=False),
    sa.Column("stored_at", UTCDateTime, nullable=False),
)

# The TAXII status resource of each POST to a writable collection, as answered; readable by the
# organization that posted it.
taxii_statuses = sa.Table(
    "taxii_statuses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("key_id", sa.BigInteger, sa.ForeignKey("api_keys.id"), nullable=False),
    sa.Column("request_timestamp", UTCDateTime, nullable=False),
    sa.Column("body", JSONValue, nullable=False),
)


# ---- Reporting clocks (`config/regimes.toml`, `reporting/`). ----

# The reporting regimes an administrator assigned to each organization.
org_regimes = sa.Table(
    "org_regimes",
    metadata,
    sa.Column("org_id", ORG_ID, sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("regime", sa.String(32), primary_key=True),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
    sa.Column("assigned_by", sa.String(200), nullable=False),
)

# Every stage an operator filed for an incident, with what it said, who and when; a stage's
# clock is met by its first filing.
incident_filings = sa.Table(
    "incident_filings",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("regime", sa.String(32), nullable=False),
    sa.Column("stage", sa.String(32), nullable=False),
    sa.Column("fields", JSONValue, nullable=False),
    sa.Column("filed_at", UTCDateTime, nullable=False),
    sa.Column("filed_by", sa.String(200), nullable=False),
    sa.Index("ix_incident_filings_incident_id_id", "incident_id", "id"),
)

# The reminders sent (percent of a stage's window: 75, 100), one row each, written with the
# event that sent it: the key is why each is sent once, across restarts and replicas.
clock_reminders = sa.Table(
    "clock_reminders",
    metadata,
    sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("regime", sa.String(32), primary_key=True),
    sa.Column("stage", sa.String(32), primary_key=True),
    sa.Column("percent", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=False),
)


# ---- Known-exploited vulnerabilities and ICS advisories (`feeds/`), as last imported. ----

# One CSAF advisory per tracking id. `digest` is the parser's hash of what matching reads from
# it: a re-import compares it to tell new, updated and unchanged apart.
advisories = sa.Table(
    "advisories",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("published", UTCDateTime, nullable=False),
    sa.Column("updated", UTCDateTime, nullable=False),
    sa.Column("criticality", sa.String(16), nullable=False),
    sa.Column("cves", JSONValue, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    # The alias table its keys were normalized with: another table re-keys it on import.
    sa.Column("aliases_digest", sa.String(16), nullable=False),
    sa.Column("imported_at", UTCDateTime, nullable=False),
)

# The products an advisory names, one row per product and status, replaced with the advisory.
# `vendor_key` and `product_key` are the names normalized (alias table applied): what the
# matcher looks an asset's vendor and product up by.
advisory_products = sa.Table(
    "advisory_products",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("advisory_id", sa.String(64), sa.ForeignKey("advisories.id"), nullable=False),
    sa.Column("vendor", sa.Text, nullable=False),
    sa.Column("product", sa.Text, nullable=False),
    sa.Column("versions", sa.Text),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("cves", JSONValue, nullable=False),
    sa.Column("remediation", sa.Text),
    sa.Column("vendor_key", sa.Text, nullable=False),
    sa.Column("product_key", sa.Text, nullable=False),
    sa.Index("ix_advisory_products_advisory_id", "advisory_id"),
    sa.Index("ix_advisory_products_vendor_key_product_key", "vendor_key", "product_key"),
)

# CISA's Known Exploited Vulnerabilities catalogue, one row per CVE.
kev_entries = sa.Table(
    "kev_entries",
    metadata,
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
    sa.Column("imported_at", UTCDateTime, nullable=False),
    sa.Index("ix_kev_entries_vendor_key_product_key", "vendor_key", "product_key"),
    # The sector view: entries added in the last 30 days.
    sa.Index("ix_kev_entries_date_added", "date_added"),
)

# ---- Vulnerability warnings (`vulnerabilities/`). ----

# Assets to match against the advisories: one (organization, asset) after its report, or every
# asset (both NULL) after an import. The matcher deletes what it handled in the transaction
# that raised its warnings.
vulnerability_scans = sa.Table(
    "vulnerability_scans",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("org_id", ORG_ID),
    sa.Column("asset_id", sa.String(200)),
    sa.Column("reason", sa.String(16), nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
)

# What each asset is exposed to now, one row per CVE, source ("csaf" | "kev") and advisory
# ("" for a KEV entry), with what its warning is about (`topic`: the advisory, or for KEV
# entries the vendor and product the asset runs), the digest of the advisory or entry it was
# warned about and the warning that said so. A row goes when the asset is no longer affected.
vulnerability_hits = sa.Table(
    "vulnerability_hits",
    metadata,
    sa.Column("org_id", ORG_ID, primary_key=True),
    sa.Column("asset_id", sa.String(200), primary_key=True),
    sa.Column("cve", sa.String(32), primary_key=True),
    sa.Column("source", sa.String(8), primary_key=True),
    sa.Column("advisory_id", sa.String(64), primary_key=True),
    sa.Column("sector", sa.String(64), nullable=False),
    sa.Column("topic", sa.String(300), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("warning_id", sa.BigInteger, nullable=False),
    sa.Column("found_at", UTCDateTime, nullable=False),
    sa.Index("ix_vulnerability_hits_sector", "sector"),
    sa.Index("ix_vulnerability_hits_warning_id", "warning_id"),
)
