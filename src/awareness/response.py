"""The response to a warning: acknowledged, assigned to someone responding, resolved with a
note, annotated along the way. Each step changes the warning's row, is kept for its timeline
and is appended to the event log in one transaction, so every open board sees it live and
every channel that follows the warning (PagerDuty) hears of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth import audit
from awareness.auth.principal import Principal
from awareness.db.engine import Database
from awareness.db.tables import delivery_attempts, events, subscriptions, warning_actions, warnings
from awareness.errors import Conflict
from awareness.eventlog.writer import EventWriter
from awareness.metrics import Metrics
from awareness.signals import Signals
from awareness.timestamps import UtcTime
from awareness.views.warnings import ActionView, WarningView, ack_view, find_warning
from awareness.vocabulary import LevelName

# The audit trail's name for each step of the timeline.
AUDITED = {
    "acknowledged": "warning.ack",
    "assigned": "warning.assign",
    "resolved": "warning.resolve",
    "note": "warning.note",
}


@dataclass(frozen=True, slots=True)
class Step:
    """A change asked of a warning, by whom and when."""

    principal: Principal
    warning_id: int
    now: datetime


async def _apply(
    database: Database,
    step: Step,
    *,
    signals: Signals,
    metrics: Metrics,
    change: Any,
) -> WarningView | None:
    """Runs `change(warning) -> (values, ActionView | None, ack)` on the locked warning, writes
    the values, the timeline entry and the event. None when the caller may not see it."""
    async with database.write() as conn:
        writer = EventWriter(conn)
        # The append lock first, the warning's row second: the order every writer follows.
        await writer.lock()
        warning = await find_warning(
            conn, principal=step.principal, warning_id=step.warning_id, lock=True
        )
        if warning is None:
            return None
        values, action = change(warning)
        if not values and action is None:
            return warning
        if values:
            where = warnings.c.id == step.warning_id
            await conn.execute(warnings.update().where(where).values(values))
            warning = warning.model_copy(update=values)
        data = action if action is not None else ack_view(warning)
        seq = await writer.append(
            type="response" if action is not None else "ack",
            kind=warning.kind, sector=warning.sector, sectors=warning.sectors,
            targets=warning.target_orgs or (), data=data, at=step.now,
            warning_id=step.warning_id,
        )  # fmt: skip
        entry = action or ActionView(
            warning_id=warning.id, action="acknowledged", at=step.now,
            actor=step.principal.display, state=warning.state,
        )  # fmt: skip
        await conn.execute(
            warning_actions.insert().values(
                warning_id=warning.id, seq=seq, at=entry.at, actor=entry.actor,
                action=entry.action, assignee=entry.assignee, note=entry.note, tier=entry.tier,
            )
        )  # fmt: skip
        await audit.record(
            conn, at=step.now, actor=step.principal.actor,
            action=AUDITED.get(entry.action, f"warning.{entry.action}"),
            target=f"warning:{warning.id}",
            details={"sector": warning.sector, "state": warning.state, "seq": seq}
            | {k: v for k, v in (("assignee", entry.assignee), ("note", entry.note)) if v},
        )  # fmt: skip
    metrics.events_appended.inc()
    signals.events_committed(seq)
    return warning


def _acknowledged(warning: WarningView, step: Step) -> dict[str, Any]:
    """Acting on a warning acknowledges it, which stops its escalation."""
    if warning.acknowledged_at is not None:
        return {}
    return {"acknowledged_at": step.now, "acknowledged_by": step.principal.display}


async def acknowledge(
    database: Database, step: Step, *, signals: Signals, metrics: Metrics
) -> WarningView | None:
    """Once: acknowledging again changes nothing and appends nothing."""

    def change(warning: WarningView) -> tuple[dict[str, Any], None]:
        values = _acknowledged(warning, step)
        if values and warning.state == "new":
            values["state"] = "acknowledged"
        return values, None

    return await _apply(database, step, signals=signals, metrics=metrics, change=change)


async def assign(
    database: Database,
    step: Step,
    *,
    assignee: str,
    note: str | None,
    signals: Signals,
    metrics: Metrics,
) -> WarningView | None:
    """Someone responds: the warning is acknowledged (if it was not) and `responding`."""

    def change(warning: WarningView) -> tuple[dict[str, Any], ActionView]:
        if warning.state == "resolved":
            raise Conflict(f"warning {warning.id} is resolved; it takes notes, not assignments")
        values = _acknowledged(warning, step) | {"state": "responding", "assignee": assignee}
        return values, ActionView(
            warning_id=warning.id, action="assigned", at=step.now,
            actor=step.principal.display, state="responding", assignee=assignee, note=note,
        )  # fmt: skip

    return await _apply(database, step, signals=signals, metrics=metrics, change=change)


async def resolve(
    database: Database, step: Step, *, note: str, signals: Signals, metrics: Metrics
) -> WarningView | None:
    """Once, like an acknowledgement: resolving again changes nothing and appends nothing."""

    def change(warning: WarningView) -> tuple[dict[str, Any], ActionView | None]:
        if warning.state == "resolved":
            return {}, None
        values = _acknowledged(warning, step) | {"state": "resolved", "resolved_at": step.now}
        return values, ActionView(
            warning_id=warning.id, action="resolved", at=step.now,
            actor=step.principal.display, state="resolved", assignee=warning.assignee,
            note=note,
        )  # fmt: skip

    return await _apply(database, step, signals=signals, metrics=metrics, change=change)


async def annotate(
    database: Database, step: Step, *, text: str, signals: Signals, metrics: Metrics
) -> WarningView | None:
    """A note changes nothing about the warning's state; it is kept and told."""

    def change(warning: WarningView) -> tuple[dict[str, Any], ActionView]:
        return {}, ActionView(
            warning_id=warning.id, action="note", at=step.now, actor=step.principal.display,
            state=warning.state, assignee=warning.assignee, note=text,
        )  # fmt: skip

    return await _apply(database, step, signals=signals, metrics=metrics, change=change)


