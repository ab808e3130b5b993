"""Idempotent writes: a retried request with the same `Idempotency-Key` gets the first answer
again and stores nothing new. The record is written in the same transaction as the report (or
the same statement), and its primary key makes two concurrent duplicates collide, so exactly one
of them is stored and the other is given its answer."""

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


@dataclass(frozen=True, slots=True)
class Remember:
    """The record a write stores beside its reports, so a retry finds it."""

    org_id: str
    key: str
    request_hash: str
    created_at: datetime


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
    write: Callable[[Remember | None], Awaitable[Outcome]],
) -> Outcome:
    """Run `write` unless this key already ran, and have it store `Remember` with its reports.
    Retries once on a uniqueness race (two first-time writes of one new asset), which then
    finds the winner."""
    remember = Remember(org_id, key, request_hash, now) if key is not None else None
    if key is not None:
        async with database.read() as conn:
            row = await _find(conn, org_id, key)
        if row is not None and row["created_at"] >= now - retention:
            return _replay(row, request_hash)
        if row is not None:
            async with database.write() as conn:
                await conn.execute(
                    idempotency_keys.delete().where(
                        idempotency_keys.c.org_id == org_id,
                        idempotency_keys.c.key == key,
                        idempotency_keys.c.created_at < now - retention,
                    )
                )
    for attempt in (1, 2):
        try:
            return await write(remember)
        except IntegrityError:
            if key is not None:
                async with database.read() as conn:
                    row = await _find(conn, org_id, key)
                if row is not None:
                    return _replay(row, request_hash)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def record(conn: AsyncConnection, remember: Remember, outcome: Outcome) -> None:
    """Store the answer in the write's own transaction."""
    await conn.execute(
        idempotency_keys.insert().values(
            org_id=remember.org_id,
            key=remember.key,
            request_hash=remember.request_hash,
            status_code=outcome.status_code,
            response=outcome.body,
            created_at=remember.created_at,
        )
    )


async def _find(conn: AsyncConnection, org_id: str, key: str) -> sa.RowMapping | None:
    query = sa.select(idempotency_keys).where(
        idempotency_keys.c.org_id == org_id, idempotency_keys.c.key == key
    )
    return (await conn.execute(query)).mappings().first()


def _replay(row: sa.RowMapping, request_hash: str) -> Outcome:
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
