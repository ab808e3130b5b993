"""Every action the audit trail promises leaves exactly one record saying who, what and when:
administration, the response to a warning, subscription changes, export reads, and refused
authentications folded into one record per address per window."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from awareness.clock import ManualClock
from awareness.exchange.ids import collection_id
from tests.audit.conftest import energy_warning, key_id, last_id, records_after
from tests.conftest import World

SUBSCRIPTION = {"name": "soc", "channel": "webhook", "target": "http://127.0.0.1:9/hook"}


async def test_an_org_created(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    before = await last_id(app)
    body = {"id": "dam-1", "name": "Dam One", "sector": "water"}
    assert (await client.post("/v1/orgs", json=body, headers=world.admin)).status_code == 201
    (record,) = await records_after(app, before)
    admin = await key_id(client, world.admin)
    assert (record["actor"], record["action"], record["target"], record["org_id"]) == (
        f"key:{admin}",
        "org.create",
        "org:dam-1",
        "dam-1",
    )
    assert record["at"] == clock.now()


async def test_a_key_created_and_revoked(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    admin = f"key:{await key_id(client, world.admin)}"
    before = await last_id(app)
    created = await client.post("/v1/keys", json={"role": "responder"}, headers=world.admin)
    new = created.json()["id"]
    (record,) = await records_after(app, before)
    assert (record["actor"], record["action"], record["target"]) == (
        admin,
        "key.create",
        f"key:{new}",
    )
    assert record["details"]["role"] == "responder"

    clock.advance(timedelta(minutes=1))
    before = await last_id(app)
    assert (await client.delete(f"/v1/keys/{new}", headers=world.admin)).status_code == 204
    (record,) = await records_after(app, before)
    assert (record["actor"], record["action"], record["target"], record["at"]) == (
        admin,
        "key.revoke",
        f"key:{new}",
        clock.now(),
    )


async def test_ack_assign_note_resolve_each_leave_one_record(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    warning = await energy_warning(app, client, world, clock)
    responder = f"key:{await key_id(client, world.energy_responder)}"
    base = f"/v1/warnings/{warning}"
    steps = [
        ("ack", None, "warning.ack", {}),
        ("assign", {"assignee": "Ana (SOC)", "note": "on it"}, "warning.assign",
         {"assignee": "Ana (SOC)", "note": "on it"}),
        ("notes", {"text": "isolated the PLC"}, "warning.note", {"note": "isolated the PLC"}),
        ("resolve", {"note": "restored"}, "warning.resolve", {"note": "restored"}),
    ]  # fmt: skip
    for path, body, action, details in steps:
        clock.advance(timedelta(minutes=1))
        before = await last_id(app)
        answer = await client.post(f"{base}/{path}", json=body, headers=world.energy_responder)
        assert answer.status_code in (200, 201), answer.text
        (record,) = await records_after(app, before)
        assert (record["actor"], record["action"], record["target"], record["at"]) == (
            responder,
            action,
            f"warning:{warning}",
            clock.now(),
        )
        assert record["details"].items() >= (details | {"sector": "energy"}).items()

    # Acknowledging again changes nothing, so it records nothing.
    before = await last_id(app)
    assert (await client.post(f"{base}/ack", headers=world.energy_responder)).status_code == 200
    assert await records_after(app, before) == []


async def test_a_subscription_created_and_deleted(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    responder = f"key:{await key_id(client, world.energy_responder)}"
    before = await last_id(app)
    created = await client.post(
        "/v1/subscriptions", json=SUBSCRIPTION, headers=world.energy_responder
    )
    assert created.status_code == 201, created.text
    sub = created.json()["id"]
    (record,) = await records_after(app, before)
    assert (record["actor"], record["action"], record["target"]) == (
        responder,
        "subscription.create",
        f"subscription:{sub}",
    )

    before = await last_id(app)
    deleted = await client.delete(f"/v1/subscriptions/{sub}", headers=world.energy_responder)
    assert deleted.status_code == 204
    (record,) = await records_after(app, before)
    assert (record["actor"], record["action"], record["target"]) == (
        responder,
        "subscription.delete",
        f"subscription:{sub}",
    )


async def test_a_cap_read(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    warning = await energy_warning(app, client, world, clock)
    before = await last_id(app)
    answer = await client.get(f"/v1/warnings/{warning}.cap", headers=world.energy_supervisor)
    assert answer.status_code == 200
    (record,) = await records_after(app, before)
    supervisor = await key_id(client, world.energy_supervisor)
    assert (record["actor"], record["action"], record["target"], record["at"]) == (
        f"key:{supervisor}",
        "export.read",
        f"warning:{warning}",
        clock.now(),
    )
    assert record["details"] == {"route": "cap", "count": 1}


async def test_an_atom_read_counts_its_entries(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await energy_warning(app, client, world, clock)
    before = await last_id(app)
    assert (await client.get("/v1/warnings.atom", headers=world.admin)).status_code == 200
    (record,) = await records_after(app, before)
    assert (record["action"], record["target"]) == ("export.read", "warnings")
    assert record["details"]["route"] == "atom"
    assert record["details"]["count"] >= 1


async def test_a_taxii_objects_read(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await energy_warning(app, client, world, clock)
    collection = collection_id("warnings")
    before = await last_id(app)
    answer = await client.get(
        f"/taxii2/api/collections/{collection}/objects/", headers=world.energy_supervisor
    )
    assert answer.status_code == 200, answer.text
    objects = answer.json()["objects"]
    (record,) = await records_after(app, before)
    supervisor = await key_id(client, world.energy_supervisor)
    assert (record["actor"], record["action"], record["target"]) == (
        f"key:{supervisor}",
        "export.read",
        collection,
    )
    assert record["details"] == {"route": "taxii/objects", "count": len(objects)}
    assert objects

    before = await last_id(app)
    manifest = await client.get(
        f"/taxii2/api/collections/{collection}/manifest/", headers=world.energy_supervisor
    )
    assert manifest.status_code == 200
    (record,) = await records_after(app, before)
    assert record["details"]["route"] == "taxii/manifest"


async def test_a_misp_manifest_read(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await energy_warning(app, client, world, clock)
    before = await last_id(app)
    answer = await client.get("/misp/feed/manifest.json", headers=world.grid_north)
    assert answer.status_code == 200
    (record,) = await records_after(app, before)
    operator = await key_id(client, world.grid_north)
    assert (record["actor"], record["action"], record["target"], record["org_id"]) == (
        f"key:{operator}",
        "export.read",
        "misp",
        "grid-north",
    )
    assert record["details"] == {"route": "misp/manifest", "count": len(answer.json())}


async def test_refused_authentications_fold_into_one_record_per_address_per_window(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    components = app.state.components
    bad = {"Authorization": "Bearer not-an-api-key"}
    unknown = {"Authorization": "Bearer aw_" + "x" * 43}
    transport = httpx.ASGITransport(app=app, client=("192.0.2.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        before = await last_id(app)
        start = clock.now()
        for _ in range(4):
            assert (await client.get("/v1/me", headers=bad)).status_code == 401
        assert (await other.get("/v1/me", headers=bad)).status_code == 401
        clock.advance(timedelta(seconds=30))
        assert (await client.get("/v1/me", headers=unknown)).status_code == 401
        # Nothing is written per refusal, nor before the window closes.
        await components.refusals.flush(components.database, now=clock.now())
        assert await records_after(app, before) == []

        clock.advance(timedelta(seconds=31))
        await components.refusals.flush(components.database, now=clock.now())
        records = {r["actor"]: r for r in await records_after(app, before)}
        assert set(records) == {"address:127.0.0.1", "address:192.0.2.9"}
        local = records["address:127.0.0.1"]
        assert (local["action"], local["at"], local["details"]["count"]) == (
            "auth.refused",
            start,
            5,
        )
        assert sorted(local["details"]["reasons"].values()) == [1, 4]
        assert records["address:192.0.2.9"]["details"]["count"] == 1

        # A refusal after the window opens the next one.
        before = await last_id(app)
        assert (await client.get("/v1/me", headers=bad)).status_code == 401
        await components.refusals.flush(components.database, now=clock.now())
        assert await records_after(app, before) == []
        clock.advance(timedelta(seconds=60))
        await components.refusals.flush(components.database, now=clock.now())
        (record,) = await records_after(app, before)
        assert (record["actor"], record["details"]["count"]) == ("address:127.0.0.1", 1)


async def test_retention_runs_with_the_hourly_purge_and_keeps_the_chain(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    from awareness.api.app import _purge_events
    from awareness.auth import chain

    clock.advance(timedelta(days=401))
    body = {"id": "dam-1", "name": "Dam One", "sector": "water"}
    assert (await client.post("/v1/orgs", json=body, headers=world.admin)).status_code == 201
    newest = await last_id(app)
    await _purge_events(app.state.components)()
    remaining = await records_after(app, 0)
    assert [r["id"] for r in remaining] == [newest]
    verdict = await chain.verify(app.state.components.database)
    assert (verdict.intact, verdict.checked, verdict.anchor_id) == (True, 1, newest - 1)
