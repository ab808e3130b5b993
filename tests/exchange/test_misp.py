"""The MISP feed as a MISP instance pulls it: a manifest, one event per campaign and per exposure
warning (each loaded with PyMISP), hashes.csv as MISP's generators write it; known-benign
indicators never in it; each key seeing there exactly what `GET /v1/warnings` and
`GET /v1/campaigns` show it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pymisp import MISPEvent

from awareness import warninglists
from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.exchange import misp
from awareness.scoring import ScoringConfig
from awareness.views.campaigns import CampaignIndicator, CampaignView
from awareness.views.warnings import WarningIndicator, WarningView
from tests.conftest import PLC, World, add_key, add_org, incident, settle

FEED = "/misp/feed"
DOMAIN = "update-check.energy-portal.ru"
C2 = [
    {"type": "domain", "value": DOMAIN},
    {"type": "ipv4", "value": "185.220.101.47"},
    {"type": "sha256", "value": "5f2b7c1e" * 8},
    {"type": "url", "value": "http://update-check.energy-portal.ru/payload.bin"},
    {"type": "email", "value": "billing@energy-portal.ru"},
]
EMPTY_FILE_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
BENIGN = [
    {"type": "ipv4", "value": "8.8.8.8"},
    {"type": "domain", "value": "google.com"},
    {"type": "sha256", "value": EMPTY_FILE_SHA256},
]
CVE = "CVE-2023-44373"
EXPECTED = {
    ("domain", "Network activity", DOMAIN, True),
    ("ip-dst", "Network activity", "185.220.101.47", True),
    ("sha256", "Payload delivery", "5f2b7c1e" * 8, True),
    ("url", "Network activity", "http://update-check.energy-portal.ru/payload.bin", True),
    ("email-src", "Payload delivery", "billing@energy-portal.ru", True),
}
ORG_IDS = ("grid-north", "grid-south", "grid-east", "aqua")


@pytest.fixture
async def feed_world(app: FastAPI, client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    """A campaign in energy (three organizations, the domain shared once under TLP:CLEAR, the
    rest under AMBER, known-benign indicators beside them) and an exposure: grid-north reports
    a CVE that grid-south's PLC has."""
    await add_org(app, "grid-east", "energy")
    east = await add_key(app, Role.operator, org="grid-east")
    plc = {"asset_id": "plc-7", **PLC, "cves": [CVE]}
    assert (await client.post("/v1/assets", json=plc, headers=world.grid_south)).status_code == 201

    async def report(headers: dict[str, str], **fields: Any) -> None:
        answer = await client.post("/v1/incidents", json=incident(**fields), headers=headers)
        assert answer.status_code == 201, answer.text

    await report(world.grid_north, indicators=[C2[0]], tlp="clear")
    for headers in (world.grid_north, world.grid_south, east):
        await report(headers, indicators=C2 + BENIGN)
    await report(world.grid_north, indicators=[{"type": "cve", "value": CVE}])
    await settle(app)
    return {
        "water_responder": await add_key(app, Role.responder, sectors=["water"]),
        "east": east,
    }


