"""Idempotent writes: a retried request with the same `Idempotency-Key` gets the first answer
again and stores nothing new. The record is written in the same transaction as the report, and
its primary key makes two concurrent duplicates collide, so exactly one of them is stored."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.engine import Database
from awareness.db.tables import idempotency_keys
from awareness.errors import FieldError, ValidationFailed

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(endpoint: str, payload: Any) -> str:
    """Same endpoint and same body, whatever its whitespace or key order."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{endpoint}\n{canonical}".encode()).hexdigest()


def check_key(key: str | None) -> str | None:
    if key is not None and not _VALID_KEY.match(key):
        raise ValidationFailed(
            [FieldError(HEADER, "1 to 255 printable ASCII characters without spaces")]
        )
    return key


async def run_once(
    database: Database,
    *,
    org_id: str,
    key: str | None,
    request_hash: str,
    now: datetime,
    retention: timedelta,
    work: Callable[[AsyncConnection], Awaitable[Outcome]],
) -> Outcome:
    """Run `work` in a write transaction unless this key already ran; retries once on a
    uniqueness race (two first-time writes of one new asset), which then finds the winner."""
    stale = False
    if key is not None:
        async with database.read() as conn:
            row = await find(conn, org_id, key)
        if row is not None and row["created_at"] >= now - retention:
            return replay(row, request_hash)
        stale = row is not None
    for attempt in (1, 2):
        try:
            async with database.write() as conn:
                if stale:
                    await conn.execute(
                        idempotency_keys.delete().where(
                            idempotency_keys.c.org_id == org_id,
                            idempotency_keys.c.key == key,
                            idempotency_keys.c.created_at < now - retention,
                        )
                    )
                outcome = await work(conn)
                if key is not None:
                    await conn.execute(
                        idempotency_keys.insert().values(
                            org_id=org_id,
                            key=key,
                            request_hash=request_hash,
                            status_code=outcome.status_code,
                            response=outcome.body,
                            created_at=now,
                        )
                    )
            return outcome
        except IntegrityError:
            if key is not None:
                async with database.read() as conn:
                    row = await find(conn, org_id, key)
                if row is not None:
                    return replay(row, request_hash)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def find(conn: AsyncConnection, org_id: str, key: str) -> sa.RowMapping | None:
    query = sa.select(idempotency_keys).where(
        idempotency_keys.c.org_id == org_id, idempotency_keys.c.key == key
    )
    return (await conn.execute(query)).mappings().first()


def replay(row: sa.RowMapping, request_hash: str) -> Outcome:
    if row["request_hash"] != request_hash:
        raise ValidationFailed(
            [FieldError(HEADER, "already used for a different request; use a new key")],
            "Idempotency-Key reused with a different request",
        )
    return Outcome(row["status_code"], row["response"], replayed=True)


async def purge_expired(database: Database, *, before: datetime) -> int:
    async with database.write() as conn:
        result = await conn.execute(
            idempotency_keys.delete().where(idempotency_keys.c.created_at < before)
        )
    return result.rowcount or 0
