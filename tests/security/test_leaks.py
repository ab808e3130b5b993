"""Nothing crosses an organization's or a sector's boundary. One world (`matrix.py`: two sectors,
seven organizations with their own assets and indicators, a campaign in energy alone, a campaign
spanning both sectors, a severe incident whose product other operators in both sectors run, and
an operator registering that product later); then every text each reader receives (every GET
route, the acknowledgements it may send, its live feed, a replay from the start, a filtered
replay) is searched for the organization ids, asset ids and indicator values it must not learn.

What a reader may learn is derived from that world and the rules in `matrix.Reader.allowed`,
never from the API's answers. One campaign is reported under TLP:RED: its indicator reaches its
reporters and energy's supervisors, and nobody else, in any answer, frame or export (CAP, Atom,
TAXII, MISP)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from awareness.api.app import create_app
from awareness.auth.principal import Role
from awareness.clock import ManualClock
from awareness.db.tables import advisories, vulnerability_hits
from awareness.exchange.ids import collection_id
from tests.conftest import (
    PLC,
    SEVERE,
    START,
    add_key,
    add_org,
    empty_database,
    make_settings,
    settle,
)
from tests.feed.conftest import open_feed, served
from tests.security.matrix import (
    ASSETS,
    BOTH,
    BY_NAME,
    CAMPAIGN_REPORTERS,
    ENERGY_ONLY,
    ENERGY_ORGS,
    EVERYTHING,
    EXPOSED,
    EXPOSURE_SOURCE,
    LATE_HOLDER,
    ORGS,
    PLC_HOLDERS,
    READERS,
    RED,
    REPORTED,
    SECTOR,
    TLP,
    WATER_ORGS,
    Reader,
    plc_asset,
    private_asset,
    private_indicator,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUIET = {"category": "phishing", "functional_impact": "none", "location": "business_dmz"}
GETS = {
    "me": ["/v1/me"],
    "sectors": ["/v1/sectors"],
    "sector-energy": ["/v1/sectors/energy"],
    "sector-water": ["/v1/sectors/water"],
    "warnings": ["/v1/warnings?limit=1000"],
    "warnings-filtered": ["/v1/warnings?limit=1000&order=desc&sector=energy&sector=water"],
    "campaigns": ["/v1/campaigns?limit=1000"],
    "campaigns-filtered": ["/v1/campaigns?limit=1000&sector=energy&sector=water"],
    "incidents": ["/v1/incidents?limit=1000"],
    "assets": ["/v1/assets?limit=1000"],
    "orgs": ["/v1/orgs"],
    "public": ["/v1/vocabulary", "/healthz", "/readyz", "/metrics"],
    "atom": ["/v1/warnings.atom"],
    "taxii": [
        f"/taxii2/api/collections/{collection_id(name)}/objects/?limit=1000"
        for name in ("warnings", "campaigns", "sightings", "incidents", "exposure")
    ],
    "misp": ["/misp/feed/manifest.json", "/misp/feed/hashes.csv"],
}
FEED_FILTERED = "after=0&sector=energy&sector=water&kind=exposure&kind=campaign&kind=sector_level"
SOURCES = (*GETS, "incident-each", "cap-each", "misp-each", "ack-each", "feed-live",
           "feed-replay", "feed-filtered", "coverage", "vulnerabilities")  # fmt: skip


def leaks(reader: Reader, text: str) -> list[str]:
    """The values in `text` that `reader` must not learn."""
    return sorted(value for value in reader.forbidden() if value in text)


@dataclass
class Seen:
    """Every text each reader received, by (reader, source)."""

    texts: dict[tuple[str, str], str]
    database: str


async def _drain(socket: ClientConnection, into: list[str]) -> None:
    """Every frame until the socket closes, and how it closed."""
    with contextlib.suppress(ConnectionClosed):
        async for message in socket:
            into.append(str(message))
    if socket.close_code is not None:
        into.append(f"closed {socket.close_code} {socket.close_reason}")


async def _feeds(base: str, keys: dict[str, dict[str, str]], query: str) -> dict[str, Any]:
    """A feed per reader (the anonymous one is refused), each drained into a list by a task."""
    opened: dict[str, Any] = {}
    for name, headers in keys.items():
        _, socket = await open_feed(base, headers, query=query)
        frames: list[str] = []
        opened[name] = (socket, frames, asyncio.create_task(_drain(socket, frames)))
    return opened


async def _close(opened: dict[str, Any], seconds: float) -> dict[str, str]:
    """After `seconds` more of listening, each reader's frames as one text."""
    await asyncio.sleep(seconds)
    for socket, _, _ in opened.values():
        await socket.close()
    await asyncio.gather(*(task for _, _, task in opened.values()))
    return {name: "\n".join(frames) for name, (_, frames, _) in opened.items()}


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgresql"])
async def seen(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Seen]:
    url = await empty_database(request, tmp_path_factory.mktemp("leaks"))
    clock = ManualClock(START)
    app = create_app(make_settings(url), clock=clock)
    async with LifespanManager(app), served(app) as base:
        yield Seen(await _scenario(app, base, clock), request.param)


