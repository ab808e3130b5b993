"""The TAXII 2.1 read server as its peers use it: taxii2-client walks discovery, the API root
and every collection and pages with `next`; a client that ignores `next` pages by
`added_after` = X-TAXII-Date-Added-Last and loses nothing; every object passes the STIX 2.1
validator; each role reads what its /v1 lists show it; errors are TAXII error messages."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server, as_pages

from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.correlator.emit import emit_warning
from awareness.eventlog.writer import EventWriter
from awareness.exchange.ids import MEDIA_TYPE, collection_id, inbox_id
from tests.conftest import PLC, SEVERE, START, World, add_key, add_org, incident, settle
from tests.servers import free_port

ROOT = "/taxii2/api/"
NAMES = ("warnings", "campaigns", "sightings", "incidents", "exposure")
TAXII = {"Accept": MEDIA_TYPE}


def objects_url(name: str) -> str:
    return f"{ROOT}collections/{collection_id(name)}/objects/"


def key_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def basic(headers: dict[str, str]) -> dict[str, str]:
    token = base64.b64encode(f"taxii:{key_of(headers)}".encode()).decode()
    return {"Authorization": f"Basic {token}", **TAXII}


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app (its lifespan already started) behind a real HTTP server, for taxii2-client."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def bulk_warnings(app: FastAPI, count: int, *, per_instant: int = 5) -> None:
    """Warnings written the way the correlator writes them, `per_instant` at each instant;
    every other instant has fractional seconds."""
    async with app.state.components.database.write() as conn:
        writer = EventWriter(conn)
        for i in range(count):
            k = i // per_instant
            at = START + timedelta(seconds=k, microseconds=250_000 if k % 2 else 0)
            await emit_warning(
                conn, writer, kind="sector_level", sector="energy", sectors=(), level="yellow",
                title=f"energy raised to yellow ({i})", evidence={}, at=at,
            )  # fmt: skip


def walk_with_client(url: str, key: str) -> dict[str, list[dict[str, Any]]]:
    """taxii2-client, synchronous: discovery, API root, every collection, every page by next."""
    server = Server(f"{url}/taxii2/", user="taxii", password=key)
    assert server.title == "awareness"
    (root,) = server.api_roots
    assert root.versions == [MEDIA_TYPE]
    found = {}
    for collection in root.collections:
        if not collection.can_read:
            continue
        objects: list[dict[str, Any]] = []
        for envelope in as_pages(collection.get_objects, per_request=1000):
            objects += envelope.get("objects", [])
        found[collection.title] = objects
    return found


async def test_taxii2_client_pages_every_object_once_by_next_and_by_added_after(
    app: FastAPI, world: World, served: str
) -> None:
    await bulk_warnings(app, 2600)
    walked = await asyncio.to_thread(walk_with_client, served, key_of(world.admin))
    reports = walked["Early warnings"]
    ids = [o["id"] for o in reports]
    assert len(ids) == len(set(ids))
    assert sum(o["type"] == "report" for o in reports) == 2600
    assert ids[0].startswith("marking-definition--")

    # A client that ignores `next` and pages by the last date added loses nothing.
    seen: list[str] = []
    params: dict[str, str] = {"limit": "1000"}
    async with httpx.AsyncClient(base_url=served, headers=basic(world.admin)) as http:
        while True:
            answer = await http.get(objects_url("warnings"), params=params)
            assert answer.status_code == 200
            assert answer.headers["content-type"] == MEDIA_TYPE
            body = answer.json()
            seen += [o["id"] for o in body["objects"]]
            assert len(body["objects"]) <= 1000
            if not body["more"]:
                break
            assert body["next"]
            params["added_after"] = answer.headers["X-TAXII-Date-Added-Last"]
    assert sorted(seen) == sorted(ids)


async def test_a_page_ends_between_dates_and_next_cuts_a_group_larger_than_limit(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    await bulk_warnings(app, 12, per_instant=4)
    headers = {**world.admin, **TAXII}
    # The shared objects are one group of more than 5: only next goes inside it.
    first = await client.get(objects_url("warnings"), params={"limit": 5}, headers=headers)
    body = first.json()
    assert len(body["objects"]) == 5
    assert body["more"]
    assert body["next"]
    # Groups of 4 reports: a limit of 6 returns 4, never half of the next group.
    after = {"added_after": "2021-01-01T00:00:00Z", "limit": 6}
    page = await client.get(objects_url("warnings"), params=after, headers=headers)
    assert len(page.json()["objects"]) == 4
    assert page.json()["more"] is True
    resumed = await client.get(
        objects_url("warnings"), params={"limit": 6, "next": page.json()["next"]},
        headers=headers,
    )  # fmt: skip
    assert len(resumed.json()["objects"]) == 4
    dates = {page.headers["X-TAXII-Date-Added-Last"], resumed.headers["X-TAXII-Date-Added-First"]}
    assert len(dates) == 2


@pytest.mark.parametrize(
    "added_after",
    ["2026-03-02T09:00:01Z", "2026-03-02T09:00:01.000Z", "2026-03-02T09:00:01+00:00",
     "2026-03-02T09:00:01.000000+00:00", "2026-03-02T10:00:01+01:00"],
)  # fmt: skip
async def test_added_after_with_or_without_fractions_and_offsets(
    app: FastAPI, client: httpx.AsyncClient, world: World, added_after: str
) -> None:
    await bulk_warnings(app, 12, per_instant=4)  # at :00, :01.25 and :02
    answer = await client.get(
        objects_url("warnings"), params={"added_after": added_after},
        headers={**world.admin, **TAXII},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["objects"]) == 8
    assert answer.headers["X-TAXII-Date-Added-First"] == "2026-03-02T09:00:01.250000Z"


async def real_world(app: FastAPI, client: httpx.AsyncClient, clock: ManualClock) -> World:
    """Reports through the API: a campaign of three energy organizations, an exposure of a
    water PLC holder, severe incidents raising levels."""
    for org in ("grid-east", "grid-west"):
        await add_org(app, org, "energy")
    world_keys = {}
    for org in ("grid-east", "grid-west"):
        world_keys[org] = await add_key(app, Role.operator, org=org)
    return world_keys  # type: ignore[return-value]


async def build_reports(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    extra = await real_world(app, client, clock)
    plc = {"asset_id": "plc-1", **PLC, "cves": ["CVE-2023-44373"]}
    for headers in (world.grid_north, world.aqua):
        assert (await client.post("/v1/assets", json=plc, headers=headers)).status_code == 201
    campaign = [{"type": "ipv4", "value": "45.77.12.9"},
                {"type": "domain", "value": "stix-campaign-test.net"}]  # fmt: skip
    for headers in (world.grid_south, *extra.values()):  # type: ignore[attr-defined]
        body = incident(detected_at=clock.now().isoformat(), indicators=campaign, tlp="green")
        assert (await client.post("/v1/incidents", json=body, headers=headers)).status_code == 201
    severe = incident(
        **SEVERE, detected_at=clock.now().isoformat(), affected_assets=["plc-1"],
        indicators=[{"type": "cve", "value": "CVE-2023-44373"}], summary="PLC writes",
    )  # fmt: skip
    assert (await client.post("/v1/incidents", json=severe, headers=world.grid_north)).status_code
    await settle(app)


def invalid(objects: list[dict[str, Any]]) -> list[str]:
    options = ValidationOptions(version="2.1")
    problems = []
    for obj in objects:
        result = validate_instance(obj, options)
        if not result.is_valid:
            problems.append(f"{obj['id']}: {[str(e) for e in result.errors]}")
    return problems


async def read_all(client: httpx.AsyncClient, name: str, headers: dict[str, str]) -> Any:
    answer = await client.get(
        objects_url(name), params={"limit": 1000}, headers={**headers, **TAXII}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["objects"]


async def test_every_object_of_every_collection_is_valid_stix(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await build_reports(app, client, world, clock)
    kinds: set[str] = set()
    for headers in (world.admin, world.all_supervisor, world.energy_responder, world.grid_north):
        listed = await client.get(f"{ROOT}collections/", headers={**headers, **TAXII})
        for collection in listed.json()["collections"]:
            if not collection["can_read"]:
                continue
            name = next(n for n in NAMES if collection_id(n) == collection["id"])
            objects = await read_all(client, name, headers)
            assert invalid(objects) == []
            kinds |= {o["type"] for o in objects}
            for obj in objects:
                if obj["type"] != "marking-definition":
                    assert obj["object_marking_refs"], obj
    assert {"report", "campaign", "indicator", "sighting", "incident", "vulnerability",
            "identity", "relationship", "marking-definition"} <= kinds  # fmt: skip


async def test_each_role_reads_what_its_v1_lists_show(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await build_reports(app, client, world, clock)
    water_responder = await add_key(app, Role.responder, sectors=["water"])
    reports = [o for o in await read_all(client, "warnings", water_responder)
               if o["type"] == "report"]  # fmt: skip
    listed = (await client.get("/v1/warnings?limit=1000", headers=water_responder)).json()
    assert len(reports) == len(listed["items"])
    assert all(
        "energy" not in r["extensions"][next(iter(r["extensions"]))]["sectors"]
        or r["extensions"][next(iter(r["extensions"]))]["kind"] != "sector_level"
        for r in reports
    )
    # Responders read no incidents: the collection is neither listed nor found.
    listed_ids = [
        c["id"] for c in (await client.get(f"{ROOT}collections/",
                                           headers={**world.energy_responder, **TAXII})).json()[
            "collections"]
    ]  # fmt: skip
    assert collection_id("incidents") not in listed_ids
    assert (
        await client.get(objects_url("incidents"), headers=world.energy_responder)
    ).status_code == 404
    # An operator: its own incidents only, its inbox listed (write-only), no campaigns.
    own = [o for o in await read_all(client, "incidents", world.grid_south)
           if o["type"] == "incident"]  # fmt: skip
    mine = (await client.get("/v1/incidents", headers=world.grid_south)).json()["items"]
    assert len(own) == len(mine) == 1
    orgs = [o["name"] for o in await read_all(client, "incidents", world.grid_south)
            if o["type"] == "identity" and o["identity_class"] == "organization"]  # fmt: skip
    assert orgs == ["Grid-South"]
    collections = (await client.get(f"{ROOT}collections/", headers=world.grid_south)).json()
    inbox = next(c for c in collections["collections"] if c["id"] == inbox_id("grid-south"))
    assert inbox["can_write"]
    assert not inbox["can_read"]
    assert inbox["title"] == "Reports from grid-south"
    inbox_objects = f"{ROOT}collections/{inbox_id('grid-south')}/objects/"
    refused = await client.get(inbox_objects, headers=world.grid_south)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == MEDIA_TYPE
    assert (await client.get(objects_url("campaigns"), headers=world.grid_south)).status_code == 404
    operator_reports = [o for o in await read_all(client, "warnings", world.aqua)
                        if o["type"] == "report"]  # fmt: skip
    aqua_listed = (await client.get("/v1/warnings?limit=1000", headers=world.aqua)).json()
    assert len(operator_reports) == len(aqua_listed["items"])


async def test_object_versions_and_manifest(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    await bulk_warnings(app, 3, per_instant=1)
    headers = {**world.admin, **TAXII}
    objects = (await client.get(objects_url("warnings"), headers=headers)).json()["objects"]
    report = next(o for o in objects if o["type"] == "report")
    base = objects_url("warnings") + report["id"] + "/"
    one = (await client.get(base, headers=headers)).json()
    assert [o["id"] for o in one["objects"]] == [report["id"]]
    versions = (await client.get(base + "versions/", headers=headers)).json()
    assert versions["versions"] == [report["modified"]]
    missing = await client.get(
        objects_url("warnings") + "report--" + "0" * 8 + "-0000-4000-8000-" + "0" * 12 + "/",
        headers=headers,
    )
    assert missing.status_code == 404
    manifest = (
        await client.get(f"{ROOT}collections/{collection_id('warnings')}/manifest/",
                         params={"match[type]": "report"}, headers=headers)
    ).json()  # fmt: skip
    assert [m["id"] for m in manifest["objects"]] == [
        o["id"] for o in objects if o["type"] == "report"
    ]
    assert all(m["media_type"] == "application/stix+json;version=2.1" for m in manifest["objects"])


async def test_errors_are_taxii_messages_in_the_taxii_media_type(
    client: httpx.AsyncClient, world: World
) -> None:
    def taxii_error(answer: httpx.Response, status: int) -> None:
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == MEDIA_TYPE
        body = answer.json()
        assert body["http_status"] == str(status)
        assert body["title"]
        assert "description" in body

    anonymous = await client.get("/taxii2/")
    taxii_error(anonymous, 401)
    assert anonymous.headers["www-authenticate"] == 'Basic realm="awareness"'
    wrong = base64.b64encode(b"taxii:aw_wrongwrongwrongwrongwrongwrong").decode()
    taxii_error(await client.get("/taxii2/", headers={"Authorization": f"Basic {wrong}"}), 401)
    ok = await client.get("/taxii2/", headers=basic(world.admin))
    assert ok.status_code == 200
    assert ok.headers["content-type"] == MEDIA_TYPE
    for accept in ("application/taxii+json", "*/*", MEDIA_TYPE):
        answer = await client.get("/taxii2/", headers={**world.admin, "Accept": accept})
        assert answer.status_code == 200, accept
    no_accept = await client.get("/taxii2/api/", headers=world.admin)
    assert no_accept.status_code == 200
    taxii_error(
        await client.get("/taxii2/", headers={**world.admin, "Accept": "application/json"}), 406
    )
    taxii_error(await client.get("/taxii2/nowhere/", headers=world.admin), 404)
    taxii_error(await client.get(f"{ROOT}collections/nope/", headers=world.admin), 404)
    bad_limit = await client.get(
        objects_url("warnings"), params={"limit": "x"}, headers=world.admin
    )
    taxii_error(bad_limit, 400)
    assert "limit" in bad_limit.json()["description"]
    bad_date = await client.get(
        objects_url("warnings"), params={"added_after": "yesterday"}, headers=world.admin
    )
    taxii_error(bad_date, 400)
    assert "added_after" in bad_date.json()["description"]
    taxii_error(
        await client.get(objects_url("warnings"), params={"next": "!!"}, headers=world.admin), 400
    )
    taxii_error(await client.delete("/taxii2/", headers=world.admin), 405)
