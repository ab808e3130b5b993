"""`GET /v1/audit`: admins only, newest first, filtered by actor, action, organization and time,
paged like every list, each record with its hashes."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from awareness.clock import ManualClock
from tests.audit.conftest import key_id
from tests.conftest import World


async def read_all(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> list[dict]:
    items: list[dict] = []
    url = f"/v1/audit?{query}"
    while True:
        answer = await client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        if page["next"] is None:
            return items
        url = f"/v1/audit?{query}&cursor={page['next']}"


async def test_admins_read_the_trail_filtered_and_paged(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    admin = f"key:{await key_id(client, world.admin)}"
    for n in range(3):
        clock.advance(timedelta(hours=1))
        body = {"id": f"dam-{n}", "name": f"Dam {n}", "sector": "water"}
        assert (await client.post("/v1/orgs", json=body, headers=world.admin)).status_code == 201
    created = await client.post("/v1/keys", json={"role": "admin"}, headers=world.admin)
    assert created.status_code == 201

    everything = await read_all(client, "limit=2", world.admin)
    ids = [record["id"] for record in everything]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == len(set(ids))
    newest = everything[0]
    assert set(newest) == {
        "id", "at", "actor", "action", "target", "org_id", "details", "request_id", "hash",
        "prev_hash",
    }  # fmt: skip
    assert (newest["actor"], newest["action"]) == (admin, "key.create")
    assert newest["prev_hash"] == everything[1]["hash"]
    assert newest["request_id"]
    assert newest["at"].endswith("Z")

    orgs = await read_all(client, f"actor={admin}&action=org.create&limit=1", world.admin)
    assert [r["target"] for r in orgs] == ["org:dam-2", "org:dam-1", "org:dam-0"]
    one = await read_all(client, "org=dam-1", world.admin)
    assert [r["target"] for r in one] == ["org:dam-1"]
    since = (clock.now() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    until = clock.now().isoformat().replace("+00:00", "Z")
    window = await read_all(client, f"action=org.create&since={since}&until={until}", world.admin)
    assert [r["target"] for r in window] == ["org:dam-1"]

    naive = await client.get("/v1/audit?since=2026-03-02T09:00:00", headers=world.admin)
    assert naive.status_code == 422
    bad_cursor = await client.get("/v1/audit?cursor=nonsense", headers=world.admin)
    assert bad_cursor.status_code == 422


async def test_only_admins_read_the_trail(client: httpx.AsyncClient, world: World) -> None:
    for headers in (world.grid_north, world.energy_supervisor, world.energy_responder):
        assert (await client.get("/v1/audit", headers=headers)).status_code == 403
    assert (await client.get("/v1/audit")).status_code == 401
