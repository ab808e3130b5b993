"""Warnings and level changes as rows and events, in the read models' own shape. Everything is
dated by the evaluation time (a report's `received_at` or a tick), never by the wall clock, so
a replay writes the same."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import warning_actions, warnings
from awareness.eventlog.tlp import Marking
from awareness.eventlog.writer import EventWriter
from awareness.scoring import (
    Risk,
    SectorOutcome,
    SectorsConfig,
    dependency_evidence,
    dependency_title,
)
from awareness.views.markings import indicator_markings, named_indicators
from awareness.views.sectors import level_change
from awareness.views.warnings import ActionView, warning_view

# How timelines name what the service did itself.
SERVICE = "awareness"


async def emit_warning(
    conn: AsyncConnection,
    writer: EventWriter,
    *,
    kind: str,
    sector: str,
    sectors: Sequence[str],
    level: str,
    title: str,
    evidence: dict[str, Any],
    at: datetime,
    target_orgs: Iterable[str] | None = None,
    campaign_id: int | None = None,
    pace: str | None = None,
    indicators: list[dict[str, str]] | None = None,
    marked: Sequence[Marking] = (),
) -> int:
    """The new warning's id. `marked`: the TLP markings of what it names beyond its indicators
    and evidence's `{"type", "value"}` objects, which are read here (an exposure's product or
    CVE)."""
    targets = sorted(set(target_orgs)) if target_orgs is not None else None
    markings = await markings_for(conn, {"indicators": indicators, "evidence": evidence}, marked)
    row: dict[str, Any] = {
        "kind": kind,
        "sector": sector,
        "sectors": sorted({sector, *sectors}),
        "level": level,
        "title": title[:500],
        "evidence": evidence,
        "target_orgs": targets,
        "campaign_id": campaign_id,
        "pace": pace,
        "indicators": indicators,
        "markings": markings,
        "created_at": at,
        "acknowledged_at": None,
        "acknowledged_by": None,
    }
    row["id"] = (
        await conn.execute(warnings.insert().values(row).returning(warnings.c.id))
    ).scalar_one()
    seq = await writer.append(
        type="warning",
        kind=kind,
        sector=sector,
        sectors=row["sectors"],
        targets=targets or (),
        data=lambda seq: warning_view(row | {"seq": seq}),
        at=at,
        warning_id=row["id"],
        markings=markings,
    )
    await conn.execute(warnings.update().where(warnings.c.id == row["id"]).values(seq=seq))
    return int(row["id"])


async def reissue_warning(
    conn: AsyncConnection,
    writer: EventWriter,
    warning_id: int,
    *,
    at: datetime,
    level: str,
    title: str,
    evidence: dict[str, Any],
    why: str,
    announce: bool = True,
) -> None:
    """A warning rewritten by what was learnt since: the row changes, the timeline says why,
    and, when `announce`, the warning goes out again (boards update it in place by its id;
    channels hear the new level). Unannounced, it asks nobody's attention again."""
    changes = {"level": level, "title": title[:500], "evidence": evidence}
    await conn.execute(warnings.update().where(warnings.c.id == warning_id).values(changes))
    if not announce:
        await _record(conn, warning_id, seq=None, at=at, action="note", note=why)
        return
    row = (
        (await conn.execute(sa.select(warnings).where(warnings.c.id == warning_id)))
        .mappings()
        .one()
    )
    seq = await writer.append(
        type="warning", kind=row["kind"], sector=row["sector"], sectors=row["sectors"],
        targets=row["target_orgs"] or (), data=warning_view(row), at=at, warning_id=warning_id,
        markings=row["markings"],
    )  # fmt: skip
    await _record(conn, warning_id, seq=seq, at=at, action="note", note=why)


