"""The audit trail of writes that are not reports (organizations, keys): who did what, when.
Written in the transaction of the write it records, so neither exists without the other."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import audit_log


async def record(
    conn: AsyncConnection,
    *,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    org_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        audit_log.insert().values(
            at=at, actor=actor, org_id=org_id, action=action, target=target, details=details
        )
    )