class TimelineEntry(BaseModel):
    at: UtcTime
    kind: str = Field(
        description="raised, acknowledged, assigned, resolved, note, escalated or delivery"
    )
    actor: str
    seq: int | None = Field(None, description="the event that told the feed")
    level: LevelName | None = None
    title: str | None = None
    assignee: str | None = None
    note: str | None = None
    tier: int | None = None
    subscription_id: int | None = None
    subscription: str | None = None
    channel: str | None = None
    attempt: int | None = None
    outcome: str | None = None
    status_code: int | None = None
    error: str | None = None


async def timeline(
    conn: AsyncConnection, *, principal: Principal, warning_id: int
) -> list[TimelineEntry] | None:
    """Everything that happened to a warning, oldest first: raised, each action, and each
    delivery attempt of its events to the subscriptions the caller manages or, for an admin,
    all of them. None when the caller may not see the warning."""
    warning = await find_warning(conn, principal=principal, warning_id=warning_id)
    if warning is None:
        return None
    entries: list[dict[str, Any]] = [
        {"at": warning.created_at, "kind": "raised", "actor": "awareness",
         "level": warning.level, "title": warning.title, "seq": warning.seq},
    ]  # fmt: skip
    actions = await conn.execute(
        sa.select(warning_actions)
        .where(warning_actions.c.warning_id == warning_id)
        .order_by(warning_actions.c.id)
    )
    for row in actions.mappings():
        entries.append(
            {"at": row["at"], "kind": row["action"], "actor": row["actor"], "seq": row["seq"]}
            | {k: row[k] for k in ("assignee", "note", "tier") if row[k] is not None}
        )
    attempts = await conn.execute(
        sa.select(
            delivery_attempts,
            subscriptions.c.name,
            subscriptions.c.channel,
            subscriptions.c.owner_key_id,
            subscriptions.c.sectors,
        )
        .select_from(delivery_attempts.join(subscriptions))
        .where(
            delivery_attempts.c.seq.in_(
                sa.select(events.c.seq).where(events.c.warning_id == warning_id)
            )
        )
        .order_by(delivery_attempts.c.id)
    )
    for row in attempts.mappings():
        if not principal.manages(row["owner_key_id"], row["sectors"]):
            continue
        entries.append(
            {"at": row["at"], "kind": "delivery", "actor": "awareness", "seq": row["seq"],
             "subscription_id": row["subscription_id"], "subscription": row["name"],
             "channel": row["channel"], "attempt": row["attempt"], "outcome": row["outcome"],
             "status_code": row["status_code"], "error": row["error"]}
        )  # fmt: skip
    entries.sort(key=lambda entry: entry["at"])
    return [TimelineEntry.model_validate(entry) for entry in entries]