async def _scenario(app: FastAPI, base: str, clock: ManualClock) -> dict[tuple[str, str], str]:
    """Builds the world with every reader's feed open, then gathers what each reader gets."""
    keys: dict[str, dict[str, str]] = {}
    for org in ORGS:
        await add_org(app, org, SECTOR[org])
    for reader in READERS:
        if reader.role is None:
            keys[reader.name] = {}
        else:
            sectors = list(reader.sectors) if reader.sectors is not None else None
            keys[reader.name] = await add_key(app, reader.role, org=reader.org, sectors=sectors)
    operators = {r.org: keys[r.name] for r in READERS if r.org is not None}
    for org in ORGS:
        if org not in operators:
            operators[org] = await add_key(app, Role.operator, org=org)
    live = await _feeds(base, keys, query="")
    texts: dict[tuple[str, str], str] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:

        async def report(org: str, fields: dict[str, Any], **extra: Any) -> None:
            body = {"detected_at": clock.now().isoformat(), **fields, **extra}
            response = await http.post("/v1/incidents", json=body, headers=operators[org])
            assert response.status_code == 201, response.text
            await settle(app)

        for org in ORGS:
            inventory = [{"asset_id": private_asset(org), "kind": "historian"}]
            if org in PLC_HOLDERS and org != LATE_HOLDER:
                inventory.append({"asset_id": plc_asset(org), **PLC})
            posted = await http.post(
                "/v1/assets/batch", json={"assets": inventory}, headers=operators[org]
            )
            assert posted.status_code == 200, posted.text
        for org in ORGS:
            indicators = [{"type": "domain", "value": private_indicator(org)}]
            await report(org, QUIET, indicators=indicators, affected_assets=[private_asset(org)])
        for indicator, reporters in CAMPAIGN_REPORTERS.items():
            for org in reporters:
                await report(
                    org, QUIET, indicators=[{"type": "domain", "value": indicator}],
                    tlp=TLP.get(indicator, "amber"),
                )  # fmt: skip
        await report(EXPOSURE_SOURCE, SEVERE, affected_assets=[plc_asset(EXPOSURE_SOURCE)])
        late = {"asset_id": plc_asset(LATE_HOLDER), **PLC}
        posted = await http.post("/v1/assets", json=late, headers=operators[LATE_HOLDER])
        assert posted.status_code == 201, posted.text
        await settle(app)
        listed = await http.get("/v1/warnings?limit=1000", headers=keys["sup-all"])
        last = max(w["id"] for w in listed.json()["items"])
        # Every reader acknowledges every warning id (scoped ones first: the first to
        # acknowledge is the one whose answer is not a replay).
        for reader in sorted(READERS, key=lambda r: r.sectors is None):
            answers = [
                (await http.post(f"/v1/warnings/{i}/ack", headers=keys[reader.name])).text
                for i in range(1, last + 2)
            ]
            texts[(reader.name, "ack-each")] = "\n".join(answers)
        await settle(app)
        for name, text in (await _close(live, 0.5)).items():
            texts[(name, "feed-live")] = text
        replay = await _feeds(base, keys, query="after=0")
        filtered = await _feeds(base, keys, query=FEED_FILTERED)
        incidents = (await http.get("/v1/incidents?limit=1000", headers=keys["sup-all"])).json()
        for reader in READERS:
            headers = keys[reader.name]
            for source, urls in GETS.items():
                answers = [(await http.get(url, headers=headers)).text for url in urls]
                texts[(reader.name, source)] = "\n".join(answers)
            answers = [
                (await http.get(f"/v1/incidents/{item['id']}", headers=headers)).text
                for item in incidents["items"]
            ]
            texts[(reader.name, "incident-each")] = "\n".join(answers)
            answers = [
                (await http.get(f"/v1/warnings/{i}.cap", headers=headers)).text
                for i in range(1, last + 1)
            ]
            texts[(reader.name, "cap-each")] = "\n".join(answers)
            manifest = await http.get("/misp/feed/manifest.json", headers=headers)
            events = manifest.json() if manifest.status_code == 200 else {}
            answers = [manifest.text] + [
                (await http.get(f"/misp/feed/{uuid}.json", headers=headers)).text for uuid in events
            ]
            texts[(reader.name, "misp-each")] = "\n".join(answers)
        for name, text in (await _close(replay, 0.3)).items():
            texts[(name, "feed-replay")] = text
        for name, text in (await _close(filtered, 0)).items():
            texts[(name, "feed-filtered")] = text
        # Last, when nothing else is read any more: 91 days on, every operator is silent, so
        # each sector's coverage names all of its organizations.
        clock.advance(timedelta(days=91))
        for reader in READERS:
            answers = [
                (await http.get(f"/v1/sectors/{sector}/coverage", headers=keys[reader.name])).text
                for sector in ("energy", "water")
            ]
            texts[(reader.name, "coverage")] = "\n".join(answers)
        # Every operator exposed to one advisory: each sector's exposure names all of its own.
        await _expose_everyone(app, clock)
        for reader in READERS:
            answers = [
                (await http.get(f"/v1/sectors/{s}/vulnerabilities", headers=keys[reader.name])).text
                for s in ("energy", "water")
            ]
            texts[(reader.name, "vulnerabilities")] = "\n".join(answers)
    return texts


