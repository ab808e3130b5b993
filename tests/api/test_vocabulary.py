"""`GET /v1/vocabulary`: the words the board builds its forms and filters from. It needs no key,
says exactly what the contract says, and the service accepts every value it lists (and refuses,
naming the field, one it does not): a board that trusts it never offers a choice that fails."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from awareness import vocabulary
from tests.conftest import World, incident

INCIDENT_FIELDS = {
    "category": vocabulary.CATEGORIES,
    "functional_impact": vocabulary.FUNCTIONAL_IMPACTS,
    "information_impact": vocabulary.INFORMATION_IMPACTS,
    "recoverability": vocabulary.RECOVERABILITIES,
    "location": vocabulary.LOCATIONS,
    "tlp": vocabulary.TLPS,
}
ASSET_FIELDS = {
    "kind": vocabulary.ASSET_KINDS,
    "criticality": vocabulary.CRITICALITIES,
    "location": vocabulary.LOCATIONS,
}


async def get_vocabulary(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/v1/vocabulary")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_vocabulary_needs_no_key_and_states_the_contract(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    words = await get_vocabulary(client)

    assert words["levels"] == ["none", "blue", "yellow", "orange", "red"]
    assert words["levels"] == list(vocabulary.LEVELS)
    assert words["warning_kinds"] == list(vocabulary.WARNING_KINDS)
    assert words["indicator_types"] == list(vocabulary.INDICATOR_TYPES)
    assert words["sectors"] == list(app.state.components.settings.sectors.sectors)
    assert {"energy", "water", "healthcare"} <= set(words["sectors"])

    assert set(words["incident"]) == set(INCIDENT_FIELDS)
    for name, values in INCIDENT_FIELDS.items():
        assert words["incident"][name]["values"] == list(values), name
    assert set(words["asset"]) == set(ASSET_FIELDS)
    for name, values in ASSET_FIELDS.items():
        assert words["asset"][name]["values"] == list(values), name

    # The contract's defaults; the two required answers have none.
    incident_defaults = {name: choice["default"] for name, choice in words["incident"].items()}
    assert incident_defaults == {
        "category": None,
        "functional_impact": None,
        "information_impact": "none",
        "recoverability": "regular",
        "location": "unknown",
        "tlp": "amber",
    }
    asset_defaults = {name: choice["default"] for name, choice in words["asset"].items()}
    assert asset_defaults == {"kind": "other", "criticality": "medium", "location": "unknown"}


async def test_defaults_are_what_a_report_without_the_field_gets(
    client: httpx.AsyncClient, world: World
) -> None:
    """The defaults the vocabulary announces are the ones the service applies."""
    words = await get_vocabulary(client)
    created = await client.post("/v1/incidents", json=incident(), headers=world.grid_north)
    assert created.status_code == 201, created.text
    stored = (
        await client.get(f"/v1/incidents/{created.json()['id']}", headers=world.grid_north)
    ).json()
    for name, choice in words["incident"].items():
        if choice["default"] is not None:
            assert stored[name] == choice["default"], name

    asset = await client.post("/v1/assets", json={"asset_id": "bare"}, headers=world.grid_north)
    assert asset.status_code == 201, asset.text
    for name, choice in words["asset"].items():
        assert asset.json()[name] == choice["default"], name


async def test_every_listed_incident_value_is_accepted(
    client: httpx.AsyncClient, world: World
) -> None:
    words = await get_vocabulary(client)
    submitted = 0
    for name, choice in words["incident"].items():
        batch = {"incidents": [incident(**{name: value}) for value in choice["values"]]}
        response = await client.post("/v1/incidents/batch", json=batch, headers=world.grid_north)
        assert response.status_code == 201, f"{name}: {response.text}"
        ids = response.json()["ids"]
        assert len(ids) == len(choice["values"])
        for incident_id, value in zip(ids, choice["values"], strict=True):
            stored = await client.get(f"/v1/incidents/{incident_id}", headers=world.grid_north)
            assert stored.json()[name] == value, name
        submitted += len(ids)
    assert submitted == sum(len(values) for values in INCIDENT_FIELDS.values())

    # One at a time too, as the board's form submits: the first and last value of each field.
    for name, choice in words["incident"].items():
        for value in (choice["values"][0], choice["values"][-1]):
            response = await client.post(
                "/v1/incidents", json=incident(**{name: value}), headers=world.grid_north
            )
            assert response.status_code == 201, f"{name}={value}: {response.text}"


async def test_every_listed_asset_value_is_accepted(
    client: httpx.AsyncClient, world: World
) -> None:
    words = await get_vocabulary(client)
    for name, choice in words["asset"].items():
        assets = [
            {"asset_id": f"{name}-{index}", name: value}
            for index, value in enumerate(choice["values"])
        ]
        response = await client.post(
            "/v1/assets/batch", json={"assets": assets}, headers=world.grid_north
        )
        assert response.status_code == 200, f"{name}: {response.text}"
        assert response.json()["created"] == len(assets)
    listed = (await client.get("/v1/assets?limit=1000", headers=world.grid_north)).json()["items"]
    for name, choice in words["asset"].items():
        kept = {a[name] for a in listed if a["asset_id"].startswith(f"{name}-")}
        assert kept == set(choice["values"]), name


async def test_a_value_not_listed_is_refused_naming_the_field(
    client: httpx.AsyncClient, world: World
) -> None:
    words = await get_vocabulary(client)
    for name, choice in words["incident"].items():
        assert "gossip" not in choice["values"]
        response = await client.post(
            "/v1/incidents", json=incident(**{name: "gossip"}), headers=world.grid_north
        )
        assert response.status_code == 422, f"{name}: {response.text}"
        assert [e["field"] for e in response.json()["errors"]] == [name]

        batch = {"incidents": [incident(), incident(**{name: "gossip"})]}
        response = await client.post("/v1/incidents/batch", json=batch, headers=world.grid_north)
        assert response.status_code == 422, f"{name}: {response.text}"
        assert [e["field"] for e in response.json()["errors"]] == [f"incidents[1].{name}"]
    for name in words["asset"]:
        response = await client.post(
            "/v1/assets", json={"asset_id": "x", name: "gossip"}, headers=world.grid_north
        )
        assert response.status_code == 422, f"{name}: {response.text}"
        assert [e["field"] for e in response.json()["errors"]] == [name]
    # Nothing refused was stored.
    listed = (await client.get("/v1/incidents", headers=world.grid_north)).json()["items"]
    assert listed == []
