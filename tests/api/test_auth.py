"""Who may do what: 401 for no or unknown key, 403 for a role that may not, and a refused
request stores nothing."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from awareness.auth.principal import Role
from tests.conftest import World, add_key, count_rows, incident


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer aw_not-a-real-key"},
        {"Authorization": "Bearer aw_" + "x" * 43},
    ],
    ids=["none", "empty", "basic", "malformed", "unknown"],
)
async def test_no_or_unknown_key_is_401_and_stores_nothing(
    client: httpx.AsyncClient, world: World, app: FastAPI, headers: dict[str, str]
) -> None:
    for path, body in [("/v1/incidents", incident()), ("/v1/assets", {"asset_id": "a"})]:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert (
            "Authorization: Bearer" in response.json()["detail"]
            or "unknown" in response.json()["detail"]
            or "malformed" in response.json()["detail"]
        )
    assert (await client.get("/v1/incidents", headers=headers)).status_code == 401
    assert await count_rows(app, "reports") == 0


async def test_unauthenticated_bad_body_is_still_401(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/v1/incidents", content=b"{broken", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("who", ["energy_supervisor", "energy_responder", "admin"])
async def test_only_operators_submit_reports(
    client: httpx.AsyncClient, world: World, app: FastAPI, who: str
) -> None:
    headers = getattr(world, who)
    for path, body in [
        ("/v1/incidents", incident()),
        ("/v1/incidents/batch", {"incidents": [incident()]}),
        ("/v1/assets", {"asset_id": "a"}),
        ("/v1/assets/batch", {"assets": [{"asset_id": "a"}]}),
    ]:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert "may not" in response.json()["detail"]
    assert await count_rows(app, "reports") == 0


async def test_forbidden_role_learns_nothing_from_validation(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/v1/incidents", json={"category": "bogus"}, headers=world.energy_responder
    )
    assert response.status_code == 403


async def test_responders_do_not_read_raw_reports(client: httpx.AsyncClient, world: World) -> None:
    created = await client.post("/v1/incidents", json=incident(), headers=world.grid_north)
    for path in ("/v1/incidents", f"/v1/incidents/{created.json()['id']}", "/v1/assets"):
        assert (await client.get(path, headers=world.energy_responder)).status_code == 403


async def test_admin_only_endpoints(client: httpx.AsyncClient, world: World, app: FastAPI) -> None:
    org = {"id": "rail-one", "name": "Rail One", "sector": "transportation"}
    for who in ("grid_north", "energy_supervisor", "energy_responder"):
        headers = getattr(world, who)
        assert (await client.post("/v1/orgs", json=org, headers=headers)).status_code == 403
        assert (await client.get("/v1/orgs", headers=headers)).status_code == 403
        key = {"role": "admin"}
        assert (await client.post("/v1/keys", json=key, headers=headers)).status_code == 403
        assert (await client.delete("/v1/keys/1", headers=headers)).status_code == 403
    assert await count_rows(app, "organizations") == 3
    assert await count_rows(app, "api_keys") == 7


async def test_revoked_key_stops_working(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    app.state.components.keys._ttl = 0  # no cache: revocation is seen at once
    created = await client.post(
        "/v1/keys", json={"role": "operator", "org": "aqua"}, headers=world.admin
    )
    headers = {"Authorization": f"Bearer {created.json()['key']}"}
    assert (await client.get("/v1/incidents", headers=headers)).status_code == 200
    revoked = await client.delete(f"/v1/keys/{created.json()['id']}", headers=world.admin)
    assert revoked.status_code == 204
    assert (await client.get("/v1/incidents", headers=headers)).status_code == 401
    again = await client.delete(f"/v1/keys/{created.json()['id']}", headers=world.admin)
    assert again.status_code == 404


async def test_keys_are_stored_hashed(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    import sqlalchemy as sa

    from awareness.db.tables import api_keys

    created = await client.post("/v1/keys", json={"role": "responder"}, headers=world.admin)
    key = created.json()["key"]
    assert len(key) >= 40
    async with app.state.components.database.read() as conn:
        stored = (await conn.execute(sa.select(api_keys))).mappings().all()
    assert all(key not in str(dict(row).values()) for row in stored)


async def test_rate_limit_answers_429_with_retry_after(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    from dataclasses import replace

    from awareness.auth.limits import RateLimiter

    app.state.components = replace(app.state.components, limiter=RateLimiter(per_second=1, burst=2))
    statuses = [
        (await client.get("/v1/incidents", headers=world.grid_north)).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    refused = await client.get("/v1/incidents", headers=world.grid_north)
    assert int(refused.headers["retry-after"]) >= 1
    # Another key has its own budget.
    assert (await client.get("/v1/incidents", headers=world.grid_south)).status_code == 200


async def test_key_creation_rules(client: httpx.AsyncClient, world: World) -> None:
    cases = [
        ({"role": "operator"}, "org"),
        ({"role": "operator", "org": "nobody"}, "org"),
        ({"role": "supervisor", "org": "aqua"}, "org"),
        ({"role": "supervisor", "org": ""}, "org"),
        ({"role": "admin", "org": ""}, "org"),
        ({"role": "responder", "sectors": ["space"]}, "sectors"),
        ({"role": "admin", "sectors": ["energy"]}, "sectors"),
        ({"role": "king"}, "role"),
    ]
    for body, field in cases:
        response = await client.post("/v1/keys", json=body, headers=world.admin)
        assert response.status_code == 422, body
        assert field in [e["field"] for e in response.json()["errors"]], response.json()


async def test_org_registration(client: httpx.AsyncClient, world: World) -> None:
    org = {"id": "rail-one", "name": "Rail One", "sector": "transportation", "region": "north"}
    created = await client.post("/v1/orgs", json=org, headers=world.admin)
    assert created.status_code == 201
    assert created.json()["sector"] == "transportation"
    duplicate = await client.post("/v1/orgs", json=org, headers=world.admin)
    assert duplicate.status_code == 409
    bad = await client.post(
        "/v1/orgs", json={"id": "Bad Id", "name": "", "sector": "space"}, headers=world.admin
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"id", "name", "sector"}
    listed = await client.get("/v1/orgs", headers=world.admin)
    assert "rail-one" in [o["id"] for o in listed.json()]


async def test_scoped_supervisor_key(client: httpx.AsyncClient, world: World, app: FastAPI) -> None:
    headers = await add_key(app, Role.supervisor, sectors=["water", "energy"])
    await client.post("/v1/incidents", json=incident(), headers=world.aqua)
    await client.post("/v1/incidents", json=incident(), headers=world.grid_south)
    items = (await client.get("/v1/incidents", headers=headers)).json()["items"]
    assert {i["sector"] for i in items} == {"water", "energy"}
