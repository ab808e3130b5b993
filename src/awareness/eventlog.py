"""The event log: every level change, warning and acknowledgement, in `seq` order, with who
may see it. Appends take one lock, so `seq` order is commit order: a reader that has seen
`seq` N has seen every event below it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal, Role
from awareness.db.tables import event_sectors, event_targets, events

# pg_advisory_xact_lock key for appends ("awev"); SQLite writers are serial already.
APPEND_LOCK_KEY = 0x61776576
KINDS = ("sector_level", "campaign", "exposure")


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

    def message(self) -> dict[str, Any]:
        """The feed frame: `data` of a warning carries its own `seq` too."""
        data = self.data | {"seq": self.seq} if self.type == "warning" else self.data
        return {"type": self.type, "seq": self.seq, "data": data}


class EventWriter:
    """Appends within the caller's transaction, taking the append lock before the first."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._locked = conn.dialect.name == "sqlite"
        self.appended: list[int] = []

    async def lock(self) -> None:
        """Take the append lock now (it is held until the transaction ends)."""
        if not self._locked:
            await self._conn.execute(sa.select(sa.func.pg_advisory_xact_lock(APPEND_LOCK_KEY)))
            self._locked = True

    async def append(
        self,
        *,
        type: str,
        kind: str,
        sector: str,
        sectors: Iterable[str],
        data: dict[str, Any],
        at: datetime,
        targets: Iterable[str] = (),
        warning_id: int | None = None,
    ) -> int:
        await self.lock()
        concerned = sorted({sector, *sectors})
        targets = sorted(set(targets))
        result = await self._conn.execute(
            events.insert()
            .values(
                type=type,
                kind=kind,
                sector=sector,
                warning_id=warning_id,
                data=data,
                audience={"sectors": concerned, "targets": targets},
                created_at=at,
            )
            .returning(events.c.seq)
        )
        seq: int = result.scalar_one()
        await self._conn.execute(
            event_sectors.insert(), [{"sector": s, "seq": seq} for s in concerned]
        )
        if targets:
            await self._conn.execute(
                event_targets.insert(), [{"org_id": org, "seq": seq} for org in targets]
            )
        self.appended.append(seq)
        return seq


def visible_to(
    principal: Principal, seq: sa.ColumnElement[int], kind: sa.ColumnElement[str]
) -> sa.ColumnElement[bool]:
    """The events (or warnings, through their creation `seq`) a caller may see: supervisors
    and responders those of their sectors; operators those addressed to their organization
    and the level changes of their own sector; admins everything."""
    if principal.role is Role.operator:
        addressed = sa.select(event_targets.c.seq).where(event_targets.c.org_id == principal.org_id)
        own_sector = sa.select(event_sectors.c.seq).where(
            event_sectors.c.sector == principal.org_sector
        )
        return sa.or_(seq.in_(addressed), sa.and_(kind == "sector_level", seq.in_(own_sector)))
    if principal.role is Role.admin or principal.sectors is None:
        return sa.true()
    return seq.in_(
        sa.select(event_sectors.c.seq).where(event_sectors.c.sector.in_(sorted(principal.sectors)))
    )


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


def redact(principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """An operator never learns which other organizations a warning is addressed to, nor
    their assets."""
    if principal.role is not Role.operator or data.get("target_orgs") is None:
        return data
    evidence = dict(data.get("evidence") or {})
    if "matches" in evidence:
        evidence["matches"] = {
            org: assets for org, assets in evidence["matches"].items() if org == principal.org_id
        }
    return data | {"target_orgs": [principal.org_id], "evidence": evidence}


async def head(conn: AsyncConnection) -> int:
    """The newest `seq` in the log (0 when empty)."""
    return (
        await conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0)))
    ).scalar_one()


async def oldest(conn: AsyncConnection) -> int | None:
    return (await conn.execute(sa.select(sa.func.min(events.c.seq)))).scalar_one()


async def read_after(
    conn: AsyncConnection,
    *,
    after: int,
    limit: int,
    principal: Principal | None = None,
    sectors: Sequence[str] = (),
    kinds: Sequence[str] = (),
) -> list[Event]:
    """Events with `seq > after` in order; with a principal, only those it may see."""
    query = sa.select(events).where(
        events.c.seq > after, matching(events.c.seq, events.c.kind, sectors=sectors, kinds=kinds)
    )
    if principal is not None:
        query = query.where(visible_to(principal, events.c.seq, events.c.kind))
    rows = await conn.execute(query.order_by(events.c.seq).limit(limit))
    return [Event(r.seq, r.type, r.kind, r.sector, r.data, r.created_at) for r in rows]


async def read_for_fanout(conn: AsyncConnection, *, after: int, limit: int) -> list[Event]:
    """Every event after `after`, with the sectors and organizations it concerns, in one query,
    for the broadcaster to decide per client in memory."""
    query = sa.select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit)
    return [
        Event(
            r.seq,
            r.type,
            r.kind,
            r.sector,
            r.data,
            r.created_at,
            frozenset(r.audience["sectors"]),
            frozenset(r.audience["targets"]),
        )
        for r in await conn.execute(query)
    ]


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
