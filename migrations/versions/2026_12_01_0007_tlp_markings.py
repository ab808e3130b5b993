"""TLP 2.0 enforced: each warning keeps, beside its text, the markings of the items it names
(per indicator, the TLPs and sectors of the reports that shared it, and how many organizations),
so every read shows a reader only what a report's TLP lets reach it. The event log keeps them in
its `audience`, never in the data a reader receives. Warnings and level changes raised before
get the markings of the indicators they name from the reports stored (an exposure's product,
whose source incident they do not name, stays as it was).

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


INDICATOR_TYPES = ("ipv4", "ipv6", "domain", "url", "sha256", "sha1", "md5", "email", "cve")


def _named(value: Any, found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    if isinstance(value, list):
        for item in value:
            _named(item, found)
    elif isinstance(value, dict):
        kind, named = value.get("type"), value.get("value")
        if kind in INDICATOR_TYPES and isinstance(named, str):
            found.add((kind, named))
        for item in value.values():
            _named(item, found)
    return found


def _markings(bind: sa.Connection, pairs: set[tuple[str, str]]) -> list[dict[str, Any]] | None:
    grants: dict[tuple[str, str], dict[str, set[str]]] = {}
    orgs: dict[tuple[str, str], set[str]] = {}
    for kind, value in sorted(pairs):
        rows = bind.execute(
            sa.text(
                "SELECT DISTINCT i.sector, i.org_id, n.tlp FROM indicators i "
                "JOIN incidents n ON n.id = i.incident_id WHERE i.type = :t AND i.value = :v"
            ),
            {"t": kind, "v": value},
        )
        for sector, org, tlp in rows:
            grants.setdefault((kind, value), {}).setdefault(tlp, set()).add(sector)
            orgs.setdefault((kind, value), set()).add(org)
    found = [
        {
            "type": kind,
            "value": value,
            "grants": {tlp: sorted(s) for tlp, s in grants[kind, value].items()},
            "organizations": len(orgs[kind, value]),
        }
        for kind, value in sorted(grants)
    ]
    return found or None


def upgrade() -> None:
    op.add_column("warnings", sa.Column("markings", _json()))
    bind = op.get_bind()
    warnings = sa.table(
        "warnings", sa.column("id", sa.BigInteger), sa.column("indicators", _json()),
        sa.column("evidence", _json()), sa.column("markings", _json()),
    )  # fmt: skip
    events = sa.table(
        "events", sa.column("seq", sa.BigInteger), sa.column("warning_id", sa.BigInteger),
        sa.column("type", sa.String), sa.column("data", _json()), sa.column("audience", _json()),
    )  # fmt: skip
    marked: dict[int, list[dict[str, Any]]] = {}
    for row in bind.execute(sa.select(warnings)).mappings().all():
        pairs = _named([row["indicators"], row["evidence"]], set())
        markings = _markings(bind, pairs) if pairs else None
        if markings:
            marked[row["id"]] = markings
            bind.execute(
                warnings.update().where(warnings.c.id == row["id"]).values(markings=markings)
            )
    query = sa.select(events).where(
        sa.or_(events.c.type == "sector_level", events.c.warning_id.in_(sorted(marked)))
    )
    for row in bind.execute(query).mappings().all():
        if row["type"] == "warning":
            markings = marked.get(row["warning_id"])
        else:
            pairs = _named(row["data"].get("evidence"), set())
            markings = _markings(bind, pairs) if pairs else None
        if markings and row["type"] in ("warning", "sector_level"):
            audience = dict(row["audience"]) | {"markings": markings}
            bind.execute(
                events.update().where(events.c.seq == row["seq"]).values(audience=audience)
            )


def downgrade() -> None:
    op.drop_column("warnings", "markings")
    bind = op.get_bind()
    events = sa.table("events", sa.column("seq", sa.BigInteger), sa.column("audience", _json()))
    for row in bind.execute(sa.select(events)).mappings().all():
        if "markings" in row["audience"]:
            audience = {k: v for k, v in row["audience"].items() if k != "markings"}
            where = events.c.seq == row["seq"]
            bind.execute(events.update().where(where).values(audience=audience))
