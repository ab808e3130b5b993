"""Subscriptions as their owners manage them: created within the creator's scope (admins any
sectors, supervisors their sectors, responders for themselves), listed and removed by whoever
manages them, with their delivery health. A webhook's signing secret is shown once, at
creation, and stored encrypted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth import audit
from awareness.auth.principal import Principal, Role
from awareness.db.tables import delivery_attempts, subscriptions
from awareness.delivery.secrets import Vault, new_webhook_secret
from awareness.delivery.targets import TargetRefused, check_mail, check_reachable, check_url
from awareness.errors import FieldError, ValidationFailed
from awareness.eventlog.reader import head
from awareness.timestamps import UtcTime
from awareness.vocabulary import Channel, DeliveryMode, LevelName, WarningKind


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "energy SOC on call",
                    "channel": "webhook",
                    "target": "https://soc.example.org/hooks/awareness",
                    "sectors": ["energy"],
                    "min_level": "orange",
                }
            ]
        },
    )
    name: str = Field(min_length=1, max_length=200, examples=["energy SOC on call"])
    channel: Channel
    target: str | None = Field(
        None,
        max_length=2048,
        description="the URL (webhook, Slack) or mail address; pagerduty: the Events API URL, "
        "PagerDuty's own when left out",
    )
    routing_key: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="pagerduty only: the integration's routing key (stored encrypted)",
    )
    sectors: list[str] | None = Field(
        None, description="sectors delivered; left out: every sector of the creator's scope"
    )
    kinds: list[WarningKind] | None = Field(None, description="left out: every kind")
    min_level: LevelName = Field("blue", description="the lowest level delivered")
    tier: int = Field(1, ge=1, le=5, description="escalation tier: 1 is told first")
    mode: DeliveryMode = Field(
        "immediate",
        description="immediate: what reaches min_level, at once; digest: that too, and what is "
        "below it gathered into one delivery every digest_minutes",
    )
    digest_minutes: int = Field(60, ge=5, le=1440, description="digest mode: how often")


class SubscriptionView(BaseModel):
    id: int
    name: str
    channel: Channel
    target: str
    sectors: list[str] | None
    kinds: list[WarningKind] | None
    min_level: LevelName
    tier: int
    mode: DeliveryMode
    digest_minutes: int
    digest_pending: int = Field(0, description="digest mode: warnings gathered for the next one")
    digest_due_at: UtcTime | None = None
    owner_key_id: int
    created_at: UtcTime
    state: str = Field(description="active, or disabled (see disabled_reason)")
    position: int = Field(description="the last event seq it has handled")
    backlog: int = Field(description="events after its position not yet handled")
    attempts: int = Field(description="failed attempts at the event after its position")
    next_attempt_at: UtcTime | None
    failing_since: UtcTime | None
    last_success_at: UtcTime | None
    disabled_at: UtcTime | None
    disabled_reason: str | None


class SubscriptionCreated(SubscriptionView):
    secret: str | None = Field(
        None, description="webhook only: the signing secret (whsec_...), shown this once"
    )


class AttemptView(BaseModel):
    id: int
    seq: int
    message_id: str = Field(description="the webhook-id every attempt at this event carries")
    attempt: int
    at: UtcTime
    outcome: str = Field(description="delivered, failed, or disabled")
    status_code: int | None
    error: str | None
    latency_ms: float
    next_attempt_at: UtcTime | None


def view(row: sa.RowMapping | dict[str, Any], *, newest: int) -> SubscriptionView:
    return SubscriptionView.model_validate(
        dict(row)
        | {
            "state": "disabled" if row["disabled_at"] is not None else "active",
            "backlog": max(0, newest - row["position"]),
            "digest_pending": len(row.get("digest_pending") or ()),
        }
    )


def _scope_errors(
    principal: Principal, sectors: list[str] | None, known: Iterable[str]
) -> list[FieldError]:
    unknown = sorted(set(sectors or ()) - set(known))
    if unknown:
        return [FieldError("sectors", f"unknown sectors {unknown}")]
    if principal.sectors is None or principal.role is Role.admin:
        return []
    outside = sorted(set(sectors or ()) - principal.sectors)
    if outside:
        return [FieldError("sectors", f"outside your scope: {outside}")]
    return []


async def _target(body: SubscriptionIn, *, pagerduty_url: str, allow_private: bool) -> str:
    try:
        if body.channel == "email":
            if body.target is None:
                raise TargetRefused("a mail address is required")
            return check_mail(body.target)
        if body.target is None and body.channel != "pagerduty":
            raise TargetRefused("a URL is required")
        url = check_url(body.target or pagerduty_url)
        await check_reachable(url, allow_private=allow_private)
        return url
    except TargetRefused as exc:
        raise ValidationFailed([FieldError("target", str(exc))], "cannot use that target") from None


async def create(
    conn: AsyncConnection,
    body: SubscriptionIn,
    *,
    principal: Principal,
    known_sectors: Iterable[str],
    vault: Vault,
    pagerduty_url: str,
    allow_private: bool,
    now: datetime,
) -> SubscriptionCreated:
    errors = _scope_errors(principal, body.sectors, known_sectors)
    if body.channel == "pagerduty" and body.routing_key is None:
        errors.append(FieldError("routing_key", "a pagerduty subscription needs its routing key"))
    if body.channel == "pagerduty" and body.mode == "digest":
        errors.append(FieldError("mode", "pagerduty subscriptions deliver immediately"))
    if body.channel != "pagerduty" and body.routing_key is not None:
        errors.append(FieldError("routing_key", "only pagerduty subscriptions take one"))
    if errors:
        raise ValidationFailed(errors, "cannot create that subscription")
    target = await _target(body, pagerduty_url=pagerduty_url, allow_private=allow_private)
    sectors = body.sectors
    if sectors is None and principal.sectors is not None and principal.role is not Role.admin:
        sectors = sorted(principal.sectors)
    secret = new_webhook_secret() if body.channel == "webhook" else None
    plain = secret or body.routing_key
    newest = await head(conn)
    row: dict[str, Any] = {
        "name": body.name,
        "channel": body.channel,
        "target": target,
        "credential": vault.seal(plain) if plain is not None else None,
        "sectors": sorted(set(sectors)) if sectors is not None else None,
        "kinds": sorted(set(body.kinds)) if body.kinds is not None else None,
        "min_level": body.min_level,
        "tier": body.tier,
        "mode": body.mode,
        "digest_minutes": body.digest_minutes,
        "digest_pending": None,
        "digest_due_at": None,
        "owner_key_id": principal.key_id,
        # What happens from now on: a new subscription does not replay the past.
        "position": newest,
        "attempts": 0,
        "next_attempt_at": None,
        "failing_since": None,
        "last_success_at": None,
        "created_at": now,
        "disabled_at": None,
        "disabled_reason": None,
    }
    new_id = (
        await conn.execute(subscriptions.insert().values(row).returning(subscriptions.c.id))
    ).scalar_one()
    await audit.record(
        conn, at=now, actor=principal.actor, action="subscription.create",
        target=f"subscription:{new_id}",
        details={"channel": body.channel, "target": target, "sectors": row["sectors"]},
    )  # fmt: skip
    shown = view(row | {"id": new_id}, newest=newest)
    return SubscriptionCreated(**shown.model_dump(), secret=secret)


def _live() -> sa.ColumnElement[bool]:
    return subscriptions.c.deleted_at.is_(None)


async def managed(
    conn: AsyncConnection, *, principal: Principal, before_id: int | None, limit: int
) -> list[SubscriptionView]:
    """The caller's subscriptions and those it manages, newest first."""
    query = sa.select(subscriptions).where(_live()).order_by(subscriptions.c.id.desc())
    if before_id is not None:
        query = query.where(subscriptions.c.id < before_id)
    if principal.role is Role.responder:
        query = query.where(subscriptions.c.owner_key_id == principal.key_id)
    newest = await head(conn)
    found: list[SubscriptionView] = []
    for row in (await conn.execute(query)).mappings():
        if principal.manages(row["owner_key_id"], row["sectors"]):
            found.append(view(row, newest=newest))
            if len(found) >= limit:
                break
    return found


