"""The operators' writable TAXII 2.1 collections: a bundle posted with the reference client
(taxii2-client) becomes incident reports, read back by `GET /v1/incidents` and scored; a repost
stores nothing; each object is a success or a failure with its reason; only the owner writes
and reads its statuses; every answer and refusal is in the TAXII media type."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from taxii2client.v21 import Collection

from awareness.clock import ManualClock
from awareness.exchange.ids import collection_id, inbox_id
from tests.conftest import World, count_rows, settle
from tests.feed.conftest import served

TAXII = "application/taxii+json;version=2.1"
CREATED = "2026-03-02T08:00:00.000Z"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
RED_1_0 = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
TABLES = ("reports", "incidents", "indicators", "stix_objects")


def sdo(kind: str, modified: str = CREATED, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind, "spec_version": "2.1", "id": f"{kind}--{uuid.uuid4()}",
        "created": CREATED, "modified": modified, **fields,
    }  # fmt: skip


def link(source: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    return sdo(
        "relationship", relationship_type="related-to", source_ref=source["id"],
        target_ref=target["id"],
    )  # fmt: skip


def severe_incident(**fields: Any) -> dict[str, Any]:
    """An incident severe enough to raise its sector to orange on its own."""
    core = {
        "extension_type": "property-extension", "incident_types": ["ransomware"],
        "recoverability": "not-recoverable", "functional_impact": "denial_critical",
        "information_impact": "destruction_critical", "location": "safety_systems",
    }  # fmt: skip
    given = {
        "name": "Ransomware on the SCADA servers", "first_seen": "2026-03-02T08:55:00Z",
        "object_marking_refs": [GREEN], "extensions": {CORE: core},
    }  # fmt: skip
    return sdo("incident", **(given | fields))


def key_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def objects_url(org: str) -> str:
    return f"/taxii2/api/collections/{inbox_id(org)}/objects/"


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], objects: list[Any], org: str = "grid-north"
) -> httpx.Response:
    return await client.post(
        objects_url(org), json={"objects": objects}, headers=headers | {"Content-Type": TAXII}
    )


async def counts(app: FastAPI) -> list[int]:
    return [await count_rows(app, table) for table in TABLES]


def messages(status: dict[str, Any], outcome: str) -> dict[str, str]:
    return {item["id"]: item["message"] for item in status[outcome]}


async def test_a_bundle_posted_with_taxii2_client_becomes_a_scored_incident(
    app: FastAPI, client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    incident = severe_incident()
    indicator = sdo(
        "indicator", pattern="[ipv4-addr:value = '203.0.113.7'] OR "
        "[file:hashes.'SHA-256' = '" + "AB" * 32 + "']", pattern_type="stix",
        valid_from=CREATED,
    )  # fmt: skip
    address = {"type": "ipv4-addr", "id": f"ipv4-addr--{uuid.uuid4()}", "value": "198.51.100.9"}
    observed = sdo(
        "observed-data", first_observed=CREATED, last_observed=CREATED, number_observed=1,
        object_refs=[address["id"]],
    )  # fmt: skip
    cve = sdo(
        "vulnerability", name="S7 flaw",
        external_references=[{"source_name": "cve", "external_id": "CVE-2023-44373"}],
    )  # fmt: skip
    bundle = {
        "type": "bundle", "id": f"bundle--{uuid.uuid4()}",
        "objects": [
            incident, indicator, address, observed, cve,
            link(indicator, incident), link(observed, incident), link(incident, cve),
        ],
    }  # fmt: skip

    async with served(app) as base:
        url = f"http://{base}/taxii2/api/collections/{inbox_id('grid-north')}/"
        collection = Collection(url, user="grid-north", password=key_of(world.grid_north))
        status = await asyncio.to_thread(collection.add_objects, bundle)
        assert (status.status, status.total_count) == ("complete", 8)
        assert (status.success_count, status.failure_count, status.pending_count) == (8, 0, 0)
        stored = messages(status._raw, "successes")[incident["id"]]
        assert stored.startswith("stored as incident ")
        incident_id = int(stored.removeprefix("stored as incident "))

        # The report is the one POST /v1/incidents would have stored, visible to its readers.
        listed = (await client.get("/v1/incidents", headers=world.grid_north)).json()["items"]
        assert [item["id"] for item in listed] == [incident_id]
        report = listed[0]
        assert (report["category"], report["functional_impact"], report["location"]) == (
            "ransomware", "denial_critical", "safety_systems",
        )  # fmt: skip
        assert (report["recoverability"], report["tlp"]) == ("not_recoverable", "green")
        assert report["detected_at"] == "2026-03-02T08:55:00Z"
        assert report["reference"] == incident["id"]
        assert {(i["type"], i["value"]) for i in report["indicators"]} == {
            ("ipv4", "203.0.113.7"), ("sha256", "ab" * 32), ("ipv4", "198.51.100.9"),
            ("cve", "CVE-2023-44373"),
        }  # fmt: skip

        # Scored like any report: on its own it raises energy to orange.
        await settle(app)
        energy = (await client.get("/v1/sectors/energy", headers=world.grid_north)).json()
        assert energy["level"] == "orange"

        # Reposting stores nothing, and says where each object already is.
        before = await counts(app)
        again = await asyncio.to_thread(collection.add_objects, bundle)
        assert await counts(app) == before
        assert (again.success_count, again.failure_count) == (8, 0)
        assert set(messages(again._raw, "successes").values()) == {
            f"already stored as incident {incident_id}"
        }

        # The status is the reference client's to read again, at its own URL.
        await asyncio.to_thread(again.refresh)
        assert again.id != status.id
        assert again.success_count == 8


async def test_each_object_fails_with_its_reason_and_the_others_go_in(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    good = sdo(
        "indicator", pattern="[domain-name:value = 'Evil.Example.net']", pattern_type="stix",
        object_marking_refs=[RED_1_0],
    )  # fmt: skip
    both = sdo(
        "indicator", pattern="[ipv4-addr:value = '192.0.2.1' AND domain-name:value = 'a.net']"
    )
    garbled = sdo("indicator", pattern="[ipv4-addr:value = ", pattern_type="stix")
    bad_value = sdo("indicator", pattern="[ipv4-addr:value = '999.1.1.1']", pattern_type="stix")
    malware = sdo("malware", name="Industroyer", is_family=True)
    impact = severe_incident(x_awareness_functional_impact="catastrophic")
    impact["extensions"][CORE].pop("functional_impact")
    future = severe_incident(first_seen="2026-03-03T09:00:00Z")
    no_cve = sdo("vulnerability", name="a flaw with no name")
    objects = [good, both, garbled, bad_value, malware, impact, future, no_cve, "not an object"]
    answer = await post(client, world.grid_north, objects)

    assert answer.status_code == 202, answer.text
    assert answer.headers["content-type"] == TAXII
    status = answer.json()
    assert (status["total_count"], status["success_count"], status["failure_count"]) == (9, 1, 8)
    assert (status["pending_count"], status["pendings"]) == (0, [])
    failed = messages(status, "failures")
    assert "AND between comparisons" in failed[both["id"]]
    assert "not a valid STIX 2.1 pattern" in failed[garbled["id"]]
    assert "ipv4 '999.1.1.1'" in failed[bad_value["id"]]
    assert "type 'malware' is not mapped" in failed[malware["id"]]
    assert "functional_impact" in failed[impact["id"]]
    assert "detected_at" in failed[future["id"]]
    assert "no CVE" in failed[no_cve["id"]]
    assert failed[""] == "not a STIX object (a JSON object)"

    # The one good object went in, alone, as a report of its own.
    stored = messages(status, "successes")[good["id"]]
    listed = (await client.get("/v1/incidents", headers=world.grid_north)).json()["items"]
    assert [f"stored as incident {item['id']}" for item in listed] == [stored]
    report = listed[0]
    assert (report["category"], report["functional_impact"], report["tlp"]) == (
        "other", "none", "red",
    )  # fmt: skip
    assert report["indicators"] == [
        {"type": "domain", "value": "evil.example.net", "known_benign": None}
    ]
    assert report["detected_at"] == "2026-03-02T08:00:00Z"


async def test_a_sighting_makes_one_report_with_what_it_links(
    client: httpx.AsyncClient, world: World
) -> None:
    indicator = sdo("indicator", pattern="[url:value = 'http://evil.example.net/x']")
    mail = {"type": "email-addr", "id": f"email-addr--{uuid.uuid4()}", "value": "a@evil.net"}
    observed = sdo(
        "observed-data", first_observed="2026-03-02T07:00:00Z", last_observed=CREATED,
        number_observed=2, object_refs=[mail["id"]],
    )  # fmt: skip
    sighting = sdo(
        "sighting", sighting_of_ref=indicator["id"], observed_data_refs=[observed["id"]],
        first_seen="2026-03-02T06:30:00Z",
    )  # fmt: skip
    answer = await post(client, world.aqua, [indicator, mail, observed, sighting], org="aqua")
    assert answer.json()["success_count"] == 4, answer.text
    listed = (await client.get("/v1/incidents", headers=world.aqua)).json()["items"]
    assert len(listed) == 1
    assert {(i["type"], i["value"]) for i in listed[0]["indicators"]} == {
        ("url", "http://evil.example.net/x"), ("email", "a@evil.net"),
    }  # fmt: skip
    assert (listed[0]["detected_at"], listed[0]["tlp"]) == ("2026-03-02T06:30:00Z", "amber")


async def test_a_misp_event_pushed_as_a_report_makes_one_incident_report(
    client: httpx.AsyncClient, world: World
) -> None:
    """MISP's TAXII push (misp-stix) wraps an event's objects in a STIX `report`: they report
    together, not one incident report per indicator."""
    c2 = sdo("indicator", pattern="[domain-name:value = 'c2.evil.net']", pattern_type="stix",
             valid_from=CREATED)  # fmt: skip
    dropper = sdo("indicator", pattern=f"[file:hashes.MD5 = '{'b' * 32}']", pattern_type="stix",
                  valid_from=CREATED)  # fmt: skip
    event = sdo("report", name="MISP event 42", published=CREATED,
                object_refs=[c2["id"], dropper["id"]], object_marking_refs=[GREEN])  # fmt: skip
    answer = await post(client, world.aqua, [event, c2, dropper], org="aqua")
    assert answer.json()["success_count"] == 3, answer.text
    (listed,) = (await client.get("/v1/incidents", headers=world.aqua)).json()["items"]
    assert {(i["type"], i["value"]) for i in listed["indicators"]} == {
        ("domain", "c2.evil.net"), ("md5", "b" * 32),
    }  # fmt: skip
    assert listed["tlp"] == "green", "the event's marking marks what it holds"


async def test_a_new_version_of_an_incident_is_a_new_report_superseding_the_first(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    first = severe_incident()
    answer = await post(client, world.grid_north, [first])
    first_id = int(messages(answer.json(), "successes")[first["id"]].rsplit(" ", 1)[1])

    # Nothing can be added to a stored version...
    late = sdo("indicator", pattern="[ipv4-addr:value = '192.0.2.44']")
    answer = await post(client, world.grid_north, [first, late, link(late, first)])
    assert messages(answer.json(), "successes") == {
        first["id"]: f"already stored as incident {first_id}"
    }
    assert "post a new version of the incident" in messages(answer.json(), "failures")[late["id"]]

    # ... a later version is a report of its own, saying which it supersedes.
    second = first | {"modified": "2026-03-02T08:30:00.000Z", "description": "Spread to HMIs"}
    answer = await post(client, world.grid_north, [second, late, link(late, second)])
    assert answer.json()["failure_count"] == 0, answer.text
    message = messages(answer.json(), "successes")[second["id"]]
    assert message.endswith(f"supersedes incident {first_id} (an earlier version)")

    # An earlier version than the latest stored is refused.
    older = first | {"modified": "2026-03-02T08:10:00.000Z"}
    before = await counts(app)
    answer = await post(client, world.grid_north, [older])
    assert "a later version" in messages(answer.json(), "failures")[older["id"]]
    assert await counts(app) == before
    listed = (await client.get("/v1/incidents", headers=world.grid_north)).json()["items"]
    assert len(listed) == 2


async def test_two_posts_of_the_same_objects_at_once_store_them_once(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    incident = severe_incident()
    indicator = sdo("indicator", pattern="[domain-name:value = 'race.example.net']")
    objects = [incident, indicator, link(indicator, incident)]
    answers = await asyncio.gather(*(post(client, world.grid_north, objects) for _ in range(2)))
    assert [answer.json()["success_count"] for answer in answers] == [3, 3]
    assert await count_rows(app, "incidents") == 1
    assert await count_rows(app, "stix_objects") == 3
    said = sorted(messages(answer.json(), "successes")[incident["id"]] for answer in answers)
    assert said[0].startswith("already stored as incident ")
    assert said[1].startswith("stored as incident ")


def taxii_error(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == TAXII
    body: dict[str, Any] = answer.json()
    assert body["http_status"] == str(status)
    assert body["title"]
    assert body["description"]
    return body


async def test_only_the_owner_writes_to_its_collection(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    objects = [sdo("indicator", pattern="[ipv4-addr:value = '192.0.2.80']")]
    for headers in (world.energy_supervisor, world.energy_responder, world.admin):
        taxii_error(await post(client, headers, objects), 403)
    taxii_error(await post(client, world.grid_south, objects), 404)
    taxii_error(await post(client, {}, objects), 401)
    read_only = f"/taxii2/api/collections/{collection_id('warnings')}/objects/"
    answer = await client.post(
        read_only, json={"objects": objects}, headers=world.grid_north | {"Content-Type": TAXII}
    )
    taxii_error(answer, 403)
    assert await count_rows(app, "incidents") == 0

    url = objects_url("grid-north")
    for content_type in ("application/json", "text/plain", "application/taxii+json;version=2.0"):
        answer = await client.post(
            url, content=b'{"objects": []}',
            headers=world.grid_north | {"Content-Type": content_type},
        )  # fmt: skip
        assert "send application/taxii+json" in taxii_error(answer, 415)["description"]
    taxii_error(
        await client.post(url, content=b"{", headers=world.grid_north | {"Content-Type": TAXII}),
        400,
    )
    taxii_error(await post(client, world.grid_north, objects * 1001), 413)
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    answer = await client.post(
        url, json=bundle,
        headers=world.grid_north | {"Content-Type": "application/stix+json;version=2.1"},
    )  # fmt: skip
    assert answer.status_code == 202, answer.text


async def test_a_status_is_read_by_the_organization_that_posted_it_only(
    client: httpx.AsyncClient, world: World
) -> None:
    objects = [sdo("indicator", pattern="[ipv4-addr:value = '192.0.2.81']")]
    posted = (await post(client, world.grid_north, objects)).json()
    url = f"/taxii2/api/status/{posted['id']}/"
    answer = await client.get(url, headers=world.grid_north)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == TAXII
    assert answer.json() == posted
    assert (await client.get(url.rstrip("/"), headers=world.grid_north)).json() == posted
    taxii_error(await client.get(url, headers=world.grid_south), 404)
    taxii_error(await client.get(url, headers=world.all_supervisor), 403)
    taxii_error(await client.get(f"/taxii2/api/status/{uuid.uuid4()}/", headers=world.aqua), 404)
