"""Every cell of the role x route x object matrix (`matrix.py`), on both databases: who gets 401,
403, 404 or an answer, for objects in and out of each caller's scope. One world per database
serves the whole module, so the cells stay cheap; a cell's request never depends on another's
(writes use fresh ids, deletions fresh keys, acknowledgements are idempotent).

Every body sent is valid (the cell of an allowed caller proves it), so a status says what the
caller may do, not what the body lacks."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from starlette.routing import WebSocketRoute, compile_path
from websockets.exceptions import ConnectionClosed

from awareness.api.app import create_app
from awareness.api.docs import api_routes
from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.demo.snapshots import CSAF, KEV, snapshot_bytes
from tests.conftest import (
    PLC,
    SEVERE,
    START,
    add_key,
    add_org,
    empty_database,
    incident,
    make_settings,
    settle,
)
from tests.feed.conftest import open_feed, served
from tests.security.matrix import MATRIX, PRINCIPALS

pytestmark = pytest.mark.asyncio(loop_scope="module")
MISSING = 987_654_321
# Nothing listens on port 9 of loopback: deliveries fail at once and wait for their retry.
SUBSCRIPTION = {"name": "matrix", "channel": "webhook", "target": "http://127.0.0.1:9/hook"}
FAKE_TICKET = "not-a-ticket"


@dataclass
class World:
    """The running app and what the matrix's names stand for."""

    app: FastAPI
    http: httpx.AsyncClient
    base: str  # host:port of the same app served for WebSockets
    headers: dict[str, dict[str, str]]
    objects: dict[str, int]
    revoked_ticket: str
    database: str

    async def fresh_subscription(self) -> int:
        """A subscription of the energy responder, for a removal."""
        created = await self.http.post(
            "/v1/subscriptions", json=SUBSCRIPTION, headers=self.headers["resp_e"]
        )
        assert created.status_code == 201, created.text
        return int(created.json()["id"])

    async def fresh_key(self) -> int:
        body = {"role": "responder", "sectors": ["energy"]}
        created = await self.http.post("/v1/keys", json=body, headers=self.headers["admin"])
        assert created.status_code == 201, created.text
        return int(created.json()["id"])


_serial = itertools.count(1)


def _feed_bodies() -> dict[str, dict[str, Any]]:
    """A catalogue of two KEV entries and one ICS advisory, from the shipped snapshots."""
    catalogue = json.loads(gzip.decompress(snapshot_bytes(KEV)))
    advisory = gzip.decompress(snapshot_bytes(CSAF[1])).partition(b"\n")[0]
    return {
        "/v1/feeds/kev": catalogue | {"vulnerabilities": catalogue["vulnerabilities"][:2]},
        "/v1/feeds/csaf": json.loads(advisory),
    }


FEED_BODIES = _feed_bodies()


def body_for(method: str, path: str) -> dict[str, Any] | None:
    """A valid body for the route (fresh ids, so a repeated write creates again); `#variant`s
    name objects of another organization in it."""
    n = next(_serial)
    asset = {"asset_id": f"matrix-asset-{n}", "kind": "server", "criticality": "low"}
    bodies: dict[str, dict[str, Any]] = {
        "/v1/incidents": incident(),
        "/v1/incidents#plc-b": incident(affected_assets=["plc-b"]),
        "/v1/assets#org-b": asset | {"org_id": "org-b"},
        "/v1/incidents/batch": {"incidents": [incident(), incident(category="phishing")]},
        "/v1/assets": asset,
        "/v1/assets/batch": {"assets": [asset]},
        "/v1/orgs": {"id": f"matrix-org-{n}", "name": f"Matrix {n}", "sector": "energy"},
        "/v1/keys": {"role": "supervisor", "sectors": ["water"], "name": f"matrix {n}"},
        "/v1/subscriptions": SUBSCRIPTION,
        **FEED_BODIES,
    }
    if path.endswith("/updates"):  # org-a's early warning under NIS2
        return {"stage": "early_warning", "suspected_malicious": True, "cross_border": False}
    if path.endswith("/regimes"):
        return {"regimes": ["nis2"]}
    if method != "POST":
        return None
    for suffix, body in (
        ("/assign", {"assignee": f"matrix {n}", "note": "on it"}),
        ("/resolve", {"note": "contained"}),
        ("/notes", {"text": f"note {n}"}),
    ):
        if path.endswith(suffix):
            return body
    return bodies.get(path)


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgresql"])
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    url = await empty_database(request, tmp_path_factory.mktemp("matrix"))
    app = create_app(make_settings(url), clock=ManualClock(START))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with (
            served(app) as base,
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        ):
            yield await _build(app, http, base, request.param)


