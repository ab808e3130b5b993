"""What the wire promises every client: each `/v1` operation documents the model it answers
with, every time it documents is RFC 3339 in UTC ending in `Z`, and every time actually sent (in
every answer of a real scenario, in every role, and in every feed frame, evidence included) is
written that way. A client may then compare and parse times without guessing offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from awareness.clock import ManualClock
from tests.conftest import PLC, SEVERE, World, incident, settle
from tests.feed.conftest import open_feed, served

CAMPAIGN_IP = "185.220.101.47"
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def refs(node: Any) -> Iterator[str]:
    """The names of the component schemas a schema refers to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref.rsplit("/", 1)[-1]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def date_times(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sub-schema documented as `format: date-time`, with where it is."""
    if isinstance(node, dict):
        if node.get("format") == "date-time":
            yield path, node
        for key, value in node.items():
            yield from date_times(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from date_times(value, f"{path}[{index}]")


def times(node: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Every string of a JSON answer that is a date with a time of day, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from times(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from times(value, f"{path}[{index}]")
    elif isinstance(node, str) and DATETIME.match(node):
        yield path, node


XML_EXPORTS = {"application/cap+xml", "application/atom+xml"}


async def test_openapi_documents_response_models_with_utc_times(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]

    answered: set[str] = set()
    operations = 0
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            success = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
            if path.startswith("/v1"):
                operations += 1
                assert success, f"{method.upper()} {path} documents no 2xx answer"
            for code, response in success.items():
                if method == "delete" and code == "204":
                    assert "content" not in response, f"DELETE {path}: 204 has no body"
                    continue
                content = response.get("content", {})
                body = content.get("application/json", {}).get("schema")
                if path.startswith("/v1") and set(content) & XML_EXPORTS:
                    # CAP alerts and their Atom feed: XML, validated against their schemas
                    # in tests/api/test_cap.py.
                    continue
                if path.startswith("/v1"):
                    assert body, f"{method.upper()} {path} {code}: no response model"
                    assert "$ref" in body or body.get("type") or body.get("items"), body
                answered.update(refs(body))
    assert operations >= 15

    # Everything the answers refer to, transitively, and the feed's frames (no path: a socket).
    reachable: set[str] = set()
    pending = answered | {
        "ConnectedFrame", "HeartbeatFrame", "GapFrame", "WarningFrame", "SectorLevelFrame",
        "AckFrame",
    }  # fmt: skip
    while pending:
        name = pending.pop()
        if name not in reachable:
            reachable.add(name)
            pending.update(set(refs(components[name])) - reachable)
    assert {"WarningView", "IncidentView", "LevelChange", "AckView", "Ticket"} <= reachable

    documented = {
        f"{name}{where}": node
        for name in sorted(reachable)
        for where, node in date_times(components[name], "")
    }
    missing = [where for where, node in documented.items() if node.get("pattern") != "Z$"]
    assert missing == [], f"response times not documented as ending in Z: {missing}"
    for expected in (
        "IncidentView/properties/detected_at",
        "IncidentView/properties/occurred_at/anyOf[0]",
        "WarningView/properties/created_at",
        "WarningView/properties/acknowledged_at/anyOf[0]",
        "LevelChange/properties/at",
        "AckView/properties/acknowledged_at",
        "CampaignView/properties/first_seen",
        "Ticket/properties/expires_at",
        "SectorView/properties/updated_at/anyOf[0]",
    ):
        assert expected in documented, expected

    # Reports are not answers: they accept any RFC 3339 offset, and must not document otherwise.
    assert "IncidentIn" not in reachable
    detected = components["IncidentIn"]["properties"]["detected_at"]
    assert detected["format"] == "date-time"
    assert "pattern" not in detected


async def test_every_time_sent_ends_in_z(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    answers: list[tuple[str, Any]] = []

    async def send(method: str, url: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
        response = await client.request(method, url, headers=headers, **kwargs)
        assert response.status_code in (200, 201), f"{method} {url}: {response.text}"
        answers.append((f"{method} {url}", response.json()))
        return response

    # Inventories: grid-north and aqua run the same PLC; aqua registers in a batch.
    await send("POST", "/v1/assets", world.grid_north, json={"asset_id": "plc-1", **PLC})
    aqua_assets = {
        "assets": [{"asset_id": "pump-plc", **PLC}, {"asset_id": "hmi-2", "kind": "hmi"}]
    }
    await send("POST", "/v1/assets/batch", world.aqua, json=aqua_assets)

    # One public address at three organizations, severe everywhere; grid-north's incident
    # names its PLC, which aqua also runs, and gives its times with an offset.
    address = [{"type": "ipv4", "value": CAMPAIGN_IP}]
    now = clock.now().isoformat()
    north = incident(
        **SEVERE, detected_at="2026-03-02T10:59:00+02:00", occurred_at="2026-03-02T10:30:00+02:00",
        affected_assets=["plc-1"], indicators=address,
    )  # fmt: skip
    created = (await send("POST", "/v1/incidents", world.grid_north, json=north)).json()
    batch = {
        "incidents": [
            incident(**SEVERE, detected_at=now, indicators=address),
            incident(category="phishing", functional_impact="none", detected_at=now),
        ]
    }
    retry = world.grid_south | {"Idempotency-Key": "south-batch-1"}
    first = await send("POST", "/v1/incidents/batch", retry, json=batch)
    replayed = await send("POST", "/v1/incidents/batch", retry, json=batch)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == first.json()
    await send("POST", "/v1/incidents", world.aqua, json=incident(**SEVERE, indicators=address))
    await settle(app)

    warnings = (await client.get("/v1/warnings", headers=world.all_supervisor)).json()["items"]
    kinds = {w["kind"] for w in warnings}
    assert kinds == {"sector_level", "campaign", "exposure", "dependency"}, kinds
    campaign = next(w for w in warnings if w["kind"] == "campaign")
    clock.advance(timedelta(minutes=5))
    acked = await send("POST", f"/v1/warnings/{campaign['id']}/ack", world.energy_responder)
    assert acked.json()["acknowledged_at"] == "2026-03-02T09:05:00Z"

    # Every read endpoint, in every role that may call it.
    operators = {"grid-north": world.grid_north, "aqua": world.aqua}
    supervisors = {"energy": world.energy_supervisor, "all": world.all_supervisor}
    everyone = {
        **operators,
        **supervisors,
        "responder": world.energy_responder,
        "admin": world.admin,
    }
    report_readers = {**operators, **supervisors, "admin": world.admin}
    responders = {**supervisors, "responder": world.energy_responder, "admin": world.admin}
    for headers in everyone.values():
        for url in ("/v1/me", "/v1/sectors", "/v1/sectors/energy", "/v1/warnings?limit=1000"):
            await send("GET", url, headers)
        await send("POST", "/v1/feed/tickets", headers)
    for headers in responders.values():
        await send("GET", "/v1/campaigns", headers)
    for headers in report_readers.values():
        await send("GET", "/v1/assets", headers)
        listed = (await send("GET", "/v1/incidents", headers)).json()["items"]
        assert listed
        await send("GET", f"/v1/incidents/{listed[-1]['id']}", headers)
    await send("GET", "/v1/orgs", world.admin)
    await send("GET", "/v1/vocabulary", {})

    # The feed from its start, as an unscoped supervisor and as the addressed operator.
    async with served(app) as base:
        for headers in (world.all_supervisor, world.aqua):
            feed, socket = await open_feed(base, headers, query="after=0")
            async with socket:
                connected = await feed.frame()
                history = await feed.quiet(1.0)
            assert history, "the feed replays from the start"
            if headers is world.all_supervisor:
                assert [f["seq"] for f in history] == list(range(1, connected["seq"] + 1))
            answers.extend(("feed", frame) for frame in [connected, *history])
    feed_types = {frame["type"] for where, frame in answers if where == "feed"}
    assert {"connected", "sector_level", "warning", "ack"} <= feed_types

    found = [(where, path, text) for where, body in answers for path, text in times(body)]
    wrong = [item for item in found if not item[2].endswith("Z")]
    assert wrong == [], wrong
    # Not vacuous: many times, from the API and the feed, nested in evidence too.
    assert len(found) >= 200, len(found)
    assert sum(where == "feed" for where, _, _ in found) >= 10
    assert any(".evidence." in path for where, path, _ in found if where != "feed")
    assert any(".evidence." in path for where, path, _ in found if where == "feed")
    # An offset given in a report comes back in UTC.
    record = (await client.get(f"/v1/incidents/{created['id']}", headers=world.grid_north)).json()
    assert (record["detected_at"], record["occurred_at"]) == (
        "2026-03-02T08:59:00Z",
        "2026-03-02T08:30:00Z",
    )
