"""The audit trail's hash chain: the canonical form of a record, its SHA-256, and the walk that
checks every link. Nothing here writes; `audit.py` appends and purges."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from awareness.db.engine import Database
from awareness.db.tables import audit_anchor, audit_log

# The previous hash of the first record ever written: 64 zeros, like an empty block's parent.
GENESIS = "0" * 64
# Bumped if the canonical form ever changes, so that old and new records cannot be confused.
FORM = "awareness-audit-v1"
# Fields hashed, in this order. The row id is not: the chain itself (each record naming its
# predecessor's hash) fixes the order, so a deleted or reordered record breaks a link.
FIELDS = ("at", "actor", "org_id", "action", "target", "details", "request_id")


def _stamp(moment: datetime) -> str:
    # Fixed microsecond width: both databases keep microseconds, and the text must not depend
    # on whether a time happens to fall on a whole second.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: Mapping[Any, Any], prev_hash: str) -> bytes:
    """The bytes a record's hash covers: its fields and its predecessor's hash, as compact JSON
    with sorted keys (JSONB reorders keys; the text must not depend on it)."""
    values: list[Any] = [FORM]
    for name in FIELDS:
        value = fields.get(name)
        values.append(_stamp(value) if isinstance(value, datetime) else value)
    values.append(prev_hash)
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def digest(fields: Mapping[Any, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(fields, prev_hash)).hexdigest()


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a walk of the chain found: how many records it checked, the hash at its head, and
    the first broken record (its id and what is wrong), if any."""

    checked: int
    head: str
    anchor_id: int | None
    broken_id: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


async def verify(
    database: Database,
    *,
    page: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> Verdict:
    """Walks the trail in id order from the anchor of purged records (or the genesis), checking
    each record's hash against its content and its previous hash against the record before.
    Records appended during the walk are checked too; `progress(checked, total)` is called
    after each page."""
    async with database.read() as conn:
        anchor = (await conn.execute(sa.select(audit_anchor))).mappings().first()
        total = (await conn.execute(sa.select(sa.func.count()).select_from(audit_log))).scalar()
    expected = anchor["hash"] if anchor is not None else GENESIS
    anchor_id = anchor["last_id"] if anchor is not None else None
    before = (
        f"the anchor of the purged records (up to id {anchor_id})"
        if anchor is not None
        else "the genesis (no record before it)"
    )
    checked, last_id = 0, None
    while True:
        query = sa.select(audit_log).order_by(audit_log.c.id).limit(page)
        if last_id is not None:
            query = query.where(audit_log.c.id > last_id)
        async with database.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        for row in rows:
            if row["prev_hash"] != expected:
                problem = f"its previous hash does not match {before}"
                return Verdict(checked, expected, anchor_id, row["id"], problem)
            if digest(row, row["prev_hash"]) != row["hash"]:
                problem = "its hash does not match its content"
                return Verdict(checked, expected, anchor_id, row["id"], problem)
            checked += 1
            expected, last_id = row["hash"], row["id"]
            before = f"the hash of record {last_id}, the record before it"
        if progress is not None and rows:
            progress(checked, max(total or 0, checked))
        if len(rows) < page:
            return Verdict(checked, expected, anchor_id)