async def find(
    conn: AsyncConnection, *, principal: Principal, subscription_id: int, lock: bool = False
) -> sa.RowMapping | None:
    query = sa.select(subscriptions).where(subscriptions.c.id == subscription_id, _live())
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    if row is None or not principal.manages(row["owner_key_id"], row["sectors"]):
        return None
    return row


async def one(
    conn: AsyncConnection, *, principal: Principal, subscription_id: int
) -> SubscriptionView | None:
    row = await find(conn, principal=principal, subscription_id=subscription_id)
    return view(row, newest=await head(conn)) if row is not None else None


async def remove(
    conn: AsyncConnection, *, principal: Principal, subscription_id: int, now: datetime
) -> bool:
    """Stops deliveries at once; its history stays readable to admins in the audit trail."""
    row = await find(conn, principal=principal, subscription_id=subscription_id, lock=True)
    if row is None:
        return False
    await conn.execute(
        subscriptions.update()
        .where(subscriptions.c.id == subscription_id)
        .values(deleted_at=now, credential=None)
    )
    await audit.record(
        conn, at=now, actor=principal.actor, action="subscription.delete",
        target=f"subscription:{subscription_id}",
    )  # fmt: skip
    return True


async def enable(
    conn: AsyncConnection, *, principal: Principal, subscription_id: int, now: datetime
) -> SubscriptionView | None:
    """A disabled subscription resumes from its cursor: the events it missed come first."""
    row = await find(conn, principal=principal, subscription_id=subscription_id, lock=True)
    if row is None:
        return None
    if row["disabled_at"] is not None:
        changes = {
            "disabled_at": None,
            "disabled_reason": None,
            "failing_since": None,
            "attempts": 0,
            "next_attempt_at": None,
        }
        await conn.execute(
            subscriptions.update().where(subscriptions.c.id == subscription_id).values(changes)
        )
        await audit.record(
            conn, at=now, actor=principal.actor, action="subscription.enable",
            target=f"subscription:{subscription_id}",
        )  # fmt: skip
        return view({**row, **changes}, newest=await head(conn))
    return view(row, newest=await head(conn))


async def attempts(
    conn: AsyncConnection, *, subscription_id: int, before_id: int | None, limit: int
) -> Sequence[AttemptView]:
    query = (
        sa.select(delivery_attempts)
        .where(delivery_attempts.c.subscription_id == subscription_id)
        .order_by(delivery_attempts.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(delivery_attempts.c.id < before_id)
    return [AttemptView.model_validate(dict(r)) for r in (await conn.execute(query)).mappings()]


async def purge_attempts(conn: AsyncConnection, *, before: datetime) -> int:
    """Forget attempts older than the history kept; a subscription's own state stays."""
    result = await conn.execute(delivery_attempts.delete().where(delivery_attempts.c.at < before))
    return result.rowcount or 0
