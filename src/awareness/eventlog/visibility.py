"""Who may see an event, in the two forms the service needs it: a WHERE clause for lists and
replays (`visible_to`), and a test on an event in memory for the broadcaster (`may_see`). Both
state one rule, and a test over every role and kind keeps them equal: supervisors and
responders see their sectors' events, operators what is addressed to their organization and
their own sector's level changes, admins everything."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from awareness.auth.principal import Principal, Role
from awareness.db.tables import event_sectors, event_targets


def visible_to(
    principal: Principal, seq: sa.ColumnElement[int], kind: sa.ColumnElement[str]
) -> sa.ColumnElement[bool]:
    """The events (or warnings, through their creation `seq`) a caller may see."""
    if principal.role is Role.operator:
        addressed = sa.select(event_targets.c.seq).where(event_targets.c.org_id == principal.org_id)
        own_sector = sa.select(event_sectors.c.seq).where(
            event_sectors.c.sector == principal.org_sector
        )
        return sa.or_(seq.in_(addressed), sa.and_(kind == "sector_level", seq.in_(own_sector)))
    if principal.role is Role.admin or principal.sectors is None:
        return sa.true()
    return seq.in_(
        sa.select(event_sectors.c.seq).where(event_sectors.c.sector.in_(sorted(principal.sectors)))
    )


def may_see(
    principal: Principal, *, kind: str, sectors: Collection[str], targets: Collection[str]
) -> bool:
    """`visible_to` for one event held in memory with the sectors and organizations it concerns."""
    if principal.role is Role.operator:
        return principal.org_id in targets or (
            kind == "sector_level" and principal.org_sector in sectors
        )
    if principal.role is Role.admin or principal.sectors is None:
        return True
    return not principal.sectors.isdisjoint(sectors)


def matching(
    seq: sa.ColumnElement[int],
    kind: sa.ColumnElement[str],
    *,
    sectors: Sequence[str] = (),
    kinds: Sequence[str] = (),
) -> sa.ColumnElement[bool]:
    """The `sector=` and `kind=` filters of the warnings list and the feed."""
    clauses: list[sa.ColumnElement[bool]] = []
    if sectors:
        clauses.append(
            seq.in_(sa.select(event_sectors.c.seq).where(event_sectors.c.sector.in_(sectors)))
        )
    if kinds:
        clauses.append(kind.in_(kinds))
    return sa.and_(sa.true(), *clauses)


def redaction(principal: Principal, warning: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fields of an addressed warning a reader must see instead (None: nothing to hide). An
    operator never learns which other organizations it is addressed to, nor their assets; a
    supervisor or responder scoped to some sectors learns only those of its sectors'
    organizations (a warning that does not say each target's sector shows it none). Both learn
    how many other organizations it is addressed to, per sector (`other_targets`)."""
    targets = warning.get("target_orgs")
    if targets is None or principal.role is Role.admin:
        return None
    evidence = dict(warning.get("evidence") or {})
    if principal.role is Role.operator:
        allowed = {principal.org_id}
    elif principal.sectors is None:
        return None
    else:
        where = evidence.get("target_sectors") or {}
        allowed = {org for org in targets if where.get(org) in principal.sectors}
    where = evidence.get("target_sectors") or {}
    others: dict[str, int] = {}
    for org in targets:
        if org not in allowed:
            sector = where.get(org) or "unknown"
            others[sector] = others.get(sector, 0) + 1
    for field in ("matches", "target_sectors"):
        if field in evidence:
            evidence[field] = {org: v for org, v in evidence[field].items() if org in allowed}
    if others:
        evidence["other_targets"] = dict(sorted(others.items()))
    return {"target_orgs": [org for org in targets if org in allowed], "evidence": evidence}
