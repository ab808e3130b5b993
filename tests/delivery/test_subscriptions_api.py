"""Who may manage which subscription, and the refusals: 403 for operators, 404 outside one's
management (as for a record that does not exist), 422 naming the field for a bad subscription,
and a refused request stores nothing."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from awareness.auth.principal import Role
from tests.conftest import World, add_key, count_rows
from tests.delivery.conftest import subscribe

HOOK = "http://127.0.0.1:9/hook"


async def refused(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, object]
) -> dict[str, object]:
    answer = await client.post("/v1/subscriptions", json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    detail: dict[str, object] = answer.json()
    return detail


def fields(detail: dict[str, object]) -> set[str]:
    return {error["field"] for error in detail["errors"]}  # type: ignore[attr-defined, index]


async def test_operators_may_not_subscribe(client: httpx.AsyncClient, world: World) -> None:
    body = {"name": "x", "channel": "webhook", "target": HOOK}
    answer = await client.post("/v1/subscriptions", json=body, headers=world.grid_north)
    assert answer.status_code == 403
    assert (await client.get("/v1/subscriptions", headers=world.grid_north)).status_code == 403
    assert (await client.post("/v1/subscriptions", json=body)).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "webhook", "target": HOOK}, "name"),
        ({"name": "x", "channel": "pager", "target": HOOK}, "channel"),
        ({"name": "x", "channel": "webhook"}, "target"),
        ({"name": "x", "channel": "webhook", "target": "ftp://example.org/x"}, "target"),
        ({"name": "x", "channel": "email", "target": "soc@example.org\nBcc: x@y.z"}, "target"),
        ({"name": "x", "channel": "email", "target": "not an address"}, "target"),
        ({"name": "x", "channel": "pagerduty"}, "routing_key"),
        ({"name": "x", "channel": "webhook", "target": HOOK, "routing_key": "k"}, "routing_key"),
        ({"name": "x", "channel": "webhook", "target": HOOK, "sectors": ["space"]}, "sectors"),
        ({"name": "x", "channel": "webhook", "target": HOOK, "kinds": ["gossip"]}, "kinds[0]"),
        ({"name": "x", "channel": "webhook", "target": HOOK, "min_level": "purple"}, "min_level"),
        ({"name": "x", "channel": "webhook", "target": HOOK, "tier": 0}, "tier"),
        ({"name": "x", "channel": "webhook", "target": HOOK, "mode": "sometimes"}, "mode"),
        ({"name": "x", "channel": "webhook", "target": HOOK, "colour": "red"}, "colour"),
    ],
)
async def test_a_bad_subscription_names_its_field_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, world: World, body: dict[str, object], field: str
) -> None:
    detail = await refused(client, world.admin, body)
    assert field in fields(detail), detail
    assert await count_rows(app, "subscriptions") == 0


async def test_scoped_keys_subscribe_within_their_sectors(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {"name": "x", "channel": "webhook", "target": HOOK, "sectors": ["energy", "water"]}
    for headers in (world.energy_supervisor, world.energy_responder):
        detail = await refused(client, headers, body)
        assert "water" in str(detail)
    created = await subscribe(client, world.energy_supervisor, target=HOOK, sectors=["energy"])
    assert created["sectors"] == ["energy"]
    unscoped = await subscribe(client, world.all_supervisor, target=HOOK)
    assert unscoped["sectors"] is None


async def test_private_targets_are_refused_unless_allowed(database_url: str, clock: object) -> None:
    from asgi_lifespan import LifespanManager

    from awareness.api.app import create_app
    from tests.conftest import TEST_SECRETS_KEY, make_settings

    settings = make_settings(
        database_url, delivery={"allow_private_targets": False, "secrets_key": TEST_SECRETS_KEY}
    )
    app = create_app(settings)
    async with LifespanManager(app):
        admin = await add_key(app, Role.admin)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for target in (
                "http://127.0.0.1:8080/hook",
                "http://10.1.2.3/hook",
                "http://169.254.169.254/latest/meta-data",
                "http://[::1]/hook",
                "http://[::ffff:192.168.0.1]/hook",
                "http://localhost/hook",
            ):
                body = {"name": "x", "channel": "webhook", "target": target}
                detail = await refused(client, admin, body)
                assert fields(detail) == {"target"}, target
                assert "ALLOW_PRIVATE_TARGETS" in str(detail)
        assert await count_rows(app, "subscriptions") == 0


async def test_who_sees_and_removes_which_subscription(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    water_supervisor = await add_key(app, Role.supervisor, sectors=["water"])
    other_responder = await add_key(app, Role.responder, sectors=["energy"])
    by_responder = await subscribe(client, world.energy_responder, target=HOOK)
    by_admin = await subscribe(client, world.admin, target=HOOK)
    by_water = await subscribe(client, water_supervisor, target=HOOK)

    async def listed(headers: dict[str, str]) -> set[int]:
        answer = await client.get("/v1/subscriptions", headers=headers)
        assert answer.status_code == 200
        return {item["id"] for item in answer.json()["items"]}

    assert await listed(world.admin) == {by_responder["id"], by_admin["id"], by_water["id"]}
    # A supervisor manages what lies within its sectors: the energy responder's, not the
    # admin's (every sector) nor the water supervisor's.
    assert await listed(world.energy_supervisor) == {by_responder["id"]}
    assert await listed(world.energy_responder) == {by_responder["id"]}
    assert await listed(other_responder) == set()
    assert await listed(water_supervisor) == {by_water["id"]}

    for path in ("", "/deliveries"):
        url = f"/v1/subscriptions/{by_admin['id']}{path}"
        assert (await client.get(url, headers=world.energy_supervisor)).status_code == 404
        url = f"/v1/subscriptions/{by_responder['id']}{path}"
        assert (await client.get(url, headers=other_responder)).status_code == 404
        assert (await client.get(url, headers=world.energy_supervisor)).status_code == 200
    url = f"/v1/subscriptions/{by_responder['id']}"
    assert (await client.delete(url, headers=other_responder)).status_code == 404
    assert (await client.delete(url, headers=water_supervisor)).status_code == 404
    assert (await client.post(f"{url}/enable", headers=other_responder)).status_code == 404
    assert (await client.delete(url, headers=world.energy_supervisor)).status_code == 204
    assert (await client.get(url, headers=world.admin)).status_code == 404
    assert (await client.delete(url, headers=world.admin)).status_code == 404
    assert await listed(world.admin) == {by_admin["id"], by_water["id"]}
    missing = "/v1/subscriptions/999999"
    assert (await client.get(missing, headers=world.admin)).status_code == 404
    page = await client.get("/v1/subscriptions?limit=1", headers=world.admin)
    assert len(page.json()["items"]) == 1
    rest = await client.get(
        f"/v1/subscriptions?limit=1&cursor={page.json()['next']}", headers=world.admin
    )
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next"] is None