async def _expose_everyone(app: FastAPI, clock: ManualClock) -> None:
    """The matcher's record of one advisory affecting an asset of every organization (asset ids
    of their own, so no inventory change of the world ever revisits them)."""
    now = clock.now()
    advisory = {
        "id": "ICSA-LEAK-01", "source": "csaf", "title": "leak advisory", "published": now,
        "updated": now, "criticality": "high", "cves": ["CVE-2026-9999"], "digest": "d",
        "aliases_digest": "a", "imported_at": now,
    }  # fmt: skip
    hits = [
        {"org_id": org, "asset_id": f"vulnerable-{org.replace('-org-', '-')}",
         "cve": "CVE-2026-9999", "source": "csaf", "advisory_id": "ICSA-LEAK-01",
         "sector": SECTOR[org], "topic": "ICSA-LEAK-01", "digest": "d", "reason": "test",
         "warning_id": 0, "found_at": now}
        for org in ORGS
    ]  # fmt: skip
    async with app.state.components.database.write() as conn:
        await conn.execute(advisories.insert().values(advisory))
        await conn.execute(vulnerability_hits.insert(), hits)


def _cases() -> list[Any]:
    return [
        pytest.param(reader.name, source, id=f"{reader.name}-{source}")
        for reader in READERS
        for source in SOURCES
    ]


@pytest.mark.parametrize(("reader", "source"), _cases())
async def test_nothing_outside_scope(seen: Seen, reader: str, source: str) -> None:
    """Nothing out of scope, anywhere."""
    text = seen.texts[(reader, source)]
    assert text, "received nothing at all: the search would be vacuous"
    assert sorted(leaks(BY_NAME[reader], text)) == []


