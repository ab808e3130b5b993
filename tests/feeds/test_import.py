"""Importing CISA's KEV catalogue and ICS advisories (the snapshots shipped with the demo) on
both databases: counts, re-imports, changed advisories, bad files that change nothing, the
command line and the admin endpoints."""

from __future__ import annotations

import copy
import gzip
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from awareness.db.engine import Database
from awareness.db.tables import advisories, advisory_products
from awareness.demo.snapshots import (
    CSAF,
    KEV,
    csaf_documents,
    import_snapshots,
    kev_document,
    snapshot_bytes,
)
from awareness.feeds import importer
from awareness.feeds.documents import FeedRejected
from tests.conftest import World, count_rows
from tests.servers import run_cli

KEV_ROWS = 1404
CSAF_DOCUMENTS = 380 + 344
TABLES = ("kev_entries", "advisories", "advisory_products")


async def counts(app: FastAPI) -> dict[str, int]:
    return {table: await count_rows(app, table) for table in TABLES}


async def import_kev(app: FastAPI, document: Any) -> importer.ImportReport:
    components = app.state.components
    async with components.database.write() as conn:
        return await importer.import_kev(
            conn, document, components.clock.now(), aliases=components.settings.vendors.aliases
        )


async def import_csaf(app: FastAPI, documents: Any) -> importer.ImportReport:
    components = app.state.components
    async with components.database.write() as conn:
        return await importer.import_csaf(
            conn, documents, components.clock.now(), aliases=components.settings.vendors.aliases
        )


def small_kev(entries: int = 3) -> dict[str, Any]:
    catalogue = kev_document()
    assert isinstance(catalogue, dict)
    return catalogue | {"vulnerabilities": catalogue["vulnerabilities"][:entries]}


def some_advisories(count: int) -> list[dict[str, Any]]:
    lines = gzip.decompress(snapshot_bytes(CSAF[1])).decode().splitlines()
    return [json.loads(line) for line in lines[:count]]


async def test_the_shipped_snapshots_import_and_a_second_import_changes_nothing(
    app: FastAPI, database_url: str
) -> None:
    dialect = database_url.partition(":")[0]
    started = time.perf_counter()
    kev = await import_kev(app, kev_document())
    kev_seconds = time.perf_counter() - started
    started = time.perf_counter()
    csaf = await import_csaf(app, csaf_documents())
    csaf_seconds = time.perf_counter() - started
    print(
        f"\n{dialect}: KEV {kev.summary()} in {kev_seconds:.2f} s; "
        f"CSAF {csaf.summary()} in {csaf_seconds:.2f} s"
    )
    for refusal in kev.refused + csaf.refused:
        print(f"  refused {refusal['id']}: {refusal['reason']}")
    assert kev.new + len(kev.refused) == KEV_ROWS
    assert kev.new >= KEV_ROWS - 5
    assert csaf.new + len(csaf.refused) == CSAF_DOCUMENTS
    assert csaf.new >= CSAF_DOCUMENTS - 10
    stored = await counts(app)
    assert stored["kev_entries"] == kev.new
    assert stored["advisories"] == csaf.new
    assert stored["advisory_products"] > csaf.new

    # Again, as the demo imports them at start.
    components = app.state.components
    kev_again, csaf_again = await import_snapshots(
        components.database, now=components.clock.now(), aliases=components.settings.vendors.aliases
    )
    assert (kev_again.new, kev_again.updated, kev_again.unchanged) == (0, 0, kev.new)
    assert (csaf_again.new, csaf_again.updated, csaf_again.unchanged) == (0, 0, csaf.new)
    assert await counts(app) == stored


