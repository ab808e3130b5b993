"""Webhook deliveries as a Standard Webhooks receiver sees them: signed (checked with the
`standardwebhooks` reference library), the warning exactly as `GET /v1/warnings` gives it to the
subscription's owner, retried with the same `webhook-id` until delivered, in `seq` order, with
`Retry-After` honoured and 410 ending the subscription."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.db.tables import subscriptions
from tests.conftest import SEVERE, World, add_key, add_org, incident, settle
from tests.delivery.conftest import Receiver, attempts_of, subscribe


async def raise_warning(
    client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str], clock: ManualClock
) -> None:
    """A report severe enough to put its sector at orange: one sector_level warning."""
    body = incident(**SEVERE, detected_at=clock.now().isoformat())
    assert (await client.post("/v1/incidents", json=body, headers=headers)).status_code == 201
    await settle(app)


async def warnings_as(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = await client.get("/v1/warnings", headers=headers)
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_a_warning_arrives_signed_and_as_the_api_shows_it(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    created = await subscribe(client, world.energy_responder, target=receiver.url)
    assert created["secret"].startswith("whsec_")
    assert created["sectors"] == ["energy"]  # a scoped responder: its own sectors
    await raise_warning(client, app, world.grid_north, clock)

    # The sector's level warning, then the dependency warning it raises, in seq order.
    got = await receiver.wait_for(2)
    shown = await warnings_as(client, world.energy_responder)
    assert [w["kind"] for w in shown] == ["sector_level", "dependency"]
    for request, warning in zip(got, shown, strict=True):
        payload = Webhook(created["secret"]).verify(request.body, request.headers)
        assert payload == {"type": warning["kind"], "data": warning}
        assert request.headers["webhook-id"] == f"evt_{warning['seq']}"
        assert request.headers["content-type"] == "application/json"
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "A" * 32).verify(request.body, request.headers)
    assert await receiver.quiet() == 2


async def test_the_secret_is_shown_once_and_stored_encrypted(
    app: FastAPI, client: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    created = await subscribe(client, world.admin, target=receiver.url)
    listed = (await client.get("/v1/subscriptions", headers=world.admin)).json()["items"]
    one = (await client.get(f"/v1/subscriptions/{created['id']}", headers=world.admin)).json()
    assert "secret" not in listed[0]
    assert "secret" not in one
    async with app.state.components.database.read() as conn:
        stored = (await conn.execute(sa.select(subscriptions.c.credential))).scalar_one()
    secret = created["secret"]
    assert secret not in stored
    assert secret.removeprefix("whsec_") not in stored
    assert app.state.components.vault.open(stored) == secret


async def test_500_then_200_is_delivered_on_retry_with_the_same_id(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    created = await subscribe(
        client, world.energy_supervisor, target=receiver.url, kinds=["sector_level"]
    )
    receiver.script = [(500, {})]
    await raise_warning(client, app, world.grid_north, clock)
    await receiver.wait_for(1)
    # The first retry is due 5 s later (give or take its jitter), by the service's clock.
    assert await receiver.quiet() == 1
    clock.advance(timedelta(seconds=6))
    first, second = await receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    Webhook(created["secret"]).verify(second.body, second.headers)

    attempts = await attempts_of(client, world.energy_supervisor, created["id"], 2)
    assert [(a["attempt"], a["outcome"], a["status_code"]) for a in attempts] == [
        (2, "delivered", 200),
        (1, "failed", 500),
    ]
    assert attempts[1]["next_attempt_at"] is not None
    health = (
        await client.get(f"/v1/subscriptions/{created['id']}", headers=world.energy_supervisor)
    ).json()
    assert health["state"] == "active"
    assert health["backlog"] == 0
    assert health["failing_since"] is None
    assert health["last_success_at"] is not None
    metrics = (await client.get("/metrics", headers=world.admin)).text
    assert 'awareness_deliveries_total{channel="webhook",outcome="failed"} 1.0' in metrics
    assert 'awareness_deliveries_total{channel="webhook",outcome="delivered"} 1.0' in metrics
    assert 'awareness_delivery_seconds_count{channel="webhook"} 1.0' in metrics
    assert 'awareness_delivery_backlog_events{channel="webhook"}' in metrics


async def test_retry_after_on_429_is_honoured(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    created = await subscribe(client, world.admin, target=receiver.url, kinds=["sector_level"])
    receiver.script = [(429, {"Retry-After": "120"})]
    await raise_warning(client, app, world.grid_north, clock)
    (failed,) = await attempts_of(client, world.admin, created["id"], 1)
    assert failed["status_code"] == 429
    clock.advance(timedelta(seconds=60))  # well past the 5 s back-off, short of Retry-After
    assert await receiver.quiet() == 1
    clock.advance(timedelta(seconds=61))
    await receiver.wait_for(2)


async def test_410_disables_the_subscription_until_enabled_again(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    created = await subscribe(client, world.admin, target=receiver.url, kinds=["sector_level"])
    path = f"/v1/subscriptions/{created['id']}"
    receiver.script = [(410, {})]
    await raise_warning(client, app, world.grid_north, clock)
    await receiver.wait_for(1)
    await attempts_of(client, world.admin, created["id"], 1)
    health = (await client.get(path, headers=world.admin)).json()
    assert health["state"] == "disabled"
    assert "410" in health["disabled_reason"]
    clock.advance(timedelta(hours=1))
    assert await receiver.quiet() == 1

    # Enabled again, it resumes where it stopped: the event it could not deliver comes first.
    enabled = await client.post(f"{path}/enable", headers=world.admin)
    assert enabled.json()["state"] == "active"
    first, again = await receiver.wait_for(2)
    assert again.headers["webhook-id"] == first.headers["webhook-id"]


async def test_events_of_one_subscription_arrive_in_order_after_a_failure(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    await subscribe(client, world.admin, target=receiver.url, kinds=["sector_level"])
    receiver.script = [(503, {})]
    await raise_warning(client, app, world.grid_north, clock)
    await receiver.wait_for(1)
    # A second warning while the first waits for its retry: the water sector goes orange too.
    body = incident(**SEVERE, detected_at=clock.now().isoformat())
    assert (await client.post("/v1/incidents", json=body, headers=world.aqua)).status_code == 201
    await settle(app)
    assert await receiver.quiet() == 1  # the second waits behind the first
    clock.advance(timedelta(seconds=6))
    got = await receiver.wait_for(3)
    ids = [r.headers["webhook-id"] for r in got]
    assert ids[0] == ids[1]
    seqs = [int(i.removeprefix("evt_")) for i in ids]
    assert seqs[1] < seqs[2]
    assert [r.json()["data"]["sector"] for r in got] == ["energy", "energy", "water"]


async def test_filters_choose_what_is_delivered(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    await subscribe(
        client, world.admin, target=receiver.url, sectors=["water"], kinds=["sector_level"]
    )
    await subscribe(client, world.admin, target=receiver.url, min_level="red")
    await subscribe(client, world.admin, target=receiver.url, kinds=["campaign"])
    await raise_warning(client, app, world.grid_north, clock)  # energy, orange, sector_level
    assert await receiver.quiet() == 0
    body = incident(**SEVERE, detected_at=clock.now().isoformat())
    assert (await client.post("/v1/incidents", json=body, headers=world.aqua)).status_code == 201
    await settle(app)
    (got,) = await receiver.wait_for(1)
    assert got.json()["data"]["sector"] == "water"
    assert await receiver.quiet() == 1


async def test_a_revoked_owner_ends_its_subscriptions(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    created = await subscribe(client, world.energy_responder, target=receiver.url)
    revoked = await client.delete(f"/v1/keys/{created['owner_key_id']}", headers=world.admin)
    assert revoked.status_code == 204
    await raise_warning(client, app, world.grid_north, clock)
    assert await receiver.quiet() == 0
    health = (await client.get(f"/v1/subscriptions/{created['id']}", headers=world.admin)).json()
    assert health["state"] == "disabled"
    assert "revoked" in health["disabled_reason"]


async def test_a_sector_s_level_warnings_waiting_together_coalesce_into_the_latest(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    from awareness.auth.principal import Role
    from tests.conftest import add_key, add_org

    created = await subscribe(client, world.admin, target=receiver.url, kinds=["sector_level"])
    receiver.script = [(503, {})]
    await raise_warning(client, app, world.grid_north, clock)  # energy: orange
    await attempts_of(client, world.admin, created["id"], 1)
    # While orange waits for its retry, energy goes red.
    await add_org(app, "grid-east", "energy")
    east = await add_key(app, Role.operator, org="grid-east")
    for headers in (world.grid_south, east):
        body = incident(**SEVERE, detected_at=clock.now().isoformat())
        assert (await client.post("/v1/incidents", json=body, headers=headers)).status_code == 201
    await settle(app)
    clock.advance(timedelta(seconds=6))
    first, second = await receiver.wait_for(2)
    assert await receiver.quiet() == 2
    assert first.json()["data"]["level"] == "orange"  # the failed attempt
    assert second.json()["data"]["level"] == "red"  # the retry carries the latest instead
    levels = [
        w["level"] for w in await warnings_as(client, world.admin) if w["kind"] == "sector_level"
    ]
    assert levels == ["orange", "red"]


async def test_a_digest_gathers_what_is_below_the_immediate_level(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    created = await subscribe(
        client, world.energy_responder, target=receiver.url, min_level="red", mode="digest",
        digest_minutes=60,
    )  # fmt: skip
    await raise_warning(client, app, world.grid_north, clock)  # orange: below red
    health = await client.get(f"/v1/subscriptions/{created['id']}", headers=world.admin)
    for _ in range(50):
        if health.json()["digest_pending"] == 2:
            break
        await asyncio.sleep(0.05)
        health = await client.get(f"/v1/subscriptions/{created['id']}", headers=world.admin)
    assert health.json()["digest_pending"] == 2  # the level warning and its dependency warning
    assert health.json()["digest_due_at"] == "2026-03-02T10:00:00Z"
    assert await receiver.quiet() == 0
    clock.advance(timedelta(minutes=59))
    assert await receiver.quiet() == 0
    clock.advance(timedelta(minutes=1))
    (digest,) = await receiver.wait_for(1)
    payload = Webhook(created["secret"]).verify(digest.body, digest.headers)
    shown = await warnings_as(client, world.energy_responder)
    assert payload == {"type": "digest", "data": {"count": 2, "warnings": shown}}
    assert digest.headers["webhook-id"] == f"dig_{created['id']}_{shown[-1]['seq']}"
    attempts = await attempts_of(client, world.admin, created["id"], 1)
    assert attempts[0]["outcome"] == "delivered"
    after = (await client.get(f"/v1/subscriptions/{created['id']}", headers=world.admin)).json()
    assert after["digest_pending"] == 0
    assert after["digest_due_at"] == "2026-03-02T11:00:00Z"
    assert await receiver.quiet() == 1


async def test_pagerduty_is_never_a_digest(client: httpx.AsyncClient, world: World) -> None:
    body = {"name": "pd", "channel": "pagerduty", "routing_key": "k", "mode": "digest"}
    answer = await client.post("/v1/subscriptions", json=body, headers=world.admin)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["mode"]


async def test_a_delivery_withholds_what_tlp_keeps_from_the_owner(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock, receiver: Receiver
) -> None:
    """A campaign reported under TLP:RED reaches the responder's webhook without its indicator,
    saying why; its sector's supervisor's webhook gets it, marked red."""
    await add_org(app, "grid-east", "energy")
    east = await add_key(app, Role.operator, org="grid-east")
    theirs = await subscribe(client, world.energy_responder, target=receiver.url,
                             kinds=["campaign"])  # fmt: skip
    ours = await subscribe(client, world.energy_supervisor, target=receiver.url + "?s",
                           kinds=["campaign"])  # fmt: skip
    c2 = {"type": "domain", "value": "red-c2.evil-portal.ru"}
    for headers in (world.grid_north, world.grid_south, east):
        body = incident(detected_at=clock.now().isoformat(), indicators=[c2], tlp="red")
        assert (await client.post("/v1/incidents", json=body, headers=headers)).status_code == 201
    await settle(app)

    got = await receiver.wait_for(2)
    by_owner = {}
    for request in got:
        for created in (theirs, ours):
            with contextlib.suppress(WebhookVerificationError):
                by_owner[created["id"]] = Webhook(created["secret"]).verify(
                    request.body, request.headers
                )["data"]
    responder, supervisor = by_owner[theirs["id"]], by_owner[ours["id"]]
    assert c2["value"] not in json.dumps(responder)
    assert responder["withheld"][0]["reason"] == (
        "an indicator withheld under TLP:RED, reported by 3 organizations"
    )
    assert responder == (await warnings_as(client, world.energy_responder))[0]
    assert supervisor["indicators"] == [c2 | {"tlp": "red"}]
