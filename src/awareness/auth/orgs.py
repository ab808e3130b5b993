"""Operator organizations: the tenant every report and operator key belongs to."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth import audit
from awareness.db.tables import organizations
from awareness.errors import Conflict, FieldError, ValidationFailed

ORG_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


async def create_org(
    conn: AsyncConnection,
    *,
    org_id: str,
    name: str,
    sector: str,
    region: str | None,
    known_sectors: Iterable[str],
    now: datetime,
    actor: str,
) -> dict[str, Any]:
    errors: list[FieldError] = []
    if not ORG_ID_PATTERN.match(org_id):
        errors.append(
            FieldError("id", "1-64 lower-case letters, digits, '.', '_' or '-', starting alnum")
        )
    if not name.strip() or len(name) > 200:
        errors.append(FieldError("name", "1 to 200 characters"))
    known = sorted(known_sectors)
    if sector not in known:
        errors.append(FieldError("sector", f"unknown sector {sector!r}; one of {', '.join(known)}"))
    if region is not None and len(region) > 100:
        errors.append(FieldError("region", "at most 100 characters"))
    if errors:
        raise ValidationFailed(errors, "cannot register that organization")
    exists = await conn.execute(sa.select(organizations.c.id).where(organizations.c.id == org_id))
    if exists.first() is not None:
        raise Conflict(f"organization {org_id!r} already exists")
    row = {
        "id": org_id,
        "name": name.strip(),
        "sector": sector,
        "region": region,
        "created_at": now,
    }
    await conn.execute(organizations.insert().values(row))
    await audit.record(
        conn, at=now, actor=actor, action="org.create", target=f"org:{org_id}", org_id=org_id,
        details={"sector": sector, "region": region},
    )  # fmt: skip
    return row


async def list_orgs(conn: AsyncConnection) -> list[dict[str, Any]]:
    query = sa.select(organizations).order_by(organizations.c.id)
    return [dict(row) for row in (await conn.execute(query)).mappings()]


class ProfileMismatch(Exception):
    """The sector profile lacks sectors that organizations of the database belong to."""


async def check_profile(conn: AsyncConnection, *, profile: str, sectors: Iterable[str]) -> None:
    """Refuse a profile that lacks a sector some organization belongs to: its reports, keys
    and levels would name a sector the service no longer knows."""
    query = (
        sa.select(organizations.c.sector, organizations.c.id)
        .where(organizations.c.sector.not_in(sorted(sectors)))
        .order_by(organizations.c.sector, organizations.c.id)
    )
    found: dict[str, list[str]] = {}
    for sector, org_id in await conn.execute(query):
        found.setdefault(sector, []).append(org_id)
    if not found:
        return
    listed = "; ".join(
        f"{sector} ({', '.join(ids[:5])}{f' and {len(ids) - 5} more' if len(ids) > 5 else ''})"
        for sector, ids in found.items()
    )
    raise ProfileMismatch(
        f"the sector profile {profile!r} lacks sectors that organizations of this database "
        f"belong to: {listed}. Serve it with the profile they were registered under "
        "(AWARENESS_PROFILE or --profile), or use another database for this profile."
    )
