"""API keys: generated at random, shown once, stored only as a SHA-256 hash. Keys carry 256 bits
of entropy, so a fast hash is as safe as a slow one and costs nothing per request."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth import audit
from awareness.auth.principal import Principal, Role
from awareness.db.engine import Database
from awareness.db.tables import api_keys, organizations
from awareness.errors import FieldError, ValidationFailed

KEY_PREFIX = "aw_"
# 32 random bytes, URL-safe base64 without padding.
_KEY = re.compile(r"aw_[A-Za-z0-9_-]{43}")
KEY_SHAPE = "aw_ followed by 43 letters, digits, '-' or '_'"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def well_formed(key: str) -> bool:
    """Whether `key` could be one this service issued; anything else needs no look-up."""
    return _KEY.fullmatch(key) is not None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CreatedKey:
    id: int
    key: str
    prefix: str


async def create_key(
    conn: AsyncConnection,
    *,
    role: Role,
    org_id: str | None,
    sectors: Iterable[str] | None,
    name: str | None,
    known_sectors: Iterable[str],
    now: datetime,
    actor: str,
) -> CreatedKey:
    sector_list = sorted(set(sectors)) if sectors is not None else None
    errors = await _check_key_request(conn, role, org_id, sector_list, set(known_sectors))
    if errors:
        raise ValidationFailed(errors, "cannot create that key")
    key = new_key()
    prefix = key[: len(KEY_PREFIX) + 6]
    key_id = (
        await conn.execute(
            api_keys.insert()
            .values(
                prefix=prefix,
                key_hash=hash_key(key),
                role=role.value,
                org_id=org_id,
                sectors=sector_list,
                name=name,
                created_at=now,
            )
            .returning(api_keys.c.id)
        )
    ).scalar_one()
    await audit.record(
        conn, at=now, actor=actor, action="key.create", target=f"key:{key_id}", org_id=org_id,
        details={"role": role.value, "sectors": sector_list, "name": name},
    )  # fmt: skip
    return CreatedKey(id=key_id, key=key, prefix=prefix)


async def _check_key_request(
    conn: AsyncConnection,
    role: Role,
    org_id: str | None,
    sectors: list[str] | None,
    known: set[str],
) -> list[FieldError]:
    errors: list[FieldError] = []
    if role is Role.operator:
        if not org_id:
            errors.append(FieldError("org", "an operator key needs the organization it acts for"))
        elif (
            await conn.execute(sa.select(organizations.c.id).where(organizations.c.id == org_id))
        ).first() is None:
            errors.append(FieldError("org", f"no organization {org_id!r}; create it first"))
        if sectors is not None:
            errors.append(FieldError("sectors", "an operator sees its organization's sector only"))
    elif org_id is not None:
        errors.append(FieldError("org", f"a {role.value} key belongs to no organization"))
    if role is Role.admin and sectors is not None:
        errors.append(FieldError("sectors", "an admin key is not limited to sectors"))
    elif sectors is not None and not sectors:
        errors.append(
            FieldError("sectors", "name at least one sector, or leave it out for every sector")
        )
    for sector in sectors or ():
        if sector not in known:
            errors.append(FieldError("sectors", f"unknown sector {sector!r}"))
    return errors


async def revoke_key(conn: AsyncConnection, *, key_id: int, now: datetime, actor: str) -> bool:
    result = await conn.execute(
        api_keys.update()
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if result.rowcount:
        await audit.record(conn, at=now, actor=actor, action="key.revoke", target=f"key:{key_id}")
    return bool(result.rowcount)


async def revoked_among(conn: AsyncConnection, key_ids: Iterable[int]) -> set[int]:
    """Which of these keys are revoked (or gone), for sessions that outlive a request."""
    wanted = set(key_ids)
    if not wanted:
        return set()
    active = await conn.execute(
        sa.select(api_keys.c.id).where(api_keys.c.id.in_(wanted), api_keys.c.revoked_at.is_(None))
    )
    return wanted - set(active.scalars())


class KeyStore:
    """Resolves a presented key to its principal. Hits are cached for a few seconds because
    every request needs one; a revoked key stops working once its entry expires."""

    def __init__(self, database: Database, *, cache_seconds: float, max_entries: int = 10_000):
        self._database = database
        self._ttl = cache_seconds
        self._max = max_entries
        self._cache: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    async def resolve(self, key: str) -> Principal | None:
        digest = hash_key(key)
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        principal = await self._load(digest)
        if principal is not None and self._ttl > 0:
            self._cache[digest] = (time.monotonic() + self._ttl, principal)
            self._cache.move_to_end(digest)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return principal

    def forget(self, key_id: int) -> None:
        """Drop a key this process has just revoked, so it is refused here at once."""
        for digest, (_, principal) in list(self._cache.items()):
            if principal.key_id == key_id:
                del self._cache[digest]

    async def resolve_id(self, key_id: int) -> Principal | None:
        """The principal of a key known by id (a redeemed feed ticket), if not revoked."""
        return await self._load(api_keys.c.id == key_id)

    async def _load(self, match: str | sa.ColumnElement[bool]) -> Principal | None:
        digest = match if isinstance(match, str) else None
        found = api_keys.c.key_hash == match if isinstance(match, str) else match
        query = (
            sa.select(api_keys, organizations.c.sector.label("org_sector"))
            .select_from(api_keys.outerjoin(organizations))
            .where(found, api_keys.c.revoked_at.is_(None))
        )
        async with self._database.read() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        # The index found the row by hash; compare again in constant time all the same.
        if digest is not None and not hmac.compare_digest(row["key_hash"], digest):
            return None
        return Principal(
            key_id=row["id"],
            role=Role(row["role"]),
            org_id=row["org_id"],
            org_sector=row["org_sector"],
            sectors=frozenset(row["sectors"]) if row["sectors"] is not None else None,
            name=row["name"],
        )
