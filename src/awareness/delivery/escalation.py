"""Escalation: a warning at or above the escalation level that nobody has acknowledged within
its level's time goes to the next tier's subscriptions, and after as long again to the one
after, up to the last tier in use. An acknowledgement (or an assignment, or a resolution) stops
it. Each escalation is a `response` event, so boards see it and tier N's subscriptions get the
warning; the decision is a pure function of the warning, the tiers and the time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import warning_actions, warnings
from awareness.eventlog.writer import EventWriter
from awareness.settings import DeliverySettings
from awareness.views.warnings import ActionView, warning_view
from awareness.vocabulary import LEVELS

ACTOR = "awareness (escalation)"
# A warning's row, or the same values in a mapping (tests).
Row = Mapping[str, Any] | sa.RowMapping


def escalated_levels(settings: DeliverySettings) -> tuple[str, ...]:
    return LEVELS[LEVELS.index(settings.escalation_level) :]


def due_at(warning: Row, settings: DeliverySettings) -> datetime | None:
    """When the warning goes to its next tier, or None if it never escalates any more."""
    if warning["acknowledged_at"] is not None or warning["state"] != "new":
        return None
    minutes = settings.escalate_after_minutes.get(warning["level"])
    if minutes is None or warning["level"] not in escalated_levels(settings):
        return None
    created: datetime = warning["created_at"]
    return created + timedelta(minutes=minutes * warning["escalated_tier"])


def is_due(warning: Row, *, now: datetime, last_tier: int, settings: DeliverySettings) -> bool:
    if warning["escalated_tier"] >= last_tier:
        return False
    if now - warning["created_at"] > timedelta(hours=settings.escalation_window_hours):
        return False
    when = due_at(warning, settings)
    return when is not None and when <= now


async def candidates(
    conn: AsyncConnection, *, now: datetime, last_tier: int, settings: DeliverySettings
) -> list[int]:
    """Ids of the warnings due for their next tier now."""
    since = now - timedelta(hours=settings.escalation_window_hours)
    query = sa.select(warnings).where(
        warnings.c.seq.is_not(None),
        warnings.c.acknowledged_at.is_(None),
        warnings.c.state == "new",
        warnings.c.level.in_(escalated_levels(settings)),
        warnings.c.escalated_tier < last_tier,
        warnings.c.created_at >= since,
    )
    rows = (await conn.execute(query.order_by(warnings.c.id))).mappings()
    return [
        row["id"] for row in rows if is_due(row, now=now, last_tier=last_tier, settings=settings)
    ]


async def escalate(
    conn: AsyncConnection,
    warning_id: int,
    *,
    now: datetime,
    last_tier: int,
    settings: DeliverySettings,
) -> int | None:
    """Moves one warning to its next tier, in the caller's transaction: the seq of the event,
    or None if it was acknowledged (or escalated) in the meantime."""
    writer = EventWriter(conn)
    await writer.lock()
    row = (
        (
            await conn.execute(
                sa.select(warnings).where(warnings.c.id == warning_id).with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if row is None or not is_due(row, now=now, last_tier=last_tier, settings=settings):
        return None
    warning = warning_view(row)
    tier = warning.escalated_tier + 1
    await conn.execute(
        warnings.update().where(warnings.c.id == warning_id).values(escalated_tier=tier)
    )
    action = ActionView(
        warning_id=warning_id, action="escalated", at=now, actor=ACTOR, state=warning.state,
        tier=tier,
    )  # fmt: skip
    seq = await writer.append(
        type="response", kind=warning.kind, sector=warning.sector, sectors=warning.sectors,
        targets=warning.target_orgs or (), data=action, at=now, warning_id=warning_id,
    )  # fmt: skip
    await conn.execute(
        warning_actions.insert().values(
            warning_id=warning_id, seq=seq, at=now, actor=ACTOR, action="escalated", tier=tier
        )
    )
    return seq