async def test_a_changed_advisory_is_updated_with_its_products(app: FastAPI) -> None:
    documents = some_advisories(5)
    first = await import_csaf(app, documents)
    assert (first.new, first.updated, first.unchanged) == (5, 0, 0)

    changed = copy.deepcopy(documents)
    advisory_id = changed[0]["document"]["tracking"]["id"]
    changed[0]["document"]["tracking"]["current_release_date"] = "2024-11-05T12:00:00.000000Z"
    for vulnerability in changed[0]["vulnerabilities"]:
        for remediation in vulnerability.get("remediations", []):
            remediation["details"] = "Update to the fixed release named by the vendor."
    again = await import_csaf(app, changed)
    assert (again.new, again.updated, again.unchanged) == (0, 1, 4)
    assert again.changed == [advisory_id]

    async with app.state.components.database.read() as conn:
        updated = (
            await conn.execute(
                sa.select(advisories.c.updated).where(advisories.c.id == advisory_id)
            )
        ).scalar_one()
        remediations = (
            await conn.execute(
                sa.select(advisory_products.c.remediation).where(
                    advisory_products.c.advisory_id == advisory_id
                )
            )
        ).scalars()
        texts = set(remediations)
    assert updated.isoformat() == "2024-11-05T12:00:00+00:00"
    assert "Update to the fixed release named by the vendor." in texts


async def test_bad_input_is_rejected_whole_and_changes_nothing(app: FastAPI) -> None:
    await import_kev(app, small_kev())
    await import_csaf(app, some_advisories(2))
    before = await counts(app)

    with pytest.raises(FeedRejected, match="not a KEV catalogue"):
        await import_kev(app, some_advisories(1)[0])
    with pytest.raises(FeedRejected, match="not a KEV catalogue"):
        await import_kev(app, ["CVE-2021-44228"])
    untracked = some_advisories(3)[2]
    del untracked["document"]["tracking"]["id"]
    with pytest.raises(FeedRejected, match=r"document\.tracking"):
        await import_csaf(app, [untracked])
    with pytest.raises(FeedRejected, match="no CSAF advisory"):
        await import_csaf(app, [kev_document()])
    assert await counts(app) == before


async def test_a_bad_document_among_good_ones_is_refused_with_its_reason(app: FastAPI) -> None:
    documents = some_advisories(3)
    del documents[1]["document"]["tracking"]["id"]
    report = await import_csaf(app, documents)
    assert report.new == 2
    assert len(report.refused) == 1
    assert "document.tracking" in report.refused[0]["reason"]
    assert await count_rows(app, "advisories") == 2


# ---- The command line, as a user types it. ----


def error_line(result: Any) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return str(lines[0])