# What each reader must find, so every search above runs over real answers, not refusals.
MUST_SEE: dict[tuple[str, str], set[str]] = {
    ("op-a1", "incidents"): {private_indicator("energy-org-a1"), ENERGY_ONLY, RED},
    ("op-a1", "assets"): ASSETS["energy-org-a1"],
    ("op-a1", "incident-each"): {private_asset("energy-org-a1")},
    ("op-a4", "incidents"): {BOTH},
    ("op-b1", "warnings"): {plc_asset("water-org-b1"), "water-org-b1"},
    ("op-b1", "feed-live"): {plc_asset("water-org-b1")},
    ("op-b1", "feed-replay"): {plc_asset("water-org-b1")},
    ("op-b3", "incidents"): {private_indicator("water-org-b3")},
    ("sup-energy", "incidents"): {"energy-org-a4", private_indicator("energy-org-a2")},
    ("sup-energy", "assets"): {plc_asset("energy-org-a2")},
    ("sup-energy", "campaigns"): {ENERGY_ONLY, BOTH, RED},
    ("sup-energy", "feed-replay"): {RED},
    ("sup-energy", "cap-each"): {RED},
    ("sup-energy", "taxii"): {RED, ENERGY_ONLY, BOTH},
    ("sup-energy", "misp-each"): {RED, ENERGY_ONLY},
    ("resp-energy", "taxii"): {ENERGY_ONLY},
    ("resp-energy", "misp-each"): {ENERGY_ONLY},
    ("resp-energy", "atom"): {"withheld under TLP:RED"},
    ("sup-energy", "warnings"): {plc_asset("energy-org-a2")},
    ("sup-energy", "feed-live"): {plc_asset("energy-org-a2"), ENERGY_ONLY},
    ("sup-water", "campaigns"): {BOTH},
    ("sup-water", "warnings"): {plc_asset("water-org-b1"), BOTH},
    ("sup-water", "incident-each"): {private_indicator("water-org-b3")},
    ("sup-water", "feed-replay"): {plc_asset("water-org-b1"), BOTH},
    ("sup-all", "warnings"): {plc_asset(org) for org in EXPOSED},
    ("sup-water", "feed-filtered"): {plc_asset(LATE_HOLDER), BOTH},
    ("sup-energy", "coverage"): set(ENERGY_ORGS),
    ("sup-water", "coverage"): set(WATER_ORGS),
    ("admin", "coverage"): set(ORGS),
    ("sup-energy", "vulnerabilities"): set(ENERGY_ORGS),
    ("sup-water", "vulnerabilities"): set(WATER_ORGS),
    ("admin", "vulnerabilities"): set(ORGS),
    ("op-b2", "warnings"): {plc_asset(LATE_HOLDER)},
    ("resp-energy", "campaigns"): {ENERGY_ONLY, BOTH},
    ("resp-water", "warnings"): {BOTH, plc_asset("water-org-b1")},
    ("resp-water", "feed-live"): {BOTH, plc_asset("water-org-b1")},
    ("resp-all", "campaigns"): {ENERGY_ONLY, BOTH},
    ("admin", "orgs"): set(ORGS),
    ("sup-all", "incidents"): set().union(*REPORTED.values()),
}


@pytest.mark.parametrize(("reader", "source"), sorted(MUST_SEE))
async def test_sees_its_own(seen: Seen, reader: str, source: str) -> None:
    """The searches are not vacuous: the answers hold what the reader may see."""
    text = seen.texts[(reader, source)]
    assert sorted(v for v in MUST_SEE[(reader, source)] if v not in text) == []