async def withdraw_warning(
    conn: AsyncConnection, writer: EventWriter, warning_id: int, *, at: datetime, note: str
) -> None:
    """What the warning said is no longer true (an asset updated to a fixed version): it is
    resolved by the service, with the reason, as a responder's resolution would be (a note
    when it is resolved already)."""
    query = sa.select(warnings).where(warnings.c.id == warning_id)
    row = (await conn.execute(query)).mappings().one()
    resolve = row["state"] != "resolved"
    if resolve:
        await conn.execute(
            warnings.update()
            .where(warnings.c.id == warning_id)
            .values(state="resolved", resolved_at=at)
        )
    action = ActionView(
        warning_id=warning_id, action="resolved" if resolve else "note", at=at, actor=SERVICE,
        state="resolved", assignee=row["assignee"], note=note,
    )  # fmt: skip
    seq = await writer.append(
        type="response", kind=row["kind"], sector=row["sector"], sectors=row["sectors"],
        targets=row["target_orgs"] or (), data=action, at=at, warning_id=warning_id,
    )  # fmt: skip
    await _record(conn, warning_id, seq=seq, at=at, action=action.action, note=note)


async def _record(
    conn: AsyncConnection,
    warning_id: int,
    *,
    seq: int | None,
    at: datetime,
    action: str,
    note: str,
) -> None:
    await conn.execute(
        warning_actions.insert().values(
            warning_id=warning_id, seq=seq, at=at, actor=SERVICE, action=action, note=note,
        )
    )  # fmt: skip


async def emit_level_change(
    conn: AsyncConnection,
    writer: EventWriter,
    outcome: SectorOutcome,
    *,
    at: datetime,
    dependency_risk: Sequence[Risk],
) -> None:
    """A `sector_level` event for every change; an escalation also raises a warning."""
    level = outcome.state.level.label
    previous = outcome.previous_level.label
    await writer.append(
        type="sector_level",
        kind="sector_level",
        sector=outcome.sector,
        sectors=(),
        data=level_change(
            sector=outcome.sector,
            level=level,
            previous_level=previous,
            score=outcome.score,
            at=at,
            evidence=outcome.evidence,
            dependency_risk=[risk.to_json() for risk in dependency_risk],
        ),
        at=at,
        markings=await markings_for(conn, outcome.evidence),
    )
    if outcome.escalated:
        await emit_warning(
            conn,
            writer,
            kind="sector_level",
            sector=outcome.sector,
            sectors=(),
            level=level,
            title=f"{outcome.sector} raised from {previous} to {level}: {_reason(outcome)}",
            evidence=outcome.evidence,
            at=at,
        )


async def emit_dependency(
    conn: AsyncConnection,
    writer: EventWriter,
    outcome: SectorOutcome,
    *,
    at: datetime,
    sectors: SectorsConfig,
) -> None:
    """One warning to the supervisors and responders of the sectors that depend on this one
    (and of this one): it rose to a level that puts them at risk."""
    level = outcome.state.level
    await emit_warning(
        conn,
        writer,
        kind="dependency",
        sector=outcome.sector,
        sectors=sorted(sectors.dependents_of(outcome.sector)),
        level=level.label,
        title=dependency_title(outcome.sector, level, sectors=sectors),
        evidence=dependency_evidence(
            outcome.sector, level, upstream_evidence=outcome.evidence, sectors=sectors
        ),
        at=at,
    )


def _reason(outcome: SectorOutcome) -> str:
    """The rules that put the sector at its new level, in words."""
    holding = [f for f in outcome.floors if f.level >= outcome.state.level]
    if not holding:
        return f"sector score {outcome.score:.1f}"
    names = sorted({floor.rule.replace("_", " ") for floor in holding})
    return ", ".join(names) + f" (score {outcome.score:.1f})"


async def markings_for(
    conn: AsyncConnection, data: Any, marked: Sequence[Marking] = ()
) -> list[dict[str, Any]] | None:
    """The TLP markings of everything `data` names (None: it names nothing reported)."""
    named = named_indicators(data)
    found = [*marked, *(await indicator_markings(conn, named) if named else ())]
    return [marking.to_json() for marking in found] or None
