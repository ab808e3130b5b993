"""Subscriptions: where warnings are pushed (webhook, PagerDuty, Slack, mail), managed by admins,
by supervisors for their sectors and by responders for themselves, with each one's deliveries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from awareness.api.body import documented_body, json_body
from awareness.api.deps import ComponentsDep, Responder
from awareness.api.pagination import Cursor, Limit, RowId, decode_cursor, page
from awareness.delivery import subscriptions as store
from awareness.delivery.subscriptions import (
    AttemptView,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionView,
)
from awareness.errors import NotFound
from awareness.views.base import Page

router = APIRouter(prefix="/v1", tags=["subscriptions"])
SubscriptionBody = Annotated[SubscriptionIn, Depends(json_body(SubscriptionIn))]


def _absent(subscription_id: int) -> NotFound:
    return NotFound(f"no subscription {subscription_id} that you manage")


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionCreated,
    openapi_extra=documented_body(SubscriptionIn),
)
async def create_subscription(
    principal: Responder, body: SubscriptionBody, components: ComponentsDep
) -> SubscriptionCreated:
    """Deliver the warnings of some sectors, kinds and levels to a webhook, PagerDuty, Slack or
    a mail address, from now on. A webhook's signing secret is in this answer only."""
    settings = components.settings
    async with components.database.write() as conn:
        created = await store.create(
            conn, body, principal=principal, known_sectors=settings.sectors.sectors,
            vault=components.vault, pagerduty_url=settings.delivery.pagerduty_url,
            allow_private=settings.delivery.allow_private_targets, now=components.clock.now(),
        )  # fmt: skip
    if components.delivery is not None:
        components.delivery.wake()
    return created


@router.get("/subscriptions", response_model=Page[SubscriptionView])
async def list_subscriptions(
    principal: Responder, components: ComponentsDep, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """The subscriptions the caller manages, newest first, with their delivery health."""
    async with components.database.read() as conn:
        rows = await store.managed(
            conn, principal=principal, before_id=decode_cursor(cursor), limit=limit + 1
        )
    return page(rows, limit=limit, position=lambda s: s.id)


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionView)
async def get_subscription(
    subscription_id: RowId, principal: Responder, components: ComponentsDep
) -> SubscriptionView:
    async with components.database.read() as conn:
        found = await store.one(conn, principal=principal, subscription_id=subscription_id)
    if found is None:
        raise _absent(subscription_id)
    return found


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def delete_subscription(
    subscription_id: RowId, principal: Responder, components: ComponentsDep
) -> None:
    """Stop delivering at once; its credential is erased."""
    async with components.database.write() as conn:
        removed = await store.remove(
            conn, principal=principal, subscription_id=subscription_id,
            now=components.clock.now(),
        )  # fmt: skip
    if not removed:
        raise _absent(subscription_id)


@router.post("/subscriptions/{subscription_id}/enable", response_model=SubscriptionView)
async def enable_subscription(
    subscription_id: RowId, principal: Responder, components: ComponentsDep
) -> SubscriptionView:
    """Resume a disabled subscription from where it stopped: the events it missed come first."""
    async with components.database.write() as conn:
        found = await store.enable(
            conn, principal=principal, subscription_id=subscription_id,
            now=components.clock.now(),
        )  # fmt: skip
    if found is None:
        raise _absent(subscription_id)
    if components.delivery is not None:
        components.delivery.wake()
    return found


@router.get("/subscriptions/{subscription_id}/deliveries", response_model=Page[AttemptView])
async def list_deliveries(
    subscription_id: RowId,
    principal: Responder,
    components: ComponentsDep,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Every attempt at delivering to this subscription, newest first: status, error, latency
    and when the next retry is due."""
    async with components.database.read() as conn:
        if await store.find(conn, principal=principal, subscription_id=subscription_id) is None:
            raise _absent(subscription_id)
        rows = await store.attempts(
            conn, subscription_id=subscription_id, before_id=decode_cursor(cursor),
            limit=limit + 1,
        )  # fmt: skip
    return page(rows, limit=limit, position=lambda a: a.id)
