"""The audit trail: who did what, when. Append-only and hash-chained (`chain.py`): each record
carries the SHA-256 of the one before. A write's record is appended in the transaction of the
write, so neither exists without the other; reads (exports) are recorded in a small write of
their own. Nothing updates or deletes a record but retention, which keeps the chain checkable
by remembering the hash of the last record it removed (the anchor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.chain import GENESIS, digest
from awareness.db.engine import Database
from awareness.db.tables import audit_anchor, audit_log
from awareness.logs import request_id as current_request

# pg_advisory_xact_lock key for appends and purges ("awau"), held to the end of the write's
# transaction: two appends reading the same last hash would fork the chain (the unique
# prev_hash would then refuse the second). SQLite writers are serial already.
CHAIN_LOCK_KEY = 0x61776175
# The anchor is one row.
ANCHOR_ID = 1


async def _lock(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))


async def _head(conn: AsyncConnection) -> str:
    """The hash the next record names as its previous: the last record's, else the anchor's."""
    last = (
        await conn.execute(sa.select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1))
    ).scalar()
    if last is not None:
        return str(last)
    anchor = (
        await conn.execute(sa.select(audit_anchor.c.hash).where(audit_anchor.c.id == ANCHOR_ID))
    ).scalar()
    return str(anchor) if anchor is not None else GENESIS


async def record(
    conn: AsyncConnection,
    *,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    org_id: str | None = None,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> None:
    """Appends one record within the caller's transaction. The request id is the current
    request's unless given."""
    await _lock(conn)
    prev_hash = await _head(conn)
    fields = {
        "at": at, "actor": actor, "org_id": org_id, "action": action, "target": target,
        "details": details, "request_id": request_id or current_request.get(),
    }  # fmt: skip
    await conn.execute(
        audit_log.insert().values(**fields, prev_hash=prev_hash, hash=digest(fields, prev_hash))
    )


async def record_read(
    database: Database,
    *,
    at: datetime,
    actor: str,
    route: str,
    collection: str,
    count: int,
    org_id: str | None = None,
) -> None:
    """An export read (CAP, Atom, TAXII, MISP), after it: by which key, of what, how many
    objects. Its own short write; the answer is sent only once it is recorded."""
    async with database.write() as conn:
        await record(
            conn, at=at, actor=actor, action="export.read", target=collection, org_id=org_id,
            details={"route": route, "count": count},
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filters:
    actor: str | None = None
    action: str | None = None
    org_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def records(
    conn: AsyncConnection, *, filters: Filters, before_id: int | None, limit: int
) -> list[sa.RowMapping]:
    """Newest first (by id, the chain's order); `since` inclusive, `until` exclusive."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    conditions = [
        audit_log.c.id < before_id if before_id is not None else None,
        audit_log.c.actor == filters.actor if filters.actor is not None else None,
        audit_log.c.action == filters.action if filters.action is not None else None,
        audit_log.c.org_id == filters.org_id if filters.org_id is not None else None,
        audit_log.c.at >= filters.since if filters.since is not None else None,
        audit_log.c.at < filters.until if filters.until is not None else None,
    ]
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    return list((await conn.execute(query)).mappings())


async def purge_before(conn: AsyncConnection, *, before: datetime, now: datetime) -> int:
    """Retention: removes the oldest records, up to (not including) the first one at or after
    `before`, so what is removed is always a prefix of the chain, and moves the anchor to the
    last one removed so `verify` starts from its hash."""
    await _lock(conn)
    kept = (
        await conn.execute(sa.select(sa.func.min(audit_log.c.id)).where(audit_log.c.at >= before))
    ).scalar()
    query = sa.select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
    if kept is not None:
        query = query.where(audit_log.c.id < kept)
    last = (await conn.execute(query)).first()
    if last is None:
        return 0
    removed = (await conn.execute(audit_log.delete().where(audit_log.c.id <= last.id))).rowcount
    anchor = {"last_id": last.id, "hash": last.hash, "moved_at": now}
    moved = await conn.execute(
        audit_anchor.update()
        .where(audit_anchor.c.id == ANCHOR_ID)
        .values({**anchor, "purged": audit_anchor.c.purged + removed})
    )
    if not moved.rowcount:
        row = {**anchor, "id": ANCHOR_ID, "purged": removed}
        await conn.execute(audit_anchor.insert().values(row))
    return removed or 0
