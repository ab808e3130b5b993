"""Appending to the event log. Appends take one lock, so `seq` order is commit order: a reader
that has seen `seq` N has seen every event below it, and a consumer may keep one number as its
cursor."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import event_sectors, event_targets, events

# pg_advisory_xact_lock key for appends ("awev"); SQLite writers are serial already.
APPEND_LOCK_KEY = 0x61776576


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
        data: BaseModel | Callable[[int], BaseModel],
        at: datetime,
        targets: Iterable[str] = (),
        warning_id: int | None = None,
        markings: list[dict[str, Any]] | None = None,
    ) -> int:
        """`data` is the event's read model, or a function of the new `seq` that gives it (a
        warning names the seq of the event that raised it). `markings` are the TLP markings of
        what it names, kept with its audience."""
        await self.lock()
        concerned = sorted({sector, *sectors})
        addressed = sorted(set(targets))
        known = data.model_dump(mode="json") if isinstance(data, BaseModel) else {}
        result = await self._conn.execute(
            events.insert()
            .values(
                type=type,
                kind=kind,
                sector=sector,
                warning_id=warning_id,
                data=known,
                audience={"sectors": concerned, "targets": addressed}
                | ({"markings": markings} if markings else {}),
                created_at=at,
            )
            .returning(events.c.seq)
        )
        seq: int = result.scalar_one()
        if not isinstance(data, BaseModel):
            await self._conn.execute(
                events.update()
                .where(events.c.seq == seq)
                .values(data=data(seq).model_dump(mode="json"))
            )
        await self._conn.execute(
            event_sectors.insert(), [{"sector": s, "seq": seq} for s in concerned]
        )
        if addressed:
            await self._conn.execute(
                event_targets.insert(), [{"org_id": org, "seq": seq} for org in addressed]
            )
        self.appended.append(seq)
        return seq
