"""Warnings as every reader sees them: `GET /v1/warnings`, the feed's `warning` frames (the same
view, stored with its event) and acknowledgements, each filtered to what the reader may see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.db.tables import warnings
from awareness.eventlog.visibility import matching, redaction, visible_to
from awareness.timestamps import UtcTime
from awareness.views.markings import Withheld
from awareness.vocabulary import (
    IndicatorType,
    LevelName,
    Pace,
    ResponseAction,
    Tlp,
    WarningKind,
    WarningState,
)


class WarningIndicator(BaseModel):
    type: IndicatorType
    value: str
    tlp: Tlp | None = Field(
        None,
        description="the TLP you hold it under: the least restrictive report of it that "
        "reaches you",
    )


class WarningView(BaseModel):
    id: int
    seq: int = Field(description="the seq of the event that raised it")
    kind: WarningKind
    sector: str = Field(description="the sector it is about")
    sectors: list[str] = Field(description="every sector it concerns")
    level: LevelName
    title: str
    created_at: UtcTime
    evidence: dict[str, Any] = Field(description="why: the facts behind it (SCORING.md 9)")
    target_orgs: list[str] | None = Field(
        description="exposure warnings: the organizations addressed (an operator sees only its "
        "own); null: everyone in scope"
    )
    campaign_id: int | None
    pace: Pace | None = Field(
        None, description="campaign warnings: fast (72 h window) or slow (90 days)"
    )
    indicators: list[WarningIndicator] | None = Field(
        None, description="campaign warnings: every indicator of the campaign you may see"
    )
    withheld: list[Withheld] = Field(
        default_factory=list,
        description="what the warning names that the reporters' TLP does not let reach you; "
        "counted in its level and evidence all the same",
    )
    tlp: Tlp = Field(
        "green",
        description="how you may share this warning: the most restrictive TLP of what "
        "it shows you (exposure warnings: amber at least, for the organizations addressed)",
    )
    markings: list[dict[str, Any]] | None = Field(None, exclude=True)
    acknowledged_at: UtcTime | None
    acknowledged_by: str | None
    state: WarningState = Field(
        "new", description="new, acknowledged, responding (assigned) or resolved"
    )
    assignee: str | None = Field(None, description="who responds, once assigned")
    resolved_at: UtcTime | None = None
    escalated_tier: int = Field(
        1, description="the last escalation tier told: 1 until it goes unacknowledged too long"
    )


class ActionView(BaseModel):
    """The data of a `response` event, and an entry of a warning's timeline: who did what to
    it and when, and the state it left the warning in."""

    warning_id: int
    action: ResponseAction
    at: UtcTime
    actor: str
    state: WarningState
    assignee: str | None = None
    note: str | None = None
    tier: int | None = Field(None, description="escalations: the tier now told")


class AckView(BaseModel):
    """The data of an `ack` event: who acknowledged which warning, and when."""

    warning_id: int
    acknowledged_at: UtcTime
    acknowledged_by: str


def warning_view(row: Mapping[str, Any] | sa.RowMapping) -> WarningView:
    """A row of `warnings` (or the values about to be one) as its readers see it."""
    return WarningView.model_validate(dict(row))


def redact(principal: Principal, warning: WarningView) -> WarningView:
    """The warning as this reader may see it (`eventlog.visibility.redaction`)."""
    shown = {"kind": warning.kind, "title": warning.title, "target_orgs": warning.target_orgs,
             "evidence": warning.evidence,
             "indicators": [i.model_dump() for i in warning.indicators or ()]
             if warning.indicators is not None else None}  # fmt: skip
    changes = redaction(principal, shown, warning.markings)
    if not changes:
        return warning
    return WarningView.model_validate(
        warning.model_dump() | changes | {"markings": warning.markings}
    )


def ack_view(warning: WarningView) -> AckView:
    assert warning.acknowledged_at is not None
    assert warning.acknowledged_by is not None
    return AckView(
        warning_id=warning.id,
        acknowledged_at=warning.acknowledged_at,
        acknowledged_by=warning.acknowledged_by,
    )


async def list_warnings(
    conn: AsyncConnection,
    *,
    principal: Principal,
    after: int | None,
    before: int | None,
    newest_first: bool,
    sectors: Sequence[str],
    kinds: Sequence[str],
    acknowledged: bool | None,
    limit: int,
    states: Sequence[str] = (),
    assignee: str | None = None,
) -> list[WarningView]:
    query = sa.select(warnings).where(
        warnings.c.seq.is_not(None),
        visible_to(principal, warnings.c.seq, warnings.c.kind),
        matching(warnings.c.seq, warnings.c.kind, sectors=sectors, kinds=kinds),
    )
    if after is not None:
        query = query.where(warnings.c.seq > after)
    if before is not None:
        query = query.where(warnings.c.seq < before)
    if acknowledged is not None:
        query = query.where(
            warnings.c.acknowledged_at.is_not(None)
            if acknowledged
            else warnings.c.acknowledged_at.is_(None)
        )
    if states:
        query = query.where(warnings.c.state.in_(states))
    if assignee is not None:
        query = query.where(warnings.c.assignee == assignee)
    order = warnings.c.seq.desc() if newest_first else warnings.c.seq
    rows = await conn.execute(query.order_by(order).limit(limit))
    return [redact(principal, warning_view(row)) for row in rows.mappings()]


async def find_warning(
    conn: AsyncConnection, *, principal: Principal, warning_id: int, lock: bool = False
) -> WarningView | None:
    """The warning if the caller may see it (unredacted: for writers), else None."""
    query = sa.select(warnings).where(
        warnings.c.id == warning_id,
        warnings.c.seq.is_not(None),
        visible_to(principal, warnings.c.seq, warnings.c.kind),
    )
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    return warning_view(row) if row is not None else None
