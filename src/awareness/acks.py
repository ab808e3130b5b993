"""Acknowledging a warning: who and when, once. The acknowledgement is appended to the event
log in the same transaction, so every open board sees it live."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.correlator.emit import warning_view
from awareness.db.tables import event_targets, warnings
from awareness.eventlog import EventWriter
from awareness.situation import get_warning


async def acknowledge(
    conn: AsyncConnection, *, principal: Principal, warning_id: int, now: datetime
) -> tuple[dict[str, Any] | None, int | None]:
    """Returns the warning (None when not visible to the caller) and the new event's seq
    (None when it was already acknowledged: acknowledging is idempotent)."""
    writer = EventWriter(conn)
    # The append lock first, the warning's row second: the order every writer follows.
    await writer.lock()
    row = await get_warning(conn, principal=principal, warning_id=warning_id, lock=True)
    if row is None:
        return None, None
    if row["acknowledged_at"] is not None:
        return warning_view(row), None
    row |= {"acknowledged_at": now, "acknowledged_by": principal.display}
    await conn.execute(
        warnings.update()
        .where(warnings.c.id == warning_id)
        .values(acknowledged_at=now, acknowledged_by=principal.display)
    )
    view = warning_view(row)
    targets = (
        await conn.execute(
            sa.select(event_targets.c.org_id).where(event_targets.c.seq == row["seq"])
        )
    ).scalars()
    seq = await writer.append(
        type="ack",
        kind=row["kind"],
        sector=row["sector"],
        sectors=row["sectors"],
        targets=list(targets),
        data={
            "warning_id": warning_id,
            "acknowledged_at": view["acknowledged_at"],
            "acknowledged_by": view["acknowledged_by"],
        },
        at=now,
        warning_id=warning_id,
    )
    return view, seq