async def _build(app: FastAPI, http: httpx.AsyncClient, base: str, database: str) -> World:
    for org, sector in (("org-a", "energy"), ("org-b", "energy"), ("org-w", "water")):
        await add_org(app, org, sector)
    headers = {
        "anon": {},
        "bad": {"Authorization": "Bearer not-an-api-key"},
        "op_a": await add_key(app, Role.operator, org="org-a"),
        "op_b": await add_key(app, Role.operator, org="org-b"),
        "op_w": await add_key(app, Role.operator, org="org-w"),
        "sup_e": await add_key(app, Role.supervisor, sectors=["energy"]),
        "sup_all": await add_key(app, Role.supervisor),
        "resp_e": await add_key(app, Role.responder, sectors=["energy"]),
        "resp_all": await add_key(app, Role.responder),
        "admin": await add_key(app, Role.admin),
    }
    # The revoked key: revoked through the API, after it traded itself for a feed ticket.
    created = await http.post(
        "/v1/keys", json={"role": "operator", "org": "org-a"}, headers=headers["admin"]
    )
    headers["revoked"] = {"Authorization": f"Bearer {created.json()['key']}"}
    ticket = await http.post("/v1/feed/tickets", headers=headers["revoked"])
    assert ticket.status_code == 201, ticket.text
    revoked = await http.delete(f"/v1/keys/{created.json()['id']}", headers=headers["admin"])
    assert revoked.status_code == 204, revoked.text

    async def post(who: str, path: str, body: dict[str, Any]) -> int:
        answer = await http.post(path, json=body, headers=headers[who])
        assert answer.status_code in (200, 201), answer.text
        return int(answer.json().get("id", 0))

    await post("op_b", "/v1/assets", {"asset_id": "plc-b", **PLC})
    await post("op_w", "/v1/assets", {"asset_id": "plc-w", **PLC})
    regimes = {"regimes": ["nis2"]}
    assigned = await http.put("/v1/orgs/org-a/regimes", json=regimes, headers=headers["admin"])
    assert assigned.status_code == 200, assigned.text
    objects = {
        "incident_a": await post("op_a", "/v1/incidents", incident(**SEVERE)),
        "incident_w": await post(
            "op_w", "/v1/incidents", incident(**SEVERE, affected_assets=["plc-w"])
        ),
        "missing": MISSING,
        "revoked_key": int(created.json()["id"]),
        "sub_e": await post("resp_e", "/v1/subscriptions", SUBSCRIPTION),
        "sub_all": await post("admin", "/v1/subscriptions", SUBSCRIPTION),
    }
    await settle(app)
    listed = await http.get("/v1/warnings?limit=1000", headers=headers["sup_all"])
    by_kind = {(w["kind"], w["sector"]): w for w in listed.json()["items"]}
    objects["warning_e"] = by_kind[("sector_level", "energy")]["id"]
    objects["warning_w"] = by_kind[("sector_level", "water")]["id"]
    exposure = by_kind[("exposure", "water")]
    assert (exposure["sectors"], exposure["target_orgs"]) == (["energy", "water"], ["org-b"])
    objects["exposure"] = exposure["id"]
    return World(app, http, base, headers, objects, ticket.json()["ticket"], database)


async def feed_outcome(world: World, who: str, query: str) -> int:
    """101 when the feed accepts and sends `connected`, else the code it closes with."""
    headers = world.headers[who]
    if query == "ticket":
        ticket = world.revoked_ticket if who == "revoked" else FAKE_TICKET
        if who not in ("anon", "bad", "revoked"):
            issued = await world.http.post("/v1/feed/tickets", headers=headers)
            ticket = issued.json()["ticket"]
        headers, query = {}, f"ticket={ticket}"
    feed, socket = await open_feed(world.base, headers, query=query)
    async with socket:
        try:
            frame = await feed.frame()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else 1006  # no close frame
    assert frame["type"] == "connected", frame
    return 101