def _events(seen: Seen, reader: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of every warning listed and every event frame received."""
    found = [("warning", w) for w in json.loads(seen.texts[(reader, "warnings")])["items"]]
    for source in ("feed-live", "feed-replay"):
        for line in seen.texts[(reader, source)].splitlines():
            if line.startswith("{"):
                frame = json.loads(line)
                found += [(frame["type"], frame["data"])] if "data" in frame else []
    return found


@pytest.mark.parametrize("reader", [r.name for r in READERS if r.role not in (None, Role.admin)])
async def test_every_event_is_in_scope(seen: Seen, reader: str) -> None:
    """Beyond ids: the events themselves. Operators get the warnings addressed to them and their
    own sector's level changes; scoped readers what concerns one of their sectors."""
    who = BY_NAME[reader]
    wrong = []
    for kind, data in _events(seen, reader):
        if who.role is Role.operator and kind == "warning":
            own = data["kind"] == "sector_level" and data["sector"] == SECTOR[str(who.org)]
            fits = own or data["target_orgs"] == [who.org]
        elif who.role is Role.operator and kind == "sector_level":
            fits = data["sector"] == SECTOR[str(who.org)]
        elif who.sectors is not None and kind == "warning":
            fits = bool(set(data["sectors"]) & set(who.sectors))
        elif who.sectors is not None and kind == "sector_level":
            fits = data["sector"] in who.sectors
        else:
            fits = True
        wrong += [] if fits else [(kind, data.get("title") or data.get("sector"))]
    assert wrong == []
    assert len(_events(seen, reader)) >= 3, "the check ran over real events"


@pytest.mark.parametrize("reader", ["op-b1", "sup-energy", "sup-water", "resp-water"])
async def test_exposure_counts_whom_it_hides(seen: Seen, reader: str) -> None:
    """The exposure of the severe incident reaches the other PLC holders of the time; a reader
    learns the targets it may know by name, and how many others per sector, nothing more."""
    targets = {org for org in PLC_HOLDERS if org not in (EXPOSURE_SOURCE, LATE_HOLDER)}
    known = targets & BY_NAME[reader].allowed()
    hidden: dict[str, int] = {}
    for org in sorted(targets - known):
        hidden[SECTOR[org]] = hidden.get(SECTOR[org], 0) + 1
    (warning,) = [
        w
        for w in json.loads(seen.texts[(reader, "warnings")])["items"]
        if w["kind"] == "exposure" and w["evidence"]["trigger"] == "incident"
    ]
    assert set(warning["target_orgs"]) == known
    assert warning["evidence"].get("other_targets", {}) == hidden


async def test_the_search_catches_a_leak(seen: Seen) -> None:
    """Every reader but the admin and the unscoped supervisor has something to hide from it,
    and that supervisor's answers hold all of it: handed those, the check reports each."""
    everything = "\n".join(seen.texts[("sup-all", s)] for s in ("incidents", "assets"))
    assert all(value in everything for value in EVERYTHING)
    hiding = [reader for reader in READERS if reader.forbidden()]
    assert {r.name for r in READERS} - {r.name for r in hiding} == {"sup-all"}
    assert BY_NAME["admin"].forbidden() == {RED}
    for reader in hiding:
        assert leaks(reader, everything) == sorted(reader.forbidden())
    # The derived scopes say what the module doc says.
    water = BY_NAME["sup-water"]
    assert {ENERGY_ONLY, "energy-org-a1", plc_asset("energy-org-a2")} <= water.forbidden()
    assert {BOTH, "water-org-b3", private_indicator("water-org-b2")} <= water.allowed()
    assert BY_NAME["resp-water"].allowed() == {
        BOTH,
        "water-org-b1",
        "water-org-b2",
        plc_asset("water-org-b1"),
        plc_asset("water-org-b2"),
    }
    assert RED in BY_NAME["sup-energy"].allowed() - BY_NAME["resp-energy"].allowed()
    assert RED in BY_NAME["op-a1"].allowed() - BY_NAME["op-a4"].allowed()
    assert BY_NAME["op-a4"].allowed() == {
        "energy-org-a4",
        BOTH,
        *REPORTED["energy-org-a4"],
        private_asset("energy-org-a4"),
    }


@pytest.mark.parametrize("reader", ["resp-energy", "resp-all", "admin"])
async def test_a_red_campaign_says_what_it_withholds(seen: Seen, reader: str) -> None:
    """Those the TLP:RED reports do not reach still hear of the campaign, counted in full,
    and read why its indicator is not shown."""
    warnings = json.loads(seen.texts[(reader, "warnings")])["items"]
    withheld = [w for w in warnings if w["kind"] == "campaign" and w["withheld"]]
    assert withheld, "the red campaign's warning reached the reader"
    for warning in withheld:
        assert warning["withheld"] == [
            {
                "type": "domain",
                "tlp": "red",
                "organizations": 3,
                "reason": "an indicator withheld under TLP:RED, reported by 3 organizations",
            }
        ]
        assert warning["indicators"] == []
        assert "withheld under TLP:RED" in warning["title"]
        assert warning["evidence"]["organizations"] == 3
    campaigns = json.loads(seen.texts[(reader, "campaigns")])["items"]
    (red,) = [c for c in campaigns if c["withheld"]]
    assert red["indicator"] is None
    assert red["indicators"] == []
    assert red["organizations"] == 3


async def test_the_reporters_supervisors_read_it_marked_red(seen: Seen) -> None:
    warnings = json.loads(seen.texts[("sup-energy", "warnings")])["items"]
    warning = next(
        w for w in warnings if w["kind"] == "campaign" and RED in json.dumps(w["indicators"])
    )
    assert warning["indicators"] == [{"type": "domain", "value": RED, "tlp": "red"}]
    assert warning["tlp"] == TLP[RED]
    assert warning["withheld"] == []