async def get_json(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    answer = await client.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


async def pull(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """What MISP does: the manifest, then every event in it."""
    manifest = await get_json(client, f"{FEED}/manifest.json", headers)
    return {uuid: await get_json(client, f"{FEED}/{uuid}.json", headers) for uuid in manifest}


def kind_of(event: dict[str, Any]) -> str:
    names = {tag["name"] for tag in event["Event"]["Tag"]}
    return "campaign" if 'awareness:kind="campaign"' in names else "exposure"


def loaded(event: dict[str, Any]) -> MISPEvent:
    parsed = MISPEvent()
    parsed.load(json.dumps(event))
    return parsed


async def test_a_campaign_is_an_event_misp_loads(
    client: httpx.AsyncClient, world: World, feed_world: dict[str, Any]
) -> None:
    reader = world.energy_supervisor
    manifest = await get_json(client, f"{FEED}/manifest.json", reader)
    events = await pull(client, reader)
    assert sorted(kind_of(e) for e in events.values()) == ["campaign", "exposure"]
    (uuid,) = [u for u, e in events.items() if kind_of(e) == "campaign"]
    campaign = (await get_json(client, "/v1/campaigns", reader))["items"][0]

    event = loaded(events[uuid])
    assert event.uuid == uuid
    assert event.Orgc.name == "awareness"
    assert event.threat_level_id == misp.THREAT_LEVELS[campaign["level"]]
    assert event.analysis == 1
    assert event.date.isoformat() == campaign["first_seen"][:10]
    # The manifest says what PyMISP's own manifest of the event says.
    expected = event.manifest[uuid]
    assert {k: v for k, v in manifest[uuid].items() if k != "published"} == expected
    assert manifest[uuid]["published"] is True

    attributes = {(a.type, a.category, a.value, a.to_ids) for a in event.attributes}
    assert attributes == EXPECTED
    tags = {a.value: [t.name for t in a.tags] for a in event.attributes}
    assert tags[DOMAIN] == ["tlp:clear"]
    assert all(names == ["tlp:amber"] for value, names in tags.items() if value != DOMAIN)
    assert {t.name for t in event.tags} == {
        "tlp:amber",
        'awareness:kind="campaign"',
        'awareness:sector="energy"',
    }
    # Three organizations saw it, named by their sector only.
    sighted = [a for a in event.attributes if a.sightings]
    assert [a.value for a in sighted] == [campaign["indicator"]["value"]]
    sightings = sighted[0].sightings
    assert [(s.type, s.source) for s in sightings] == [("0", "energy")] * 3
    assert all(int(s.date_sighting) > 0 for s in sightings)
    text = json.dumps(events)
    assert not [org for org in ORG_IDS if org in text]
    # Stable: the same event, attributes and sightings on every pull.
    assert await pull(client, reader) == events


async def test_known_benign_indicators_are_never_in_the_feed(
    client: httpx.AsyncClient, world: World, feed_world: dict[str, Any]
) -> None:
    for reader in (world.admin, world.all_supervisor, world.energy_responder, world.grid_south):
        text = json.dumps(await pull(client, reader))
        text += (await client.get(f"{FEED}/hashes.csv", headers=reader)).text
        for indicator in BENIGN:
            assert indicator["value"] not in text


def test_known_benign_indicators_are_left_out_of_any_view() -> None:
    """Wherever an indicator comes from (a campaign, an exposure warning), a benign one is
    dropped: it never forms a campaign, but the feed does not rely on that."""
    scoring = ScoringConfig()
    benign = misp.benign_test(warninglists.loaded(warninglists.DEFAULT_LISTS), scoring)
    org = misp.Org.of("https://awareness.example.org")
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    named = [
        CampaignIndicator(type="domain", value="google.com", tlp="green"),
        CampaignIndicator(type="ipv4", value="8.8.8.8", tlp="green"),
        CampaignIndicator(type="ipv4", value="10.1.2.3", tlp="green"),
        CampaignIndicator(type="sha256", value=EMPTY_FILE_SHA256, tlp="green"),
        CampaignIndicator(type="domain", value=DOMAIN, tlp="red"),
    ]
    campaign = CampaignView(
        id=7, indicator=named[0], indicators=named, pace="fast", organizations=4,
        sectors=["energy", "water"], level="red", max_severity=90.0, first_seen=at,
        last_seen=at, active=True,
    )  # fmt: skip
    event = misp.campaign_event(campaign, [], org=org, benign=benign)["Event"]
    assert [(a["value"], a["Tag"][0]["name"]) for a in event["Attribute"]] == [(DOMAIN, "tlp:red")]
    assert event["Tag"][0]["name"] == "tlp:red"
    assert event["threat_level_id"] == "1"
    # The opening indicator is benign: the sightings go on the first shown, one per
    # organization, each sector at least once, never an organization.
    sources = [s["source"] for s in event["Attribute"][0]["Sighting"]]
    assert sources == ["energy", "water", "energy, water", "energy, water"]

    warning = WarningView(
        id=3, seq=9, kind="exposure", sector="energy", sectors=["energy"], level="orange",
        title="Exposure", created_at=at, evidence={"matched_on": "cve", "key": CVE},
        target_orgs=None, campaign_id=None, acknowledged_at=None, acknowledged_by=None,
        indicators=[WarningIndicator(type="ipv4", value="8.8.4.4", tlp="green")], tlp="amber",
        state="resolved", resolved_at=at,
    )  # fmt: skip
    exposure = misp.exposure_event(warning, org=org, benign=benign)["Event"]
    assert exposure["Attribute"] == []
    assert (exposure["analysis"], exposure["threat_level_id"]) == ("2", "2")
    cve = misp.exposure_event(warning.model_copy(update={"indicators": None}), org=org,
                              benign=benign)["Event"]  # fmt: skip
    assert [(a["type"], a["category"], a["to_ids"]) for a in cve["Attribute"]] == [
        ("vulnerability", "External analysis", False)
    ]


async def test_hashes_are_the_md5_of_every_value_with_its_event(
    client: httpx.AsyncClient, world: World, feed_world: dict[str, Any]
) -> None:
    events = await pull(client, world.admin)
    answer = await client.get(f"{FEED}/hashes.csv", headers=world.admin)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    expected = sorted(
        f"{hashlib.md5(a['value'].encode()).hexdigest()},{uuid}"
        for uuid, event in events.items()
        for a in event["Event"]["Attribute"]
    )
    assert sorted(answer.text.splitlines()) == expected
    assert len(expected) == len(EXPECTED) + 1  # the campaign's, and the exposure's CVE
    # PyMISP's generator computes the same lines from the events themselves.
    generated = sorted(
        f"{h},{uuid}" for uuid, e in events.items() for h in loaded(e).attributes_hashes("md5")
    )
    assert generated == expected


async def test_resolving_a_campaign_completes_its_analysis(
    client: httpx.AsyncClient, world: World, feed_world: dict[str, Any], clock: ManualClock
) -> None:
    reader = world.energy_responder
    before = await get_json(client, f"{FEED}/manifest.json", reader)
    warnings = await get_json(client, "/v1/warnings?kind=campaign", reader)
    assert warnings["items"]
    for warning in warnings["items"]:
        resolved = await client.post(
            f"/v1/warnings/{warning['id']}/resolve", json={"note": "blocked"}, headers=reader
        )
        assert resolved.status_code == 200, resolved.text
    after = await get_json(client, f"{FEED}/manifest.json", reader)
    (uuid,) = [u for u, entry in after.items() if entry["analysis"] == 2]
    assert before[uuid]["analysis"] == 1
    assert after[uuid]["timestamp"] >= before[uuid]["timestamp"]
    assert (await get_json(client, f"{FEED}/{uuid}.json", reader))["Event"]["analysis"] == "2"


async def test_each_key_sees_what_its_warnings_and_campaigns_show(
    client: httpx.AsyncClient, world: World, feed_world: dict[str, Any]
) -> None:
    readers = {
        "admin": world.admin,
        "energy supervisor": world.energy_supervisor,
        "energy responder": world.energy_responder,
        "water responder": feed_world["water_responder"],
        "grid-north": world.grid_north,
        "grid-south": world.grid_south,
        "aqua": world.aqua,
    }
    kinds = {}
    everything = await pull(client, world.admin)
    for name, headers in readers.items():
        events = await pull(client, headers)
        kinds[name] = sorted(kind_of(e) for e in events.values())
        # Every value comes from what the key reads in the list endpoints.
        shown = json.dumps(await get_json(client, "/v1/warnings?limit=1000", headers))
        if (await client.get("/v1/campaigns", headers=headers)).status_code == 200:
            shown += json.dumps(await get_json(client, "/v1/campaigns?limit=1000", headers))
        for event in events.values():
            for attribute in event["Event"]["Attribute"]:
                assert json.dumps(attribute["value"]) in shown, (name, attribute["value"])
        # Another key's events are absent, as an event that never existed is.
        for uuid in set(everything) - set(events):
            assert (await client.get(f"{FEED}/{uuid}.json", headers=headers)).status_code == 404
    assert kinds == {
        "admin": ["campaign", "exposure"],
        "energy supervisor": ["campaign", "exposure"],
        "energy responder": ["campaign", "exposure"],
        "water responder": [],
        "grid-north": [],  # it reported the CVE; the warning is for those running it
        "grid-south": ["exposure"],
        "aqua": [],
    }
    exposure = loaded(next(iter((await pull(client, world.grid_south)).values())))
    assert [(a.type, a.category, a.value, a.to_ids) for a in exposure.attributes] == [
        ("vulnerability", "External analysis", CVE, False)
    ]
    assert "tlp:amber" in {t.name for t in exposure.tags}


async def test_the_feed_needs_a_key_and_answers_404_for_unknown_events(
    client: httpx.AsyncClient, world: World, feed_world: dict[str, Any]
) -> None:
    uuid = next(iter(await get_json(client, f"{FEED}/manifest.json", world.admin)))
    for path in ("manifest.json", "hashes.csv", f"{uuid}.json"):
        assert (await client.get(f"{FEED}/{path}")).status_code == 401
    # MISP sends the key as a bearer token or as the password of Basic.
    basic = httpx.BasicAuth("misp", world.admin["Authorization"].removeprefix("Bearer "))
    assert (await client.get(f"{FEED}/manifest.json", auth=basic)).status_code == 200
    for missing in ("00000000-0000-0000-0000-000000000000", "999999", "hashes"):
        answer = await client.get(f"{FEED}/{missing}.json", headers=world.admin)
        assert answer.status_code == 404


async def test_paging_through_the_read_models_builds_the_same_feed(
    app: FastAPI, client: httpx.AsyncClient, world: World, feed_world: dict[str, Any]
) -> None:
    """The feed reads the views a page at a time; the page size changes nothing."""
    manifest = await get_json(client, f"{FEED}/manifest.json", world.admin)
    me = await get_json(client, "/v1/me", world.admin)
    components = app.state.components
    principal = await components.keys.resolve(world.admin["Authorization"].split()[1])
    assert principal is not None
    assert principal.key_id == me["key_id"]
    org = misp.Org.of(components.settings.delivery.public_url)
    benign = misp.benign_test(
        warninglists.loaded(components.settings.ingest.known_benign_lists),
        components.settings.scoring,
    )
    async with components.database.read() as conn:
        paged = await misp.read_events(conn, principal=principal, org=org, benign=benign, page=1)
    assert {uuid: misp.manifest_entry(event) for uuid, event in paged.items()} == manifest
    assert len(paged) == 2
