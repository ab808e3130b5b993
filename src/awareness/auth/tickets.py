"""Feed tickets: a browser cannot set headers on a WebSocket, and its API key must not travel in
a URL. It trades the key (in a header) for a ticket that opens one connection within seconds;
only the ticket's hash is stored, and a ticket works once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.db.tables import feed_tickets

TICKET_PREFIX = "awt_"


def _hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


async def issue(
    conn: AsyncConnection, *, principal: Principal, now: datetime, lifetime: float
) -> tuple[str, datetime]:
    ticket = TICKET_PREFIX + secrets.token_urlsafe(24)
    expires = now + timedelta(seconds=lifetime)
    await conn.execute(
        feed_tickets.insert().values(
            ticket_hash=_hash(ticket), key_id=principal.key_id, expires_at=expires
        )
    )
    # Expired tickets are of no use to anyone; clear them while here.
    await conn.execute(feed_tickets.delete().where(feed_tickets.c.expires_at < now))
    return ticket, expires


async def redeem(conn: AsyncConnection, ticket: str, *, now: datetime) -> int | None:
    """The key id the ticket was issued to, once; None if unknown, used or expired."""
    result = await conn.execute(
        feed_tickets.update()
        .where(
            feed_tickets.c.ticket_hash == _hash(ticket),
            feed_tickets.c.used_at.is_(None),
            feed_tickets.c.expires_at >= now,
        )
        .values(used_at=now)
        .returning(feed_tickets.c.key_id)
    )
    key_id: int | None = result.scalar()
    return key_id
