"""Incident ingestion: every validation rule with its 4xx, batches all or nothing, durable and
scoped reads; on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import World, count_rows, incident


async def test_submitted_incident_reads_back_normalized(
    client: httpx.AsyncClient, world: World
) -> None:
    body = incident(
        occurred_at="2026-03-02T10:30:00+02:00",
        information_impact="suspected",
        location="critical_systems",
        indicators=[
            {"type": "ipv4", "value": " 203.0.113.7 "},
            {"type": "domain", "value": "Evil.Example.COM."},
            {"type": "sha256", "value": "A" * 64},
            {"type": "cve", "value": "cve-2024-3400"},
            {"type": "ipv4", "value": "203.0.113.7"},
        ],
        summary="HMI sessions from an unknown host",
        tlp="amber+strict",
        reference="INC-42",
    )
    created = await client.post("/v1/incidents", json=body, headers=world.grid_north)
    assert created.status_code == 201, created.text
    assert created.json()["received_at"] == "2026-03-02T09:00:00Z"
    incident_id = created.json()["id"]

    got = await client.get(f"/v1/incidents/{incident_id}", headers=world.grid_north)
    assert got.status_code == 200
    record = got.json()
    assert record["org_id"] == "grid-north"
    assert record["sector"] == "energy"
    assert record["occurred_at"] == "2026-03-02T08:30:00Z"
    assert record["detected_at"] == "2026-03-02T08:59:00Z"
    assert record["indicators"] == [
        {"type": "ipv4", "value": "203.0.113.7", "known_benign": None},
        {"type": "domain", "value": "evil.example.com", "known_benign": None},
        {"type": "sha256", "value": "a" * 64, "known_benign": None},
        {"type": "cve", "value": "CVE-2024-3400", "known_benign": None},
    ]
    assert record["tlp"] == "amber+strict"
    assert record["information_impact"] == "suspected"
    assert record["recoverability"] == "regular"
    assert record["summary"] == "HMI sessions from an unknown host"
    assert record["reference"] == "INC-42"


async def test_defaults_apply_to_optional_fields(client: httpx.AsyncClient, world: World) -> None:
    created = await client.post("/v1/incidents", json=incident(), headers=world.grid_north)
    record = await client.get(f"/v1/incidents/{created.json()['id']}", headers=world.grid_north)
    assert record.json() | {"id": 0} == {
        "id": 0,
        "org_id": "grid-north",
        "sector": "energy",
        "received_at": "2026-03-02T09:00:00Z",
        "detected_at": "2026-03-02T08:59:00Z",
        "occurred_at": None,
        "category": "intrusion",
        "functional_impact": "minimal_critical",
        "information_impact": "none",
        "recoverability": "regular",
        "location": "unknown",
        "affected_assets": [],
        "indicators": [],
        "summary": None,
        "tlp": "amber",
        "reference": None,
        "withheld": None,
        "aware_at": "2026-03-02T08:59:00Z",
        "significant": False,
        "clocks": [],
    }


INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("missing detected_at", {"detected_at": None}, "detected_at", "Field required"),
    ("time without offset", {"detected_at": "2026-03-02T08:59:00"}, "detected_at", "timezone"),
    ("not a time", {"detected_at": "yesterday"}, "detected_at", "datetime"),
    ("unix time", {"detected_at": 1772441940}, "detected_at", "Input should be"),
    (
        "no UTC time",
        {"detected_at": "0001-01-01T00:00:00+00:01", "occurred_at": "0001-01-01T00:00:00+00:01"},
        "detected_at",
        "outside the range of times",
    ),
    ("future", {"detected_at": "2026-03-02T09:05:01Z"}, "detected_at", "5 minutes in the future"),
    (
        "occurred after detected",
        {"occurred_at": "2026-03-02T08:59:01Z"},
        "occurred_at",
        "must not be after detected_at",
    ),
    ("category", {"category": "hacking"}, "category", "'malware'"),
    ("functional impact", {"functional_impact": "huge"}, "functional_impact", "'denial_critical'"),
    ("information impact", {"information_impact": "all"}, "information_impact", "'suspected'"),
    ("recoverability", {"recoverability": "never"}, "recoverability", "'not_recoverable'"),
    ("location", {"location": "cloud"}, "location", "'safety_systems'"),
    ("tlp", {"tlp": "white"}, "tlp", "'amber+strict'"),
    ("summary too long", {"summary": "x" * 10_001}, "summary", "at most 10000 characters"),
    ("reference too long", {"reference": "r" * 201}, "reference", "at most 200 characters"),
    ("org in body", {"org_id": "aqua"}, "org_id", "always the API key's"),
    ("unknown field", {"severity": 99}, "severity", "unknown field"),
    (
        "indicator type",
        {"indicators": [{"type": "asn", "value": "AS1"}]},
        "indicators[0].type",
        "'ipv4'",
    ),
    (
        "indicator value",
        {"indicators": [{"type": "ipv4", "value": "1.2.3"}]},
        "indicators[0].value",
        "not an IPv4 address",
    ),
    (
        "indicator hash",
        {"indicators": [{"type": "md5", "value": "xyz"}]},
        "indicators[0].value",
        "32 hexadecimal",
    ),
    (
        "asset list not a list",
        {"affected_assets": "plc-1"},
        "affected_assets",
        "valid array",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
async def test_invalid_field_is_named_and_nothing_stored(
    client: httpx.AsyncClient,
    world: World,
    app: FastAPI,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    body = incident(**change)
    body = {k: v for k, v in body.items() if v is not None}
    response = await client.post("/v1/incidents", json=body, headers=world.grid_north)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors), errors
    assert await count_rows(app, "reports") == 0
    assert await count_rows(app, "incidents") == 0


async def test_five_minutes_ahead_is_still_accepted(
    client: httpx.AsyncClient, world: World
) -> None:
    body = incident(detected_at="2026-03-02T09:05:00Z")
    response = await client.post("/v1/incidents", json=body, headers=world.grid_north)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"detected_at": '])
async def test_malformed_json_is_400(
    client: httpx.AsyncClient, world: World, app: FastAPI, raw: bytes
) -> None:
    headers = world.grid_north | {"Content-Type": "application/json"}
    response = await client.post("/v1/incidents", content=raw, headers=headers)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]
    assert await count_rows(app, "incidents") == 0


async def test_json_that_is_not_an_object_is_422(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/v1/incidents", json=[1, 2], headers=world.grid_north)
    assert response.status_code == 422


async def test_body_over_the_limit_is_413_and_stores_nothing(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    body = incident(summary="x" * 2_000_000)
    response = await client.post("/v1/incidents", json=body, headers=world.grid_north)
    assert response.status_code == 413
    assert await count_rows(app, "incidents") == 0


async def test_streamed_body_over_the_limit_is_413(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    async def chunks() -> Any:
        yield b'{"summary": "'
        for _ in range(40):
            yield b"x" * 65_536
        yield b'"}'

    headers = world.grid_north | {"Content-Type": "application/json"}
    response = await client.post("/v1/incidents", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert await count_rows(app, "incidents") == 0


async def test_affected_assets_must_be_in_the_callers_inventory(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    asset = {"asset_id": "plc-7", "kind": "plc", "criticality": "critical"}
    assert (
        await client.post("/v1/assets", json=asset, headers=world.grid_north)
    ).status_code == 201
    assert (
        await client.post("/v1/assets", json=asset | {"asset_id": "rtu-1"}, headers=world.aqua)
    ).status_code == 201

    foreign = incident(affected_assets=["plc-7", "rtu-1", "ghost"])
    response = await client.post("/v1/incidents", json=foreign, headers=world.grid_north)
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["affected_assets[1]", "affected_assets[2]"]
    assert "rtu-1" in response.json()["errors"][0]["message"]
    assert await count_rows(app, "incidents") == 0

    good = await client.post(
        "/v1/incidents", json=incident(affected_assets=["plc-7"]), headers=world.grid_north
    )
    assert good.status_code == 201
    record = await client.get(f"/v1/incidents/{good.json()['id']}", headers=world.grid_north)
    assert record.json()["affected_assets"] == ["plc-7"]


async def test_batch_is_stored_in_order(client: httpx.AsyncClient, world: World) -> None:
    items = [incident(reference=f"b-{i}") for i in range(5)]
    response = await client.post(
        "/v1/incidents/batch", json={"incidents": items}, headers=world.grid_north
    )
    assert response.status_code == 201, response.text
    ids = response.json()["ids"]
    assert ids == sorted(ids)
    assert len(ids) == 5
    for i, incident_id in enumerate(ids):
        record = await client.get(f"/v1/incidents/{incident_id}", headers=world.grid_north)
        assert record.json()["reference"] == f"b-{i}"


async def test_batch_is_all_or_nothing_and_names_the_item(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    items = [incident() for _ in range(5)]
    items[3]["detected_at"] = "2026-03-02T10:00:00Z"
    items[4]["indicators"] = [{"type": "email", "value": "not-an-address"}]
    response = await client.post(
        "/v1/incidents/batch", json={"incidents": items}, headers=world.grid_north
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"incidents[3].detected_at", "incidents[4].indicators[0].value"}
    assert await count_rows(app, "incidents") == 0
    assert await count_rows(app, "reports") == 0


async def test_batch_with_an_unknown_asset_stores_nothing(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    items = [incident(), incident(affected_assets=["nope"])]
    response = await client.post(
        "/v1/incidents/batch", json={"incidents": items}, headers=world.grid_north
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "incidents[1].affected_assets[0]"
    assert await count_rows(app, "incidents") == 0


async def test_batch_limits(client: httpx.AsyncClient, world: World, app: FastAPI) -> None:
    empty = await client.post(
        "/v1/incidents/batch", json={"incidents": []}, headers=world.grid_north
    )
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "incidents"

    too_many = {"incidents": [incident() for _ in range(1001)]}
    response = await client.post("/v1/incidents/batch", json=too_many, headers=world.grid_north)
    assert response.status_code == 422
    assert "at most 1000" in response.json()["errors"][0]["message"]

    full = {"incidents": [incident() for _ in range(1000)]}
    response = await client.post("/v1/incidents/batch", json=full, headers=world.grid_north)
    assert response.status_code == 201
    assert await count_rows(app, "incidents") == 1000


async def test_operator_reads_only_its_own_incidents(
    client: httpx.AsyncClient, world: World
) -> None:
    north = await client.post("/v1/incidents", json=incident(), headers=world.grid_north)
    south = await client.post("/v1/incidents", json=incident(), headers=world.grid_south)

    other = await client.get(f"/v1/incidents/{south.json()['id']}", headers=world.grid_north)
    absent = await client.get("/v1/incidents/999999", headers=world.grid_north)
    assert other.status_code == absent.status_code == 404
    assert other.json().keys() == absent.json().keys()

    listed = await client.get("/v1/incidents", headers=world.grid_north)
    assert [i["id"] for i in listed.json()["items"]] == [north.json()["id"]]


async def test_supervisor_reads_its_sectors_only(client: httpx.AsyncClient, world: World) -> None:
    energy = await client.post("/v1/incidents", json=incident(), headers=world.grid_north)
    water = await client.post("/v1/incidents", json=incident(), headers=world.aqua)

    mine = await client.get(f"/v1/incidents/{energy.json()['id']}", headers=world.energy_supervisor)
    assert mine.status_code == 200
    theirs = await client.get(
        f"/v1/incidents/{water.json()['id']}", headers=world.energy_supervisor
    )
    assert theirs.status_code == 404
    listed = await client.get("/v1/incidents", headers=world.energy_supervisor)
    assert [i["org_id"] for i in listed.json()["items"]] == ["grid-north"]

    everything = await client.get("/v1/incidents", headers=world.all_supervisor)
    assert {i["org_id"] for i in everything.json()["items"]} == {"grid-north", "aqua"}


async def test_pages_newest_first(client: httpx.AsyncClient, world: World) -> None:
    ids = [
        (await client.post("/v1/incidents", json=incident(), headers=world.grid_north)).json()["id"]
        for _ in range(5)
    ]
    seen: list[int] = []
    url = "/v1/incidents?limit=2"
    pages = 0
    while True:
        page = (await client.get(url, headers=world.grid_north)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        if page["next"] is None:
            break
        url = f"/v1/incidents?limit=2&cursor={page['next']}"
    assert seen == sorted(ids, reverse=True)
    assert pages == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=1001", "limit"), ("cursor=garbage!", "cursor")],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, world: World, query: str, field: str
) -> None:
    response = await client.get(f"/v1/incidents?{query}", headers=world.grid_north)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
