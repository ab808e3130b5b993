"""Reading the event log in `seq` order: pages for a client's replay, every event with its
audience for the broadcaster, the head and the oldest kept, and the purge of old events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.db.tables import events
from awareness.eventlog.visibility import matching, visible_to


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    type: str
    kind: str
    sector: str
    data: dict[str, Any]
    created_at: datetime
    sectors: frozenset[str] = field(default=frozenset())
    targets: frozenset[str] = field(default=frozenset())
    # TLP: what the items it names let each reader see (eventlog.tlp); never sent as such.
    markings: list[dict[str, Any]] | None = None

    @property
    def key(self) -> str:
        """The event's idempotency key: the same on every delivery of it, so a receiver that
        gets it twice (at-least-once) can tell."""
        return f"evt_{self.seq}"

    def message(self) -> dict[str, Any]:
        """The feed frame."""
        return {"type": self.type, "seq": self.seq, "data": self.data}


def _event(row: sa.Row[Any]) -> Event:
    return Event(
        row.seq,
        row.type,
        row.kind,
        row.sector,
        row.data,
        row.created_at,
        frozenset(row.audience["sectors"]),
        frozenset(row.audience["targets"]),
        row.audience.get("markings"),
    )


async def head(conn: AsyncConnection) -> int:
    """The newest `seq` in the log (0 when empty)."""
    newest: int = (
        await conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0)))
    ).scalar_one()
    return newest


async def oldest(conn: AsyncConnection) -> int | None:
    first: int | None = (await conn.execute(sa.select(sa.func.min(events.c.seq)))).scalar_one()
    return first


async def read_after(
    conn: AsyncConnection,
    *,
    after: int,
    limit: int,
    principal: Principal | None = None,
    sectors: Sequence[str] = (),
    kinds: Sequence[str] = (),
) -> list[Event]:
    """Events with `seq > after` in order, each with the sectors and organizations it concerns;
    with a principal, only those it may see."""
    query = sa.select(events).where(
        events.c.seq > after, matching(events.c.seq, events.c.kind, sectors=sectors, kinds=kinds)
    )
    if principal is not None:
        query = query.where(visible_to(principal, events.c.seq, events.c.kind))
    return [_event(row) for row in await conn.execute(query.order_by(events.c.seq).limit(limit))]


async def purge_before(conn: AsyncConnection, *, before: datetime) -> int:
    """Forget events older than the retention. Warnings are kept, and so are the sector and
    organization rows that say who may read them."""
    last = (
        await conn.execute(sa.select(sa.func.max(events.c.seq)).where(events.c.created_at < before))
    ).scalar()
    if last is None:
        return 0
    result = await conn.execute(events.delete().where(events.c.seq <= last))
    return result.rowcount or 0
