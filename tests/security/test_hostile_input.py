"""Hostile input, as a table: each is refused with the status the contract gives and a message
naming the field, changes nothing, keeps the connection usable, and is answered the same on
SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import World, count_rows

BEYOND_INT64 = str(2**63)
NOW = "2026-11-27T08:30:00Z"


def _incident(**fields: Any) -> dict[str, Any]:
    return {
        "detected_at": NOW,
        "category": "ransomware",
        "functional_impact": "denial_critical",
    } | fields


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    path: str
    caller: str  # a World attribute
    status: int
    names: str  # what the answer's message must name
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


CASES = [
    Hostile("id beyond int64 in a path", "GET", f"/v1/incidents/{BEYOND_INT64}", "grid_north",
            422, "incident_id"),
    Hostile("a negative id", "GET", f"/v1/incidents/-{BEYOND_INT64}1", "grid_north",
            404, "/v1/incidents/-"),
    Hostile("warning id beyond int64", "POST", f"/v1/warnings/{BEYOND_INT64}/ack",
            "energy_supervisor", 422, "warning_id", json={}),
    Hostile("key id beyond int64", "DELETE", f"/v1/keys/{BEYOND_INT64}", "admin", 422, "key_id"),
    Hostile("after beyond int64", "GET", f"/v1/warnings?after={BEYOND_INT64}",
            "energy_supervisor", 422, "after"),
    Hostile("cursor beyond int64", "GET", f"/v1/incidents?cursor={_cursor('id:' + BEYOND_INT64)}",
            "grid_north", 422, "cursor"),
    Hostile("cursor of NUL", "GET", f"/v1/warnings?cursor={_cursor(chr(0))}", "energy_supervisor",
            422, "cursor"),
    Hostile("limit beyond int64", "GET", f"/v1/warnings?limit={BEYOND_INT64}",
            "energy_supervisor", 422, "limit"),
    Hostile("year 1 at +14:00", "POST", "/v1/incidents", "grid_north", 422, "detected_at",
            json=_incident(detected_at="0001-01-01T00:00:00+14:00")),
    Hostile("year 9999 at -14:00", "POST", "/v1/incidents", "grid_north", 422, "occurred_at",
            json=_incident(occurred_at="9999-12-31T23:59:59-14:00")),
    Hostile("February 30th", "POST", "/v1/incidents", "grid_north", 422, "detected_at",
            json=_incident(detected_at="2026-02-30T00:00:00Z")),
    Hostile("a time without offset", "POST", "/v1/incidents", "grid_north", 422, "detected_at",
            json=_incident(detected_at="2026-11-27T08:30:00")),
    Hostile("NUL in a summary", "POST", "/v1/incidents", "grid_north", 422, "summary",
            json=_incident(summary="before\u0000after")),
    Hostile("NUL in a reference", "POST", "/v1/incidents", "grid_north", 422, "reference",
            json=_incident(reference="r\u0000")),
    Hostile("NUL in an indicator", "POST", "/v1/incidents", "grid_north", 422,
            "indicators[0].value",
            json=_incident(indicators=[{"type": "domain", "value": "evil\u0000.example"}])),
    Hostile("NUL in a batch item", "POST", "/v1/incidents/batch", "grid_north", 422,
            "incidents[1].summary",
            json={"incidents": [_incident(), _incident(summary="\u0000")]}),
    Hostile("NUL in an asset", "POST", "/v1/assets", "grid_north", 422, "product",
            json={"asset_id": "plc-1", "kind": "plc", "vendor": "Siemens",
                  "product": "S7\u0000", "criticality": "high"}),
    Hostile("NUL in an organization name", "POST", "/v1/orgs", "admin", 422, "name",
            json={"id": "nul-org", "name": "N\u0000", "sector": "energy"}),
    Hostile("NUL in a key name", "POST", "/v1/keys", "admin", 422, "name",
            json={"role": "supervisor", "name": "n\u0000"}),
    Hostile("an empty organization for an admin key", "POST", "/v1/keys", "admin", 422, "org",
            json={"role": "admin", "org": ""}),
    Hostile("an empty organization for an operator key", "POST", "/v1/keys", "admin", 422, "org",
            json={"role": "operator", "org": ""}),
    Hostile("an empty sector list", "POST", "/v1/keys", "admin", 422, "sectors",
            json={"role": "supervisor", "sectors": []}),
    Hostile("an empty organization id", "POST", "/v1/orgs", "admin", 422, "id",
            json={"id": "", "name": "x", "sector": "energy"}),
    Hostile("text/plain", "POST", "/v1/incidents", "grid_north", 415, "Content-Type",
            content=json.dumps(_incident()).encode(), headers={"Content-Type": "text/plain"}),
    Hostile("a form", "POST", "/v1/keys", "admin", 415, "Content-Type",
            content=b"role=admin", headers={"Content-Type": "application/x-www-form-urlencoded"}),
    Hostile("no Content-Type", "POST", "/v1/orgs", "admin", 415, "Content-Type",
            content=b'{"id": "x", "name": "x", "sector": "energy"}'),
    Hostile("duplicate keys", "POST", "/v1/incidents", "grid_north", 400, "category",
            content=b'{"detected_at": "2026-11-27T08:30:00Z", "category": "ransomware", '
                    b'"category": "phishing", "functional_impact": "none"}',
            headers={"Content-Type": "application/json"}),
    Hostile("duplicate keys, nested", "POST", "/v1/incidents", "grid_north", 400, "value",
            content=json.dumps(_incident(indicators=[{"type": "domain", "value": "a.example"}]))
            .replace('"value": "a.example"', '"value": "a.example", "value": "b.example"')
            .encode(),
            headers={"Content-Type": "application/json"}),
]  # fmt: skip

# Tables a refused write must leave as they were.
TABLES = ("reports", "incidents", "indicators", "assets", "organizations", "api_keys")


async def _rows(app: FastAPI) -> dict[str, int]:
    return {table: await count_rows(app, table) for table in TABLES}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_hostile_input_is_refused_naming_the_field(
    case: Hostile, app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    before = await _rows(app)
    headers = getattr(world, case.caller) | case.headers
    response = await client.request(
        case.method, case.path, headers=headers, json=case.json, content=case.content
    )
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/json"
    assert case.names in response.text, response.json()
    assert await _rows(app) == before