async def stored_counts(database_url: str) -> dict[str, int]:
    database = Database(database_url)
    try:
        async with database.read() as conn:
            return {
                table: (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()
                for table in TABLES
            }
    finally:
        await database.dispose()


async def test_the_command_imports_the_shipped_files_and_refuses_bad_ones(
    database_url: str, tmp_path: Path
) -> None:
    data = Path(__file__).parents[2] / "src" / "awareness" / "demo" / "data"
    kev = run_cli(database_url, "feeds", "import", "kev", str(data / KEV))
    assert kev.stdout.startswith("kev: 1404 new, 0 updated, 0 unchanged, 0 refused"), kev.stdout
    csaf = run_cli(database_url, "feeds", "import", "csaf", str(data / CSAF[1]))
    print(f"\n{kev.stdout}{csaf.stdout}")
    assert csaf.stdout.startswith("csaf: 344 new"), csaf.stdout
    again = run_cli(database_url, "feeds", "import", "csaf", str(data / CSAF[1]))
    assert again.stdout.startswith("csaf: 0 new, 0 updated, 344 unchanged"), again.stdout
    before = await stored_counts(database_url)

    not_json = tmp_path / "catalogue.json"
    not_json.write_text("cveID,vendorProject\nCVE-2021-44228,Apache\n")
    line = error_line(run_cli(database_url, "feeds", "import", "kev", str(not_json), check=False))
    assert line.startswith(f"error: {not_json} is not JSON"), line

    not_kev = tmp_path / "advisory.json"
    not_kev.write_text(json.dumps(some_advisories(1)[0]))
    line = error_line(run_cli(database_url, "feeds", "import", "kev", str(not_kev), check=False))
    assert line.startswith(f"error: {not_kev}: not a KEV catalogue"), line

    untracked = some_advisories(1)[0]
    del untracked["document"]["tracking"]["id"]
    untracked_file = tmp_path / "untracked.json"
    untracked_file.write_text(json.dumps(untracked))
    result = run_cli(database_url, "feeds", "import", "csaf", str(untracked_file), check=False)
    line = error_line(result)
    assert line.startswith(f"error: {untracked_file}: no CSAF advisory could be read"), line
    assert "document.tracking" in line

    missing = run_cli(database_url, "feeds", "import", "csaf", str(tmp_path / "nope"), check=False)
    assert "no such file or directory" in error_line(missing)
    assert await stored_counts(database_url) == before


# ---- The admin endpoints. ----


async def test_only_admins_import_over_http(client: httpx.AsyncClient, world: World) -> None:
    catalogue = json.dumps(small_kev(5)).encode()
    for headers in (
        world.grid_north, world.energy_supervisor, world.all_supervisor, world.energy_responder,
    ):  # fmt: skip
        for path in ("/v1/feeds/kev", "/v1/feeds/csaf"):
            answer = await client.post(
                path, content=catalogue, headers=headers | {"Content-Type": "application/json"}
            )
            assert answer.status_code == 403, (path, answer.text)
    answer = await client.post(
        "/v1/feeds/kev",
        content=catalogue,
        headers=world.admin | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"feed": "kev", "new": 5, "updated": 0, "unchanged": 0, "refused": []}


async def test_the_whole_catalogue_and_advisories_as_json_lines_over_http(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    # 1.3 MB: above the 1 MB limit of single reports, within the batch limit feeds have.
    catalogue = gzip.decompress(snapshot_bytes(KEV))
    answer = await client.post(
        "/v1/feeds/kev",
        content=catalogue,
        headers=world.admin | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["new"] == KEV_ROWS

    documents = some_advisories(4)
    documents[2]["document"].pop("tracking")
    lines = "\n".join(json.dumps(document) for document in documents).encode()
    ndjson = world.admin | {"Content-Type": "application/x-ndjson"}
    answer = await client.post("/v1/feeds/csaf", content=lines, headers=ndjson)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["new"], body["updated"], body["unchanged"]) == (3, 0, 0)
    assert [refusal["id"] for refusal in body["refused"]] == ["body:3"]
    assert "document.tracking" in body["refused"][0]["reason"]

    one = await client.post("/v1/feeds/csaf", json=documents[0], headers=world.admin)
    assert one.json()["unchanged"] == 1
    listed = await client.post("/v1/feeds/csaf", json=documents[:2], headers=world.admin)
    assert listed.json()["unchanged"] == 2


async def test_bad_bodies_are_refused_and_change_nothing(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    await client.post("/v1/feeds/kev", json=small_kev(), headers=world.admin)
    before = await counts(app)
    text = world.admin | {"Content-Type": "application/json"}
    not_json = await client.post("/v1/feeds/kev", content=b"cveID,vendor\n", headers=text)
    assert not_json.status_code == 400
    assert "not JSON" in not_json.json()["detail"]
    not_kev = await client.post("/v1/feeds/kev", json=some_advisories(1)[0], headers=world.admin)
    assert not_kev.status_code == 422
    assert "not a KEV catalogue" in not_kev.json()["detail"]
    untracked = some_advisories(1)[0]
    del untracked["document"]["tracking"]["id"]
    no_id = await client.post("/v1/feeds/csaf", json=untracked, headers=world.admin)
    assert no_id.status_code == 422
    assert "document.tracking" in no_id.json()["detail"]
    plain = world.admin | {"Content-Type": "text/plain"}
    wrong_type = await client.post("/v1/feeds/csaf", content=b"{}", headers=plain)
    assert wrong_type.status_code == 415
    assert await counts(app) == before


async def test_a_json_array_is_no_kev_catalogue(client: httpx.AsyncClient, world: World) -> None:
    listed = await client.post("/v1/feeds/kev", json=[small_kev()], headers=world.admin)
    assert listed.status_code == 422
    assert "top level is a JSON array" in listed.json()["detail"]