async def outcome(world: World, route: str, who: str) -> int:
    method, _, target = route.partition(" ")
    if method == "WS":
        return await feed_outcome(world, who, target.partition("?")[2])
    objects = dict(world.objects)
    if "{fresh_key}" in target:
        objects["fresh_key"] = await world.fresh_key()
    if "{fresh_sub}" in target:
        objects["fresh_sub"] = await world.fresh_subscription()
    target, _, variant = target.partition("#")
    url = target.format(**objects)
    body = body_for(method, url.partition("?")[0] + (f"#{variant}" if variant else ""))
    answer = await world.http.request(method, url, json=body, headers=world.headers[who])
    return answer.status_code


def _cells() -> list[Any]:
    cells = []
    for route, row in MATRIX.items():
        statuses = [int(status) for status in row.split()]
        assert len(statuses) == len(PRINCIPALS), route
        for who, expected in zip(PRINCIPALS, statuses, strict=True):
            cells.append(pytest.param(route, who, expected, id=f"{route}-{who}"))
    return cells


@pytest.mark.parametrize(("route", "who", "expected"), _cells())
async def test_cell(world: World, route: str, who: str, expected: int) -> None:
    assert await outcome(world, route, who) == expected


async def test_the_table_covers_every_route(world: World) -> None:
    """A route added to the API without a row here fails, so the matrix keeps up."""
    rows = [route.partition(" ") for route in MATRIX]
    concrete = [
        (
            method,
            target.partition("?")[0]
            .partition("#")[0]
            .format(**world.objects, fresh_key=0, fresh_sub=0),
        )
        for method, _, target in rows
    ]
    served = [
        (template, route.methods or set()) for template, route in api_routes(world.app.routes)
    ]
    served += [(r.path, {"WS"}) for r in world.app.routes if isinstance(r, WebSocketRoute)]
    missing = []
    for template, methods in served:
        if not template.startswith(("/v1/", "/healthz", "/readyz", "/metrics")):
            continue  # /docs and /openapi.json are the documentation
        pattern = compile_path(template)[0]
        for method in methods - {"HEAD"}:
            if not any(m == method and pattern.match(p) for m, p in concrete):
                missing.append(f"{method} {template}")
    assert missing == [], "routes without a row in matrix.py"
    assert len(served) >= 20, "the routes were found"


async def test_out_of_scope_reads_as_absent(world: World) -> None:
    """404 for someone else's record says exactly what 404 for no record says (but its id)."""

    async def detail(who: str, method: str, template: str, name: str) -> str:
        number = world.objects[name]
        url = template.format(id=number)
        answer = await world.http.request(method, url, headers=world.headers[who])
        assert answer.status_code == 404, answer.text
        return str(answer.json()["detail"]).replace(str(number), "N")

    for who, method, template, hidden in (
        ("op_b", "GET", "/v1/incidents/{id}", "incident_a"),
        ("op_w", "GET", "/v1/incidents/{id}", "incident_a"),
        ("sup_e", "GET", "/v1/incidents/{id}", "incident_w"),
        ("sup_e", "POST", "/v1/warnings/{id}/ack", "warning_w"),
        ("resp_e", "POST", "/v1/warnings/{id}/ack", "warning_w"),
    ):
        assert await detail(who, method, template, hidden) == await detail(
            who, method, template, "missing"
        )

    # Naming another organization's asset reads as naming one that does not exist.
    async def refused(asset: str) -> str:
        body = incident(affected_assets=[asset])
        answer = await world.http.post("/v1/incidents", json=body, headers=world.headers["op_a"])
        assert answer.status_code == 422, answer.text
        return answer.text.replace(asset, "ASSET")

    assert await refused("plc-b") == await refused("no-such-asset")


async def test_idempotency_keys_belong_to_one_organization(world: World) -> None:
    """Another organization sending the same key and body gets its own new report, never the
    first organization's answer replayed."""
    body = incident(reference="shared-reference")
    key = {"Idempotency-Key": "matrix-shared-key"}
    first = await world.http.post("/v1/incidents", json=body, headers=world.headers["op_a"] | key)
    again = await world.http.post("/v1/incidents", json=body, headers=world.headers["op_a"] | key)
    other = await world.http.post("/v1/incidents", json=body, headers=world.headers["op_b"] | key)
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 201)
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert other.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in other.headers
