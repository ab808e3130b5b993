"""Who may see an event, in the two forms the service needs it: a WHERE clause for lists and
replays (`visible_to`), and a test on an event in memory for the broadcaster (`may_see`). Both
state one rule, and a test over every role and kind keeps them equal: supervisors and
responders see their sectors' events, operators what is addressed to their organization and
their own sector's level changes, admins everything; reporting reminders
name an operator's incident, so responders never see them; vulnerability warnings name what an
operator runs unpatched, so only that operator and the admins see them (supervisors read their
sectors' exposure in numbers, GET /v1/sectors/{sector}/vulnerabilities)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from awareness.auth.principal import Principal, Role
from awareness.db.tables import event_sectors, event_targets
from awareness.eventlog.tlp import RANK, Marking, key_of, markings_of, read, withhold

VULNERABILITY = "vulnerability"
# What only the operator concerned (and its sector's supervisors, for reminders) may read.
OPERATORS_OWN = ("reminder", VULNERABILITY)


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
    if principal.role is Role.responder:
        # Reporting reminders name an operator's incident: raw reports responders never read.
        return sa.and_(kind.not_in(OPERATORS_OWN), _in_sectors(principal, seq))
    if principal.role is Role.supervisor:
        return sa.and_(kind != VULNERABILITY, _in_sectors(principal, seq))
    return _in_sectors(principal, seq)


def _in_sectors(principal: Principal, seq: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
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
    if principal.role is Role.responder and kind in OPERATORS_OWN:
        return False
    if principal.role is Role.supervisor and kind == VULNERABILITY:
        return False
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


def may_see_campaign(principal: Principal, sectors: Collection[str]) -> bool:
    """`GET /v1/campaigns`' rule: supervisors and responders see the campaigns touching their
    sectors, admins every one, operators none."""
    if principal.role is Role.operator:
        return False
    if principal.role is Role.admin or principal.sectors is None:
        return True
    return not principal.sectors.isdisjoint(sectors)


# What a campaign floor keeps for a reader who may not see the campaign: that it exists, how
# wide it is and how it weighs, never its indicators.
_CAMPAIGN_COUNTS = ("pace", "organizations", "sectors", "level", "first_seen", "last_seen")


def withhold_campaigns(principal: Principal, evidence: Mapping[str, Any]) -> dict[str, Any] | None:
    """A level's evidence with the campaigns this reader may not see reduced to counts (None:
    nothing to withhold). A level names the campaign that floors it; the sector's every reader
    sees the level, not every reader the campaign."""
    floors = evidence.get("floors")
    if not floors:
        return None
    kept, withheld = [], False
    for floor in floors:
        facts = floor.get("evidence") or {}
        if floor.get("rule") != "campaign" or may_see_campaign(principal, facts.get("sectors", ())):
            kept.append(floor)
            continue
        withheld = True
        sectors = ", ".join(facts.get("sectors", ()))
        kept.append(
            {
                "rule": "campaign",
                "level": floor.get("level"),
                "detail": f"campaign: reported by {facts.get('organizations')} organizations in "
                f"{sectors} (its indicators are for those sectors' supervisors and responders)",
                "evidence": {k: facts[k] for k in _CAMPAIGN_COUNTS if k in facts}
                | {"indicators_withheld": True},
            }
        )
    return {**evidence, "floors": kept} if withheld else None


def redaction(
    principal: Principal,
    warning: Mapping[str, Any],
    markings: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """The fields of a warning (or a level change) a reader must see instead, None: nothing to
    hide. First its scope (`_scope`), then the TLP of what it names (`_tlp`)."""
    changes = _scope(principal, warning)
    if markings:
        merged = {**warning, **changes} if changes else warning
        found = _tlp(principal, merged, markings_of(markings))
        if found:
            changes = (changes or {}) | found
    return changes or None


def _tlp(
    principal: Principal, warning: Mapping[str, Any], markings: list[Marking]
) -> dict[str, Any]:
    """What TLP withholds from this reader: every item no report of which reaches it leaves the
    indicators, the title and the evidence, and is listed as withheld with its reason. A
    warning (not a level change) also says the TLP each shown indicator is held under and its
    own, the most restrictive of what it shows."""
    addressed = principal.role is Role.operator and principal.org_id in (
        warning.get("target_orgs") or ()
    )
    reading = read(principal, markings, addressed=addressed)
    changes: dict[str, Any] = {}
    if reading.withheld:
        for field in ("title", "evidence"):
            if field in warning:
                changes[field] = withhold(warning[field], reading.withheld)
    if "title" not in warning:
        return changes
    base = "amber" if warning.get("kind") == "exposure" else "green"
    changes["tlp"] = max([base, *reading.shown.values()], key=RANK.__getitem__)
    changes["withheld"] = [
        {
            "type": m.type,
            "tlp": m.clearest,
            "organizations": m.organizations,
            "reason": m.reason(),
        }
        for m in reading.withheld
    ]
    listed = warning.get("indicators")
    if listed is not None:
        hidden = {key_of(m.type, m.value) for m in reading.withheld}
        changes["indicators"] = [
            {
                "type": i["type"],
                "value": i["value"],
                "tlp": reading.shown.get(key_of(i["type"], i["value"])),
            }
            for i in listed
            if key_of(i["type"], i["value"]) not in hidden
        ]
    return changes


def _scope(principal: Principal, warning: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fields of a warning a reader must see instead (None: nothing to hide). A level's
    evidence keeps only the campaigns the reader may see (`withhold_campaigns`). An operator
    never learns which other organizations a warning is addressed to, nor their assets; a
    supervisor or responder scoped to some sectors learns only those of its sectors'
    organizations (a warning that does not say each target's sector shows it none). Both learn
    how many other organizations it is addressed to, per sector (`other_targets`)."""
    changes: dict[str, Any] = {}
    evidence = dict(warning.get("evidence") or {})
    withheld = withhold_campaigns(principal, evidence)
    if withheld is not None:
        evidence = changes["evidence"] = withheld
    targets = warning.get("target_orgs")
    if targets is None or principal.role is Role.admin:
        return changes or None
    where = evidence.get("target_sectors") or {}
    if principal.role is Role.operator:
        allowed = {principal.org_id}
    elif principal.sectors is None:
        return changes or None
    else:
        allowed = {org for org in targets if where.get(org) in principal.sectors}
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
