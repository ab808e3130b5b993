"""Which reporting regimes apply to which organization: set by administrators, read by every
clock. Runs in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth import audit
from awareness.db.tables import org_regimes, organizations
from awareness.errors import FieldError, NotFound, ValidationFailed
from awareness.scoring.clocks import RegimesConfig


async def assign_regimes(
    conn: AsyncConnection,
    *,
    org_id: str,
    regimes: Sequence[str],
    known: RegimesConfig,
    now: datetime,
    actor: str,
) -> list[str]:
    """Replace the organization's regimes with `regimes` (422 naming each unknown one, 404 for
    an unknown organization); returns them sorted."""
    errors = [
        FieldError(f"regimes[{i}]", f"unknown regime {name!r}; one of {', '.join(known.names())}")
        for i, name in enumerate(regimes)
        if known.get(name) is None
    ]
    if errors:
        raise ValidationFailed(errors, "unknown reporting regime")
    exists = await conn.execute(sa.select(organizations.c.id).where(organizations.c.id == org_id))
    if exists.first() is None:
        raise NotFound(f"no organization {org_id!r}")
    wanted = sorted(set(regimes))
    current = await regimes_of(conn, org_id)
    removed = sorted(set(current) - set(wanted))
    added = sorted(set(wanted) - set(current))
    if removed:
        await conn.execute(
            org_regimes.delete().where(
                org_regimes.c.org_id == org_id, org_regimes.c.regime.in_(removed)
            )
        )
    if added:
        await conn.execute(
            org_regimes.insert(),
            [
                {"org_id": org_id, "regime": r, "assigned_at": now, "assigned_by": actor}
                for r in added
            ],
        )
    if added or removed:
        await audit.record(
            conn, at=now, actor=actor, action="org.regimes", target=f"org:{org_id}",
            org_id=org_id, details={"regimes": wanted, "added": added, "removed": removed},
        )  # fmt: skip
    return wanted


async def regimes_of(conn: AsyncConnection, org_id: str) -> list[str]:
    query = (
        sa.select(org_regimes.c.regime)
        .where(org_regimes.c.org_id == org_id)
        .order_by(org_regimes.c.regime)
    )
    return list((await conn.execute(query)).scalars())
