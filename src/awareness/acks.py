"""Acknowledging a warning: who and when, once. The acknowledgement is appended to the event
log in the same transaction, so every open board sees it live."""

from __future__ import annotations

from datetime import datetime

from awareness.auth.principal import Principal
from awareness.db.engine import Database
from awareness.db.tables import warnings
from awareness.eventlog.writer import EventWriter
from awareness.metrics import Metrics
from awareness.signals import Signals
from awareness.views.warnings import WarningView, ack_view, find_warning


async def acknowledge(
    database: Database,
    *,
    principal: Principal,
    warning_id: int,
    now: datetime,
    signals: Signals,
    metrics: Metrics,
) -> WarningView | None:
    """The warning as acknowledged (None when the caller may not see it). Acknowledging again
    changes nothing and appends nothing."""
    async with database.write() as conn:
        writer = EventWriter(conn)
        # The append lock first, the warning's row second: the order every writer follows.
        await writer.lock()
        warning = await find_warning(conn, principal=principal, warning_id=warning_id, lock=True)
        if warning is None or warning.acknowledged_at is not None:
            return warning
        await conn.execute(
            warnings.update()
            .where(warnings.c.id == warning_id)
            .values(acknowledged_at=now, acknowledged_by=principal.display)
        )
        warning = warning.model_copy(
            update={"acknowledged_at": now, "acknowledged_by": principal.display}
        )
        seq = await writer.append(
            type="ack",
            kind=warning.kind,
            sector=warning.sector,
            sectors=warning.sectors,
            targets=warning.target_orgs or (),
            data=ack_view(warning),
            at=now,
            warning_id=warning_id,
        )
    metrics.events_appended.inc()
    signals.events_committed(seq)
    return warning
