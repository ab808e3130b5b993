"""TAXII 2.1 paging: page 100 must cost what page 1 costs (issue 15).

Loads `--objects` objects' worth of warnings (one report each in the `warnings` collection)
into a fresh database, written as the correlator writes them (`correlator.emit.emit_warning`
with an `EventWriter`, 1,000 to a transaction, five to an instant), serves the app with uvicorn
in this process, and reads pages of `--limit` objects with an admin key over HTTP: page 1 and
page 100 (reached by its `next` token), `--rounds` times each; prints the median objects/s of
each, their ratio (target: page 100 within 1.2x of page 1) and the throughput of a walk through
the whole collection by `next`.

    .venv/bin/python -m bench.taxii.run                      # SQLite in a temporary directory
    .venv/bin/python -m bench.taxii.run --database-url postgresql+asyncpg://postgres@127.0.0.1/db
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn
from bench.harness import free_port, log

from awareness.api.app import create_app
from awareness.auth import keys
from awareness.auth.principal import Role
from awareness.correlator.emit import emit_warning
from awareness.db.engine import Database
from awareness.db.migrate import upgrade_to_head
from awareness.db.tables import event_sectors, events, warnings
from awareness.eventlog.writer import EventWriter
from awareness.exchange.ids import MEDIA_TYPE, collection_id
from awareness.settings import load_settings

START = datetime(2026, 1, 5, tzinfo=UTC)


async def load(url: str, count: int) -> str:
    database = Database(url)
    try:
        await upgrade_to_head(database)
        # The first thousand as the correlator writes them; the rest as copies of those rows
        # (warning, event, event sectors) in bulk, with their own ids, seqs and times.
        async with database.write() as conn:
            writer = EventWriter(conn)
            for i in range(min(1000, count)):
                await emit_warning(
                    conn, writer, kind="sector_level", sector=("energy", "water")[i % 2],
                    sectors=(), level="yellow", title=f"level raised ({i})", evidence={},
                    at=START + timedelta(seconds=i // 5),
                )  # fmt: skip
        if count > 1000:
            await copy_rows(database, count)
        async with database.write() as conn:
            created = await keys.create_key(
                conn, role=Role.admin, org_id=None, sectors=None, name="bench",
                known_sectors=["energy", "water"], now=START, actor="bench",
            )  # fmt: skip
    finally:
        await database.dispose()
    return created.key


async def copy_rows(database: Database, count: int) -> None:
    async with database.read() as conn:
        made = [dict(r) for r in (await conn.execute(sa.select(warnings))).mappings()]
        logged = [dict(r) for r in (await conn.execute(sa.select(events))).mappings()]
    by_seq = {event["seq"]: event for event in logged}
    for first in range(1000, count, 5000):
        rows, evs, sectors = [], [], []
        for i in range(first, min(first + 5000, count)):
            model = made[i % 1000]
            at = START + timedelta(seconds=i // 5)
            row = model | {"id": i + 1, "seq": i + 1, "created_at": at,
                           "title": f"level raised ({i})"}  # fmt: skip
            event = by_seq[model["seq"]]
            stamp = at.isoformat().replace("+00:00", "Z")
            data = dict(event["data"]) | {"id": i + 1, "seq": i + 1, "title": row["title"],
                                          "created_at": stamp}  # fmt: skip
            rows.append(row)
            evs.append(event | {"seq": i + 1, "warning_id": i + 1, "data": data, "created_at": at})
            sectors.append({"sector": row["sector"], "seq": i + 1})
        async with database.write() as conn:
            await conn.execute(warnings.insert(), rows)
            await conn.execute(events.insert(), evs)
            await conn.execute(event_sectors.insert(), sectors)


async def timed(http: httpx.AsyncClient, path: str, params: dict[str, str]) -> tuple[float, dict]:
    began = time.perf_counter()
    answer = await http.get(path, params=params)
    elapsed = time.perf_counter() - began
    if answer.status_code != 200:
        raise SystemExit(f"{answer.status_code}: {answer.text}")
    body = answer.json()
    return len(body["objects"]) / elapsed, body


async def measure(url: str, key: str, *, limit: int, rounds: int) -> None:
    settings = load_settings(
        database_url=url, log={"access": False, "level": "WARNING"},
        limits={"requests_per_second": 0}, correlator={"enabled": False},
        delivery={"enabled": False},
    )  # fmt: skip
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    path = f"/taxii2/api/collections/{collection_id('warnings')}/objects/"
    headers = {"Authorization": f"Bearer {key}", "Accept": MEDIA_TYPE}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60
        ) as http:
            # The whole walk by next, keeping the token of page 100.
            began, total, pages, token = time.perf_counter(), 0, 0, None
            params = {"limit": str(limit)}
            page_100 = None
            while True:
                _rate, body = await timed(http, path, params)
                total, pages = total + len(body["objects"]), pages + 1
                if pages == 99:
                    page_100 = body.get("next")
                if not body["more"]:
                    break
                token = body["next"]
                params = {"limit": str(limit), "next": token}
            walk = time.perf_counter() - began
            log(f"walked {total} objects in {pages} pages: {total / walk:,.0f} objects/s")
            if page_100 is None:
                raise SystemExit("fewer than 100 pages: load more objects")
            first, hundredth = [], []
            for _ in range(rounds):
                first.append((await timed(http, path, {"limit": str(limit)}))[0])
                params = {"limit": str(limit), "next": page_100}
                hundredth.append((await timed(http, path, params))[0])
            p1, p100 = statistics.median(first), statistics.median(hundredth)
            ratio = p1 / p100
            log(f"page 1: {p1:,.0f} objects/s; page 100: {p100:,.0f} objects/s (median of "
                f"{rounds}); page 100 takes {ratio:.2f}x page 1's time")  # fmt: skip
            met = "met" if ratio <= 1.2 else "not met"
            print(f"RESULT page1={p1:.0f}/s page100={p100:.0f}/s ratio={ratio:.2f} "
                  f"walk={total / walk:.0f}/s target={met}")  # fmt: skip
    finally:
        server.should_exit = True
        await task


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="a fresh, empty database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        began = time.perf_counter()
        key = await load(url, args.objects)
        log(f"loaded {args.objects} warnings in {time.perf_counter() - began:.0f} s")
        await measure(url, key, limit=args.limit, rounds=args.rounds)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
